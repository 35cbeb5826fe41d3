#!/usr/bin/python3
"""Airflow's DAG file discovery, as Airflow's own code does it.

Written from how Airflow 2.x (airflow/utils/file.py) and 3.x
(airflow-core/src/airflow/utils/file.py) find DAG files: os.walk with
followlinks=True; .airflowignore read in every folder, its patterns inherited
downwards and keyed by the folder's resolved path; ignored folders pruned
before the loop check; a folder whose resolved path appears a second time
raises RuntimeError("Detected recursive loop ..."), which ends the whole scan;
then a file is a candidate when it is a regular file with a ".py" suffix or
zip content, and safe mode looks for "airflow" and "dag" (Airflow 3: "dag"
or "asset") in its bytes. The glob syntax uses pathspec's GitWildMatchPattern,
as Airflow does (Debian's python3-pathspec).

Usage: airflow_scan.py DAGS_FOLDER regexp|glob [2|3]
Prints one JSON object: {"files": [paths relative to DAGS_FOLDER], "error": str|null}.
"""
import json
import os
import re
import sys
import zipfile
from pathlib import Path


def compile_regexp(line, base_dir, definition_file):
    try:
        return ("re", re.compile(line), base_dir, line)
    except re.error:
        return None  # Airflow logs a warning and skips the line


def compile_glob(line, base_dir, definition_file):
    from pathspec.patterns import GitWildMatchPattern

    if line.strip() == "/":
        return None
    relative_to = None
    if line.startswith("/") or "/" in line.rstrip("/"):
        relative_to = definition_file.parent
    regex, include = GitWildMatchPattern.pattern_to_regex(line)
    if regex is None:
        return None
    return ("glob", re.compile(regex), relative_to, line, include)


def match_regexp(path, rules):
    return any(r[1].search(str(path.relative_to(r[2]))) is not None for r in rules)


def match_glob(path, rules):
    matched = False
    for _, pattern, relative_to, raw, include in rules:
        rel_path = str(path.relative_to(relative_to) if relative_to else path.name)
        if raw.endswith("/") and path.is_dir():
            rel_path += "/"
        if include is not None and pattern.match(rel_path) is not None:
            matched = include
    return matched


def find_path_from_directory(base_dir_path, syntax):
    compile_rule, match = (compile_regexp, match_regexp) if syntax == "regexp" else (compile_glob, match_glob)
    base = Path(base_dir_path)
    patterns_by_dir = {}
    for root, dirs, files in os.walk(base_dir_path, followlinks=True):
        patterns = patterns_by_dir.get(Path(root).resolve(), [])
        ignore_file_path = Path(root) / ".airflowignore"
        if ignore_file_path.is_file():
            with open(ignore_file_path) as f:
                lines = [re.sub(r"\s*#.*", "", line) for line in f.read().split("\n")]
            patterns += [p for p in (compile_rule(line, base, ignore_file_path) for line in lines if line) if p is not None]
            patterns = list(dict.fromkeys(patterns))
        dirs[:] = [sd for sd in dirs if not match(Path(root) / sd, patterns)]
        for sd in dirs:
            dirpath = (Path(root) / sd).resolve()
            if dirpath in patterns_by_dir:
                raise RuntimeError(
                    f"Detected recursive loop when walking DAG directory {base_dir_path}: {dirpath} has appeared more than once"
                )
            patterns_by_dir.update({dirpath: patterns.copy()})
        for name in files:
            if name != ".airflowignore":
                abs_file_path = Path(root) / name
                if not match(abs_file_path, patterns):
                    yield str(abs_file_path)


def might_contain_dag(path, version):
    if zipfile.is_zipfile(path):
        return True
    with open(path, "rb") as f:
        content = f.read().lower()
    if version == 2:
        return b"dag" in content and b"airflow" in content
    return b"airflow" in content and (b"dag" in content or b"asset" in content)


def main():
    folder, syntax = sys.argv[1], sys.argv[2]
    version = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    files, error = [], None
    try:
        for file_path in find_path_from_directory(folder, syntax):
            path = Path(file_path)
            try:
                if path.is_file() and (path.suffix == ".py" or zipfile.is_zipfile(path)) and might_contain_dag(file_path, version):
                    files.append(os.path.relpath(file_path, folder))
            except Exception:
                pass  # Airflow logs "Error while examining" and goes on
    except RuntimeError as e:
        error = str(e)
    print(json.dumps({"files": files, "error": error}))


if __name__ == "__main__":
    main()

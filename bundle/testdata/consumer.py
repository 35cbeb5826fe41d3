#!/usr/bin/python3
"""What a ManifestLocalDagBundle does with a published root, on refresh and
for a pinned version, written from the format's facts with the standard
library only (airflow-manifest-bundle schema 1):

- refresh: read refs/<bundle>/latest.json, check it (schema 1, own bundle
  name, sha256- version, local backend, manifest path and digest), then the
  snapshot it names as for a pinned version, and that the reference's
  manifest digest, count and total size are the manifest's;
- pinned: read versions/<bundle>/<version>/.airflow-bundle-manifest.json,
  check it (schema 1, bundle name, version, backend, count, total size,
  sorted unique safe paths, the version recomputed from the entries), then
  every file: a regular file (no symlinks), its size, sha256 and executable
  bit, and no file in the snapshot beyond the manifest.

Serialization is json.dumps(sort_keys=True, separators=(",", ":")).

Usage: consumer.py ROOT BUNDLE refresh
       consumer.py ROOT BUNDLE pinned VERSION
Prints {"version": ..., "files": N} and exits 0, or {"error": ...} and exits 1.
"""
import hashlib
import json
import os
import stat
import sys

MANIFEST = ".airflow-bundle-manifest.json"


class Invalid(Exception):
    pass


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode("utf-8")


def is_hex(s, n):
    return isinstance(s, str) and len(s) == n and all(c in "0123456789abcdef" for c in s)


def is_version(v):
    return isinstance(v, str) and v.startswith("sha256-") and is_hex(v[len("sha256-"):], 64)


def safe(p):
    if not isinstance(p, str) or not p or p.startswith("/") or p == MANIFEST:
        return False
    parts = p.split("/")
    return all(part not in ("", ".", "..") for part in parts)


def check_manifest(m, bundle, version=None):
    if m.get("schema_version") != 1:
        raise Invalid("manifest: schema_version is not 1")
    if m.get("bundle_name") != bundle:
        raise Invalid("manifest: bundle_name %r is not %r" % (m.get("bundle_name"), bundle))
    if not is_version(m.get("version")) or (version is not None and m["version"] != version):
        raise Invalid("manifest: version %r" % m.get("version"))
    if m.get("backend") != {"type": "local"}:
        raise Invalid("manifest: backend is not local")
    files = m.get("files")
    if not isinstance(files, list) or m.get("file_count") != len(files):
        raise Invalid("manifest: file_count")
    paths = [f.get("path") for f in files]
    if paths != sorted(paths) or len(set(paths)) != len(paths) or not all(safe(p) for p in paths):
        raise Invalid("manifest: paths not sorted, unique and safe")
    if m.get("total_size") != sum(f.get("size", 0) for f in files):
        raise Invalid("manifest: total_size")
    entries = [{"path": f["path"], "sha256": f["sha256"], "size": f["size"], "executable": f["executable"]} for f in files]
    computed = "sha256-" + hashlib.sha256(canonical({"schema_version": 1, "files": entries})).hexdigest()
    if computed != m["version"]:
        raise Invalid("manifest: version %s is not the %s its entries give" % (m["version"], computed))


def check_snapshot(root, bundle, version):
    folder = os.path.join(root, "versions", bundle, version)
    with open(os.path.join(folder, MANIFEST), "rb") as f:
        raw = f.read()
    m = json.loads(raw)
    check_manifest(m, bundle, version)
    listed = {f["path"]: f for f in m["files"]}
    seen = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                raise Invalid("%s: a symlink (not supported in snapshots)" % os.path.relpath(full, folder))
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, folder).replace(os.sep, "/")
            if rel == MANIFEST:
                continue
            entry = listed.get(rel)
            if entry is None:
                raise Invalid("%s: in the snapshot but not in the manifest" % rel)
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode):
                raise Invalid("%s: not a regular file" % rel)
            if st.st_size != entry["size"]:
                raise Invalid("%s: size %d, the manifest says %d" % (rel, st.st_size, entry["size"]))
            if bool(st.st_mode & 0o111) != entry["executable"]:
                raise Invalid("%s: executable bit" % rel)
            h = hashlib.sha256()
            with open(full, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            if h.hexdigest() != entry["sha256"]:
                raise Invalid("%s: sha256 differs from the manifest" % rel)
            seen.add(rel)
    missing = sorted(set(listed) - seen)
    if missing:
        raise Invalid("%s: in the manifest but not in the snapshot" % missing[0])
    return m, raw


def main():
    root, bundle, action = sys.argv[1], sys.argv[2], sys.argv[3]
    try:
        if action == "refresh":
            with open(os.path.join(root, "refs", bundle, "latest.json"), "rb") as f:
                ref = json.loads(f.read())
            if ref.get("schema_version") != 1 or ref.get("bundle_name") != bundle or ref.get("backend") != {"type": "local"}:
                raise Invalid("reference: schema, bundle name or backend")
            if not is_version(ref.get("version")) or (ref.get("manifest") or {}).get("path") != MANIFEST:
                raise Invalid("reference: version or manifest path")
            m, raw = check_snapshot(root, bundle, ref["version"])
            if ref["manifest"].get("sha256") != "sha256:" + hashlib.sha256(canonical(m)).hexdigest():
                raise Invalid("reference: the manifest's digest differs")
            if raw != canonical(m):
                raise Invalid("manifest: not in canonical form")
            if ref.get("file_count") != m["file_count"] or ref.get("total_size") != m["total_size"]:
                raise Invalid("reference: file_count or total_size")
        elif action == "pinned":
            m, _ = check_snapshot(root, bundle, sys.argv[4])
        else:
            raise SystemExit("usage: consumer.py ROOT BUNDLE refresh|pinned [VERSION]")
    except (Invalid, OSError, ValueError, KeyError, TypeError) as e:
        print(json.dumps({"error": str(e)}))
        sys.exit(1)
    print(json.dumps({"version": m["version"], "files": m["file_count"]}))


if __name__ == "__main__":
    main()

# dagnfs env script: writes the environment index of the interpreter that
# runs it to stdout, as `dagnfs env capture --python` does. Standard library
# only; nothing of the environment is imported: modules are found by reading
# sys.path, names by parsing source with ast. Keep in step with envindex/*.go
# (a test compares the two on the same interpreter).
import ast
import csv
import io
import json
import os
import re
import sys
import sysconfig
import zipfile
import importlib.machinery as machinery

PREFIXES = ["airflow"]

FORMAT = 1
MAX_MODULES = 1000000
MAX_DEPTH = 32
MAX_SOURCE = 4 << 20
MAX_RECORD = 64 << 20
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
SIMPLE_NAME = re.compile(r"[rRuU]?(['\"])([A-Za-z_][A-Za-z0-9_]*)(['\"])\Z")


def read_bounded(path, most):
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > most:
            raise OSError("too large")
        return f.read()


class Loc:
    """A folder on the path: on disk (zip None), or inside a zip archive."""

    def __init__(self, d, zip_tree=None, inner=""):
        self.dir, self.zip, self.inner = d, zip_tree, inner

    def join(self, name):
        if self.zip is not None:
            return Loc(self.dir, self.zip, name if self.inner == "" else self.inner + "/" + name)
        return Loc(os.path.join(self.dir, name))

    def file(self, name):
        return "" if self.zip is not None else os.path.normpath(os.path.join(self.dir, name))


class Found:
    def __init__(self, kind, file="", source=False, subdirs=None):
        self.kind, self.file, self.source = kind, file, source
        self.subdirs = subdirs or []
        self.names, self.dynamic, self.read = [], False, False
        self.info = None  # (names, all, stars, dynamic, failed)


class Scanner:
    def __init__(self, ext, prefixes):
        self.ext, self.prefixes = ext, prefixes
        self.mods, self.listings = {}, {}

    def entry(self, p):
        try:
            st = os.stat(p)
        except OSError:
            return None
        if os.path.isdir(p):
            return Loc(p)
        try:
            zf = zipfile.ZipFile(p)
        except Exception:
            return None
        dirs = {"": {}}
        with zf:
            for info in zf.infolist():
                name = info.filename
                is_dir = name.endswith("/")
                name = name.rstrip("/")
                while name not in ("", "."):
                    d, _, base = name.rpartition("/")
                    listing = dirs.setdefault(d, {})
                    listing[base] = listing.get(base, False) or is_dir
                    name, is_dir = d, True
        return Loc(p, dirs)

    def list(self, loc):
        if loc.zip is not None:
            return loc.zip.get(loc.inner)
        if loc.dir in self.listings:
            return self.listings[loc.dir]
        listing = {}
        try:
            entries = list(os.scandir(loc.dir))
        except OSError:
            entries = []
        for e in entries:
            if e.is_symlink():
                p = os.path.join(loc.dir, e.name)
                if not os.path.exists(p):
                    continue  # a link that leads nowhere
                is_dir = os.path.isdir(p)
            else:
                try:
                    is_dir = e.is_dir(follow_symlinks=False)
                except OSError:
                    continue
            listing[e.name] = is_dir
        self.listings[loc.dir] = listing
        return listing

    def suffixes(self):
        return list(self.ext) + [".py", ".pyc"]

    def candidates(self, locs):
        out = set()
        for loc in locs:
            for name, is_dir in (self.list(loc) or {}).items():
                if is_dir:
                    if IDENT.match(name):
                        out.add(name)
                    continue
                for suf in self.suffixes():
                    if name.endswith(suf) and IDENT.match(name[: len(name) - len(suf)]):
                        out.add(name[: len(name) - len(suf)])
        return sorted(out)

    def find(self, name, locs):
        portions = []
        sufs = self.suffixes()
        for loc in locs:
            listing = self.list(loc) or {}
            if listing.get(name) is True:
                d = loc.join(name)
                inner = self.list(d) or {}
                for suf in sufs:
                    if inner.get("__init__" + suf) is False:
                        return Found("package", d.file("__init__" + suf), suf == ".py" and d.zip is None, [d])
                portions.append(d)
            for i, suf in enumerate(sufs):
                if listing.get(name + suf) is False:
                    kind = "extension"
                    if suf == ".py":
                        kind = "module"
                    elif suf == ".pyc" and i == len(self.ext) + 1:
                        kind = "bytecode"
                    return Found(kind, loc.file(name + suf), kind == "module" and loc.zip is None)
        if portions:
            return Found("namespace", subdirs=portions)
        return None

    def walk(self, parent, locs, depth, above=None):
        above = set() if above is None else above
        if depth > MAX_DEPTH:
            return
        for name in self.candidates(locs):
            full = parent + "." + name if parent else name
            if parent == "" and full in self.mods:
                continue
            f = self.find(name, locs)
            if f is None:
                continue
            if len(self.mods) >= MAX_MODULES:
                raise SystemExit("more than %d modules: not a Python environment this index can hold" % MAX_MODULES)
            self.mods[full] = f
            if not f.subdirs:
                continue
            ids, loop = [], False
            for d in f.subdirs:
                if d.zip is not None:
                    continue
                try:
                    st = os.stat(d.dir)
                except OSError:
                    continue
                i = "%d:%d" % (st.st_dev, st.st_ino)
                if i in above:
                    loop = True
                    break
                ids.append(i)
            if loop:
                continue
            above.update(ids)
            self.walk(full, f.subdirs, depth + 1, above)
            above.difference_update(ids)

    def under_prefix(self, name):
        return any(name == p or name.startswith(p + ".") for p in self.prefixes)

    def read_names(self):
        for name, f in self.mods.items():
            if not self.under_prefix(name):
                continue
            f.read = True
            if f.kind == "namespace":
                f.info = ([], None, [], False, False)
            elif not f.source:
                f.info = ([], None, [], True, False)
            else:
                try:
                    src = read_bounded(f.file, MAX_SOURCE)
                except OSError:
                    f.info = ([], None, [], True, True)
                    continue
                f.info = module_names(src)
        done = set()
        for name in sorted(self.mods):
            f = self.mods[name]
            if f.read:
                self.resolve_stars(name, f, done, set())

    def resolve_stars(self, name, f, done, visiting):
        if name in done:
            return
        if name in visiting:
            f.dynamic = True
            return
        visiting.add(name)
        own, _all, stars, dynamic, _failed = f.info
        names = set(own)
        f.dynamic = f.dynamic or dynamic
        for star in stars:
            src = absolute(name, f.kind == "package", star)
            g = self.mods.get(src)
            if g is None or not g.read:
                f.dynamic = True
                continue
            self.resolve_stars(src, g, done, visiting)
            if g.dynamic:
                f.dynamic = True
            names.update(exported(g))
        f.names = sorted(names)
        done.add(name)
        visiting.discard(name)

    def distributions(self, sys_path):
        owners, seen, dists = {}, set(), []
        for d in sys_path:
            listing = self.list(Loc(d)) or {}
            for n in sorted(listing):
                meta = os.path.join(d, n)
                files = []
                if n.endswith(".dist-info") and listing[n]:
                    name, version = metadata(os.path.join(meta, "METADATA"))
                    files = record(os.path.join(meta, "RECORD"), d)
                elif n.endswith(".egg-info") and listing[n]:
                    name, version = metadata(os.path.join(meta, "PKG-INFO"))
                    files = installed_files(os.path.join(meta, "installed-files.txt"), meta)
                    files += top_level(os.path.join(meta, "top_level.txt"), d)
                elif n.endswith(".egg-info"):
                    name, version = metadata(meta)
                else:
                    continue
                if name == "" or name.lower() in seen:
                    continue
                seen.add(name.lower())
                dists.append({"name": name, "version": version})
                for f in files:
                    owners.setdefault(f, name)
        dists.sort(key=lambda x: x["name"].lower())
        return dists, owners


def text(b):
    return b.decode("utf-8", "surrogateescape")


def metadata(path):
    try:
        b = read_bounded(path, 4 << 20)
    except OSError:
        return "", ""
    name = version = ""
    for line in text(b).split("\n"):
        line = line.rstrip("\r")
        if line == "":
            break
        if line.startswith("Name:") and name == "":
            name = line[5:].strip()
        if line.startswith("Version:") and version == "":
            version = line[8:].strip()
    return name, version


def record(path, site):
    try:
        b = read_bounded(path, MAX_RECORD)
    except OSError:
        return []
    out = []
    for rec in csv.reader(io.StringIO(text(b))):
        if rec and rec[0]:
            out.append(os.path.normpath(os.path.join(site, rec[0])))
    return out


def installed_files(path, meta):
    try:
        b = read_bounded(path, MAX_RECORD)
    except OSError:
        return []
    return [os.path.normpath(os.path.join(meta, l.strip())) for l in text(b).split("\n") if l.strip()]


def top_level(path, site):
    try:
        b = read_bounded(path, 1 << 20)
    except OSError:
        return []
    out = []
    for l in text(b).split("\n"):
        l = l.strip()
        if IDENT.match(l):
            out += [os.path.normpath(os.path.join(site, l, "__init__.py")), os.path.normpath(os.path.join(site, l + ".py"))]
    return out


def absolute(name, is_package, mod):
    level = len(mod) - len(mod.lstrip("."))
    if level == 0:
        return mod
    pkg = name if is_package else name.rpartition(".")[0]
    for _ in range(level - 1):
        pkg = pkg.rpartition(".")[0]
    rest = mod[level:]
    if pkg == "":
        return rest
    if rest == "":
        return pkg
    return pkg + "." + rest


def exported(g):
    _own, all_, _stars, _dyn, _failed = g.info
    if all_ is not None:
        return all_
    return [n for n in g.names if not n.startswith("_")]


class Binder:
    """What a module's top level binds: the rules of validate/imports.go."""

    def __init__(self, src):
        self.src = src
        self.names, self.seen, self.all, self.stars, self.dynamic = [], set(), None, [], False

    def bind(self, name):
        if not name or name in self.seen:
            return
        self.seen.add(name)
        self.names.append(name)
        if "lazy_imports" in name or "deprecated_classes" in name:
            self.dynamic = True

    def target(self, t):
        if isinstance(t, ast.Name):
            self.bind(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                self.target(e)
        elif isinstance(t, ast.Starred):
            self.target(t.value)

    def strings(self, v):
        if not isinstance(v, (ast.List, ast.Tuple)):
            return None
        out = []
        for e in v.elts:
            seg = ast.get_source_segment(self.src, e)
            m = SIMPLE_NAME.match(seg or "")
            if not isinstance(e, ast.Constant) or not isinstance(e.value, str) or m is None or m.group(1) != m.group(3):
                return None
            out.append(m.group(2))
        return out

    def body(self, stmts):
        for st in stmts:
            self.statement(st)

    def statement(self, st):
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.bind(st.name)
            if st.name == "__getattr__" and not isinstance(st, ast.ClassDef):
                self.dynamic = True
        elif isinstance(st, ast.Import):
            for a in st.names:
                self.bind(a.asname or a.name.split(".")[0])
        elif isinstance(st, ast.ImportFrom):
            if st.module == "__future__" and st.level == 0:
                return
            for a in st.names:
                if a.name == "*":
                    self.stars.append("." * st.level + (st.module or ""))
                else:
                    self.bind(a.asname or a.name)
        elif isinstance(st, ast.Expr):
            v = st.value
            if isinstance(v, ast.Call):
                f = ast.get_source_segment(self.src, v.func) or ""
                if f.endswith("add_deprecated_classes"):
                    self.dynamic = True
        elif isinstance(st, ast.Assign):
            for t in st.targets:
                if isinstance(t, ast.Subscript) and ast.get_source_segment(self.src, t.value) == "sys.modules":
                    self.dynamic = True
            for i, t in enumerate(st.targets):
                self.target(t)
                if isinstance(t, ast.Name) and t.id == "__all__":
                    self.all = self.strings(st.value) if i == len(st.targets) - 1 else None
        elif isinstance(st, ast.AnnAssign):
            self.target(st.target)
            if isinstance(st.target, ast.Name) and st.target.id == "__all__" and st.value is not None:
                self.all = self.strings(st.value)
        elif isinstance(st, ast.AugAssign):
            if isinstance(st.target, ast.Name):
                self.bind(st.target.id)
                if st.target.id == "__all__" and self.all is not None:
                    more = self.strings(st.value)
                    if more is not None:
                        self.all = self.all + more
        elif isinstance(st, ast.If):
            self.body(st.body)
            self.body(st.orelse)
        elif isinstance(st, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            self.body(st.body)
            for h in st.handlers:
                self.body(h.body)
            self.body(st.orelse)
            self.body(st.finalbody)
        elif isinstance(st, ast.While):
            self.body(st.body)
            self.body(st.orelse)
        elif isinstance(st, (ast.For, ast.AsyncFor)):
            self.target(st.target)
            self.body(st.body)
            self.body(st.orelse)
        elif isinstance(st, (ast.With, ast.AsyncWith)):
            for item in st.items:
                if item.optional_vars is not None:
                    self.target(item.optional_vars)
            self.body(st.body)


def module_names(src):
    try:
        tree = ast.parse(src)
        src_text = src.decode("utf-8") if isinstance(src, bytes) else src
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return ([], None, [], True, True)
    b = Binder(src_text)
    b.body(tree.body)
    return (b.names, b.all, b.stars, b.dynamic, False)


def main():
    try:
        import _imp
        frozen = list(_imp._frozen_module_names())
    except Exception:
        frozen = []
    ext = list(machinery.EXTENSION_SUFFIXES)
    path = [p for p in sys.path if p]
    s = Scanner(ext, PREFIXES)
    entries = [e for e in (s.entry(p) for p in path) if e is not None]
    for b in sorted(set(list(sys.builtin_module_names) + frozen)):
        s.mods[b] = Found("builtin")
    s.walk("", entries, 0)
    dists, owners = s.distributions(path)
    s.read_names()
    by_kind, by_dist, names, dynamic = {}, {}, {}, []
    for name in sorted(s.mods):
        f = s.mods[name]
        by_kind.setdefault(f.kind, []).append(name)
        if f.file and owners.get(f.file):
            by_dist.setdefault(owners[f.file], []).append(name)
        if f.read:
            names[name] = " ".join(f.names)
            if f.dynamic:
                dynamic.append(name)
    for d in dists:
        if by_dist.get(d["name"]):
            d["modules"] = "\n".join(sorted(by_dist[d["name"]]))
    out = {"format": FORMAT, "python": "%d.%d.%d" % sys.version_info[:3]}
    if sysconfig.get_platform():
        out["platform"] = sysconfig.get_platform()
    out.update({"extension_suffixes": ext, "sys_path": path, "prefixes": PREFIXES, "distributions": dists,
                "modules": {k: "\n".join(sorted(v)) for k, v in sorted(by_kind.items())},
                "names": dict(sorted(names.items())), "dynamic": "\n".join(sorted(dynamic))})
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


main()

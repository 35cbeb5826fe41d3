package validate

import (
	"archive/zip"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/dagnfs/dagnfs/validate/python/module"
)

// Environment is the Python environment of the image Airflow runs (an
// envindex.Index): validate --env checks imports against it.
type Environment interface {
	// Module returns the module called name.
	Module(name string) (EnvModule, bool)
	// Defining lists the modules under prefix that bind name, best first.
	Defining(prefix, name string) []string
	// Prefixes are the module prefixes whose names were read.
	Prefixes() []string
	// Describe names the environment in messages ("Python 3.12, apache-airflow 3.0.2").
	Describe() string
	// Airflow is the version of apache-airflow installed in it, "" if none.
	Airflow() string
	// Hash identifies its content.
	Hash() string
}

// EnvModule is one module of an Environment.
type EnvModule struct {
	// Kind is module, package, namespace, extension, bytecode, builtin or
	// stdlib (known by name only: its submodules are not listed).
	Kind string
	Dist string
	// Names are what the module binds, when Read; Dynamic: more resolve.
	Names   []string
	Read    bool
	Dynamic bool
}

// Rules of validate --env.
const (
	RuleImportUnresolved  = "import-unresolved"
	RuleImportNameMissing = "import-name-missing"
	RuleImportDeferred    = "import-unresolved-deferred"
)

func init() {
	Rules = append(Rules,
		RuleInfo{RuleImportUnresolved, Error, "a module-level import that resolves neither in the target environment (--env) nor in the DAG folder: every scheduler records a Broken DAG", "Install the distribution in the image, fix the module path (the message says where the name lives now), or guard the import with try/except ImportError."},
		RuleInfo{RuleImportNameMissing, Error, "from m import n where the environment's m does not define n (a name that moved or was removed)", "Import the name from where the message says it lives in this environment."},
		RuleInfo{RuleImportDeferred, Warning, "an import inside a function that does not resolve in the environment: the task fails when it runs", "Install the distribution in the image, or fix the module path."},
	)
}

// localModule is a module of the DAG folder (or of another folder Airflow
// puts on sys.path).
type localModule struct{ kind string }

// localModules lists the modules importable from the DAG folder and the
// extra folders: .py files, packages, namespace folders, and the root
// modules of zip archives in the DAG folder (Airflow puts each on sys.path).
func localModules(roots []string) map[string]localModule {
	out := map[string]localModule{}
	above := map[[2]uint64]bool{} // the folders on the way down: a symlink back up ends the walk
	var walk func(dir, prefix string, depth int)
	walk = func(dir, prefix string, depth int) {
		if depth > 16 || len(out) > 200_000 {
			return
		}
		if fi, err := os.Stat(dir); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				id := [2]uint64{uint64(st.Dev), st.Ino}
				if above[id] {
					return
				}
				above[id] = true
				defer delete(above, id)
			}
		}
		des, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, de := range des {
			name := de.Name()
			full := filepath.Join(dir, name)
			fi, err := os.Stat(full) // symlinks followed, as imports do
			if err != nil || slices.Contains(DefaultExcludes, name) {
				continue
			}
			switch {
			case fi.IsDir() && module.Identifier(name):
				mod := join(prefix, name)
				kind := "namespace"
				if _, err := os.Stat(filepath.Join(full, "__init__.py")); err == nil {
					kind = "package"
				}
				if prev, ok := out[mod]; !ok || prev.kind == "namespace" {
					out[mod] = localModule{kind}
				}
				walk(full, mod, depth+1)
			case strings.HasSuffix(name, ".py") && module.Identifier(strings.TrimSuffix(name, ".py")):
				mod := join(prefix, strings.TrimSuffix(name, ".py"))
				if _, ok := out[mod]; !ok {
					out[mod] = localModule{"module"}
				}
			case prefix == "" && depth == 0 && !fi.IsDir() && isZip(full):
				zipModules(full, out)
			}
		}
	}
	for _, r := range roots {
		walk(r, "", 0)
	}
	return out
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func isZip(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	n, _ := f.Read(magic[:])
	return n == 4 && string(magic[:]) == "PK\x03\x04"
}

// zipModules adds the modules inside a zip archive on the path.
func zipModules(p string, out map[string]localModule) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return
	}
	defer zr.Close()
	for i, f := range zr.File {
		if i > 100_000 {
			return
		}
		name := f.Name
		if !strings.HasSuffix(name, ".py") {
			continue
		}
		parts := strings.Split(strings.TrimSuffix(name, ".py"), "/")
		for j := range parts {
			if !module.Identifier(parts[j]) {
				parts = nil
				break
			}
		}
		if len(parts) == 0 {
			continue
		}
		for j := 1; j < len(parts); j++ {
			mod := strings.Join(parts[:j], ".")
			if _, ok := out[mod]; !ok {
				out[mod] = localModule{"namespace"}
			}
		}
		if parts[len(parts)-1] == "__init__" {
			if len(parts) > 1 {
				out[strings.Join(parts[:len(parts)-1], ".")] = localModule{"package"}
			}
			continue
		}
		if _, ok := out[strings.Join(parts, ".")]; !ok {
			out[strings.Join(parts, ".")] = localModule{"module"}
		}
	}
}

// origin is where a module resolved.
type origin int

const (
	unresolved origin = iota
	fromEnv
	fromLocal
	merged // a namespace package with portions in both
	opaque // resolved, but what is below it is not known (stdlib by name, a compiled module)
)

// resolve finds module name as the import system would, with the
// environment's sys.path first and the DAG folder after it (Airflow appends
// it): the first regular package or module wins, namespace portions merge.
func resolve(env Environment, local map[string]localModule, name string) (origin, EnvModule) {
	parts := strings.Split(name, ".")
	from := merged
	var em EnvModule
	for i := range parts {
		p := strings.Join(parts[:i+1], ".")
		e, envOK := env.Module(p)
		l, localOK := local[p]
		switch from {
		case opaque:
			return opaque, em
		case fromEnv:
			if !envOK {
				if em.Read && em.Dynamic && em.Kind == "package" {
					// A package that makes modules at run time (Airflow's
					// deprecated import paths): not this index's to deny.
					return opaque, em
				}
				return unresolved, em
			}
		case fromLocal:
			if !localOK {
				return unresolved, em
			}
		case merged:
			switch {
			case envOK && e.Kind != "namespace":
				from = fromEnv
			case localOK && l.kind != "namespace":
				from = fromLocal
			case envOK && localOK:
				from = merged
			case envOK:
				from = fromEnv
			case localOK:
				from = fromLocal
			default:
				return unresolved, em
			}
		}
		if from == fromEnv || (from == merged && envOK) {
			em = e
			if e.Kind == "stdlib" {
				from = opaque
			}
		}
	}
	return from, em
}

// Resolves reports whether module name imports in env (without a DAG
// folder).
func Resolves(env Environment, name string) bool {
	w, _ := resolve(env, nil, name)
	return w != unresolved
}

// checkImports reports the imports of file rel that do not resolve.
func checkImports(imports []module.Import, rel string, o Options) []Finding {
	var out []Finding
	pkg := localPackage(rel, o.local)
	for _, im := range imports {
		if im.Context == module.Guarded || im.Context == module.TypeChecking {
			continue
		}
		mod := im.Module
		if im.Level > 0 {
			if pkg == "" {
				continue // a relative import outside a package: not this rule's business
			}
			base := pkg
			for range im.Level - 1 {
				base, _, _ = cutLast(base)
			}
			if base == "" {
				continue
			}
			if mod == "" {
				mod = base // from . import name
			} else {
				mod = base + "." + mod
			}
		}
		if mod == "" {
			continue
		}
		rule := RuleImportUnresolved
		if im.Context == module.Deferred {
			rule = RuleImportDeferred
		}
		where, em := resolve(o.Env, o.local, mod)
		if where == unresolved {
			msg := fmt.Sprintf("No module named '%s' in %s", firstMissing(o.Env, o.local, mod), o.Env.Describe())
			if im.Name != "" && im.Name != "*" {
				msg += hint(o.Env, mod, im.Name)
			}
			out = append(out, Finding{Rule: rule, File: rel, Line: im.ModuleLine, Column: im.ModuleColumn, Message: msg})
			continue
		}
		if im.Name == "" || im.Name == "*" || where != fromEnv || !em.Read || em.Dynamic {
			continue
		}
		if _, ok := slices.BinarySearch(em.Names, im.Name); ok {
			continue
		}
		if sub, _ := resolve(o.Env, o.local, mod+"."+im.Name); sub != unresolved {
			continue // a submodule
		}
		if im.Context == module.Deferred {
			rule = RuleImportDeferred
		} else {
			rule = RuleImportNameMissing
		}
		msg := fmt.Sprintf("cannot import name '%s' from '%s' in %s", im.Name, mod, o.Env.Describe())
		out = append(out, Finding{Rule: rule, File: rel, Line: im.Line, Column: im.Column, Message: msg + hint(o.Env, mod, im.Name)})
	}
	return out
}

// firstMissing is the shortest prefix of mod that does not resolve (what
// CPython's message names).
func firstMissing(env Environment, local map[string]localModule, mod string) string {
	parts := strings.Split(mod, ".")
	for i := range parts {
		p := strings.Join(parts[:i+1], ".")
		if w, _ := resolve(env, local, p); w == unresolved {
			return p
		}
	}
	return mod
}

// hint says where name lives in the environment, under the prefix mod is
// in, and which distribution provides it.
func hint(env Environment, mod, name string) string {
	top, _, _ := strings.Cut(mod, ".")
	for _, p := range env.Prefixes() {
		if top != p && !strings.HasPrefix(p, top+".") {
			continue
		}
		homes := env.Defining(p, name)
		if len(homes) == 0 {
			return fmt.Sprintf("; no module under %s defines %s", p, name)
		}
		h := homes[0]
		msg := "; moved to " + h
		if m, ok := env.Module(h); ok && m.Dist != "" {
			msg += " (" + m.Dist + ")"
		}
		if len(homes) > 1 {
			msg += fmt.Sprintf(", also in %s", strings.Join(homes[1:min(len(homes), 3)], ", "))
		}
		return msg
	}
	return ""
}

// localPackage is the package a file of the DAG folder belongs to ("" for
// a file at its top or outside packages).
func localPackage(rel string, local map[string]localModule) string {
	dir := path.Dir(filepath.ToSlash(rel))
	if dir == "." {
		return ""
	}
	mod := strings.ReplaceAll(dir, "/", ".")
	if l, ok := local[mod]; ok && l.kind != "" {
		return mod
	}
	return ""
}

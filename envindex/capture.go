package envindex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// DefaultPrefixes are the module prefixes whose names an index reads.
var DefaultPrefixes = []string{"airflow"}

// queryScript asks an interpreter what the scan needs, importing nothing
// but the standard library's own startup modules; sys.path is read after
// site processing, so .pth files count.
const queryScript = `import sys, json, sysconfig, importlib.machinery as m
try:
    import _imp
    frozen = list(_imp._frozen_module_names())
except Exception:
    frozen = []
json.dump({"version": "%d.%d.%d" % sys.version_info[:3], "platform": sysconfig.get_platform(),
    "ext": list(m.EXTENSION_SUFFIXES), "path": [p for p in sys.path if p],
    "builtins": list(sys.builtin_module_names), "frozen": frozen}, sys.stdout)
`

// QueryPython asks the interpreter python for its Environment.
func QueryPython(ctx context.Context, python string) (Environment, error) {
	cmd := exec.CommandContext(ctx, python, "-c", queryScript)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Dir = os.TempDir() // the working folder is not on the path
	if err := cmd.Run(); err != nil {
		return Environment{}, fmt.Errorf("python %s: %v: %s", python, err, strings.TrimSpace(errb.String()))
	}
	var q struct {
		Version, Platform string
		Ext, Path         []string
		Builtins, Frozen  []string
	}
	if err := json.Unmarshal(out.Bytes(), &q); err != nil {
		return Environment{}, fmt.Errorf("python %s gave no environment: %v", python, err)
	}
	return Environment{Python: q.Version, Platform: q.Platform, ExtensionSuffixes: q.Ext, SysPath: q.Path,
		Builtins: topNames(append(q.Builtins, q.Frozen...))}, nil
}

// topNames sorts and dedups module names (frozen ones may be dotted:
// os.path is kept as it is, both are modules).
func topNames(names []string) []string {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// SiteEnvironment describes site folders copied out of an image, for
// Python pythonVersion ("3.12"): their .pth files are processed as site
// does, compiled modules are matched with CPython's suffixes for Linux
// (platform is the machine, such as x86_64), and the standard library is
// known by name.
func SiteEnvironment(sites []string, pythonVersion, machine string) (Environment, error) {
	if len(sites) == 0 {
		return Environment{}, errors.New("give --python or at least one --site folder")
	}
	ix := &Index{Python: pythonVersion}
	minor, ok := ix.Minor()
	if !ok || strings.Count(pythonVersion, ".") != 1 {
		return Environment{}, fmt.Errorf("--python-version %q: give the image's Python as 3.X", pythonVersion)
	}
	env := Environment{Python: pythonVersion, Platform: "linux-" + machine,
		ExtensionSuffixes: []string{fmt.Sprintf(".cpython-3%d-%s-linux-gnu.so", minor, machine), ".abi3.so", ".so"},
		Stdlib:            stdlibNames(minor)}
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			env.SysPath = append(env.SysPath, p)
		}
	}
	for _, site := range sites {
		abs, err := filepath.Abs(site)
		if err != nil {
			return Environment{}, err
		}
		if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
			return Environment{}, fmt.Errorf("--site %s is not a folder", site)
		}
		add(abs)
		for _, p := range pthPaths(abs) {
			add(p)
		}
	}
	return env, nil
}

// pthPaths are the folders site's .pth files in site add to the path, in
// site's order (files sorted by name; import lines are code, not paths).
func pthPaths(site string) []string {
	des, err := os.ReadDir(site)
	if err != nil {
		return nil
	}
	var out []string
	for _, de := range des { // ReadDir sorts by name, as site does
		if !strings.HasSuffix(de.Name(), ".pth") || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		b, err := readBounded(filepath.Join(site, de.Name()), 1<<20)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimRight(line, "\r \t")
			if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "import ") || strings.HasPrefix(line, "import\t") {
				continue
			}
			p := filepath.Join(site, line)
			if _, err := os.Stat(p); err == nil { // site adds what exists
				out = append(out, filepath.Clean(p))
			}
		}
	}
	return out
}

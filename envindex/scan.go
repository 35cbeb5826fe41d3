package envindex

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/dagnfs/dagnfs/validate/python/module"
)

// Limits on what a scan reads: an environment is input like any other.
const (
	maxModules    = 1_000_000
	maxDepth      = 32
	maxSourceSize = 4 << 20 // a module larger than this is taken as dynamic
	maxRecordSize = 64 << 20
)

// Environment is what the scan needs to know about an interpreter.
type Environment struct {
	Python            string   // "3.12.3", or "3.12"
	Platform          string   // "linux-x86_64", or ""
	ExtensionSuffixes []string // ".cpython-312-x86_64-linux-gnu.so", ".abi3.so", ".so"
	SysPath           []string // in order, site processing done
	Builtins          []string // builtin and frozen modules
	// Stdlib are standard library modules known by name only (no
	// interpreter: its library is not on SysPath).
	Stdlib []string
}

// Scan builds the index of env, reading the names of the modules under
// prefixes.
func Scan(env Environment, prefixes []string) (*Index, error) {
	s := &scanner{ext: env.ExtensionSuffixes, prefixes: prefixes, mods: map[string]*found{}, listings: map[string]listing{},
		zips: map[string]*zipTree{}}
	var entries []location
	for _, p := range env.SysPath {
		if loc, ok := s.entry(p); ok {
			entries = append(entries, loc)
		}
	}
	for _, b := range env.Builtins {
		s.mods[b] = &found{kind: KindBuiltin}
	}
	for _, b := range env.Stdlib {
		if _, ok := s.mods[b]; !ok {
			s.mods[b] = &found{kind: KindStdlib}
		}
	}
	if err := s.walk("", entries, 0); err != nil {
		return nil, err
	}
	ix := &Index{Format: Format, Python: env.Python, Platform: env.Platform, ExtensionSuffixes: nonNil(env.ExtensionSuffixes),
		SysPath: nonNil(env.SysPath), Prefixes: nonNil(prefixes), Distributions: []Distribution{},
		Modules: map[string]string{}, Names: map[string]string{}}
	owners := s.distributions(env.SysPath, ix)
	s.readNames()
	byKind := map[string][]string{}
	byDist := map[string][]string{}
	var dynamic []string
	for name, f := range s.mods {
		byKind[f.kind] = append(byKind[f.kind], name)
		if f.file != "" && owners[f.file] != "" {
			byDist[owners[f.file]] = append(byDist[owners[f.file]], name)
		}
		if f.read {
			ix.Names[name] = strings.Join(f.names, " ")
			if f.dynamic {
				dynamic = append(dynamic, name)
			}
		}
	}
	joined := func(list []string) string {
		sort.Strings(list)
		return strings.Join(list, "\n")
	}
	for k, list := range byKind {
		ix.Modules[k] = joined(list)
	}
	for i, d := range ix.Distributions {
		ix.Distributions[i].Modules = joined(byDist[d.Name])
	}
	ix.Dynamic = joined(dynamic)
	return ix, ix.index()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// location is a folder on the path: on disk, or inside a zip archive.
type location struct {
	dir string   // on disk: the folder; in a zip: the archive
	zip *zipTree // nil on disk
	in  string   // in a zip: the folder inside it ("" for its root)
}

func (l location) join(name string) location {
	if l.zip != nil {
		return location{dir: l.dir, zip: l.zip, in: path.Join(l.in, name)}
	}
	return location{dir: filepath.Join(l.dir, name)}
}

// file is the path a module's file has (for distribution records).
func (l location) file(name string) string {
	if l.zip != nil {
		return ""
	}
	return filepath.Join(l.dir, name)
}

// listing is a folder's entries: name to whether it is a folder.
type listing map[string]bool

type zipTree struct{ dirs map[string]listing }

type found struct {
	kind    string
	file    string     // the source or package __init__ on disk
	source  bool       // file is Python source
	subdirs []location // where submodules are looked for
	names   []string
	info    module.Info
	dynamic bool
	read    bool
}

type scanner struct {
	ext      []string
	prefixes []string
	mods     map[string]*found
	listings map[string]listing
	zips     map[string]*zipTree
}

// entry makes a sys.path entry a location: a folder, or a zip archive.
func (s *scanner) entry(p string) (location, bool) {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return location{}, false
	case fi.IsDir():
		return location{dir: p}, true
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		return location{}, false
	}
	defer zr.Close()
	t := &zipTree{dirs: map[string]listing{"": {}}}
	for _, f := range zr.File {
		name := strings.TrimSuffix(f.Name, "/")
		isDir := strings.HasSuffix(f.Name, "/")
		for name != "" && name != "." {
			dir, base := path.Split(name)
			dir = strings.TrimSuffix(dir, "/")
			if t.dirs[dir] == nil {
				t.dirs[dir] = listing{}
			}
			t.dirs[dir][base] = t.dirs[dir][base] || isDir
			name, isDir = dir, true
		}
	}
	s.zips[p] = t
	return location{dir: p, zip: t}, true
}

func (s *scanner) list(l location) listing {
	if l.zip != nil {
		return l.zip.dirs[l.in]
	}
	if ls, ok := s.listings[l.dir]; ok {
		return ls
	}
	ls := listing{}
	if des, err := os.ReadDir(l.dir); err == nil {
		for _, de := range des {
			isDir := de.IsDir()
			if de.Type()&fs.ModeSymlink != 0 {
				if fi, err := os.Stat(filepath.Join(l.dir, de.Name())); err == nil {
					isDir = fi.IsDir()
				} else {
					continue
				}
			}
			ls[de.Name()] = isDir
		}
	}
	s.listings[l.dir] = ls
	return ls
}

// identifier: a name an import statement can spell (ASCII).
func identifier(s string) bool { return module.Identifier(s) }

// candidates are the names that may be modules in the locations.
func (s *scanner) candidates(locs []location) []string {
	set := map[string]bool{}
	for _, l := range locs {
		for name, isDir := range s.list(l) {
			if isDir {
				if identifier(name) {
					set[name] = true
				}
				continue
			}
			for _, suf := range s.suffixes() {
				if base, ok := strings.CutSuffix(name, suf); ok && identifier(base) {
					set[base] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// suffixes are the module file endings in the order the import system
// tries them: compiled, source, bytecode.
func (s *scanner) suffixes() []string { return append(slices.Clone(s.ext), ".py", ".pyc") }

// find resolves name in the locations as CPython's path finder does: the
// first location holding a package or a module file wins; folders without
// __init__ only make a namespace package when no location has either.
func (s *scanner) find(name string, locs []location) *found {
	var portions []location
	for _, l := range locs {
		ls := s.list(l)
		if isDir, ok := ls[name]; ok && isDir {
			dir := l.join(name)
			inner := s.list(dir)
			for _, suf := range s.suffixes() {
				if isDir, ok := inner["__init__"+suf]; ok && !isDir {
					f := &found{kind: KindPackage, file: dir.file("__init__" + suf), source: suf == ".py", subdirs: []location{dir}}
					if dir.zip != nil {
						f.source = false
					}
					return f
				}
			}
			portions = append(portions, dir)
		}
		for i, suf := range s.suffixes() {
			if isDir, ok := ls[name+suf]; ok && !isDir {
				kind := KindExtension
				switch {
				case suf == ".py":
					kind = KindModule
				case suf == ".pyc" && i == len(s.ext)+1:
					kind = KindBytecode
				}
				return &found{kind: kind, file: l.file(name + suf), source: kind == KindModule && l.zip == nil}
			}
		}
	}
	if len(portions) > 0 {
		return &found{kind: KindNamespace, subdirs: portions}
	}
	return nil
}

// walk finds every module below parent ("" for the top level) in locs.
func (s *scanner) walk(parent string, locs []location, depth int) error {
	return s.walkFrom(parent, locs, depth, map[string]bool{})
}

// walkFrom is walk with the folders on the way down (by device and inode):
// a package folder that is one of them (a symlink back up) is a module,
// not a way into an endless tree.
func (s *scanner) walkFrom(parent string, locs []location, depth int, above map[string]bool) error {
	if depth > maxDepth {
		return nil
	}
	for _, name := range s.candidates(locs) {
		full := name
		if parent != "" {
			full = parent + "." + name
		}
		if _, ok := s.mods[full]; ok && parent == "" {
			continue // builtin or frozen: found before the path
		}
		f := s.find(name, locs)
		if f == nil {
			continue
		}
		if len(s.mods) >= maxModules {
			return fmt.Errorf("more than %d modules: not a Python environment this index can hold", maxModules)
		}
		s.mods[full] = f
		if len(f.subdirs) == 0 {
			continue
		}
		ids, loop := folderIDs(f.subdirs, above)
		if loop {
			continue
		}
		for _, id := range ids {
			above[id] = true
		}
		err := s.walkFrom(full, f.subdirs, depth+1, above)
		for _, id := range ids {
			delete(above, id)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// folderIDs identifies the folders on disk among locs, and says whether one
// of them is already in above.
func folderIDs(locs []location, above map[string]bool) ([]string, bool) {
	var ids []string
	for _, l := range locs {
		if l.zip != nil {
			continue
		}
		fi, err := os.Stat(l.dir)
		if err != nil {
			continue
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			continue
		}
		id := fmt.Sprintf("%d:%d", st.Dev, st.Ino)
		if above[id] {
			return nil, true
		}
		ids = append(ids, id)
	}
	return ids, false
}

// underPrefix says whether name's names are read.
func (s *scanner) underPrefix(name string) bool {
	for _, p := range s.prefixes {
		if name == p || strings.HasPrefix(name, p+".") {
			return true
		}
	}
	return false
}

// readNames reads the names of the modules under the prefixes (in
// parallel), then follows their star imports.
func (s *scanner) readNames() {
	var work []*found
	for name, f := range s.mods {
		if !s.underPrefix(name) {
			continue
		}
		f.read = true
		switch {
		case f.kind == KindNamespace:
			f.info = module.Info{}
		case !f.source:
			f.info = module.Info{Dynamic: true}
		default:
			work = append(work, f)
		}
	}
	ch := make(chan *found)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range ch {
				src, err := readBounded(f.file, maxSourceSize)
				if err != nil {
					f.info = module.Info{Dynamic: true, Failed: true}
					continue
				}
				f.info = module.Names(src)
				if f.info.Failed {
					f.info.Dynamic = true
				}
			}
		}()
	}
	for _, f := range work {
		ch <- f
	}
	close(ch)
	wg.Wait()
	// In name order: a cycle of star imports resolves the same way every
	// time (and as the script does).
	names := make([]string, 0, len(s.mods))
	for name, f := range s.mods {
		if f.read {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	done := map[string]bool{}
	for _, name := range names {
		s.resolveStars(name, s.mods[name], done, map[string]bool{})
	}
}

// resolveStars sets f.names: its own names and what its star imports bring
// (a module's __all__, or its public names); a star import of a module
// whose names are not read makes f dynamic.
func (s *scanner) resolveStars(name string, f *found, done, visiting map[string]bool) {
	if done[name] {
		return
	}
	if visiting[name] {
		f.dynamic = true // a cycle: what it brings is not settled statically
		return
	}
	visiting[name] = true
	set := map[string]bool{}
	for _, n := range f.info.Names {
		set[n] = true
	}
	f.dynamic = f.dynamic || f.info.Dynamic
	for _, star := range f.info.Stars {
		src := absolute(name, f.kind == KindPackage, star)
		g, ok := s.mods[src]
		if !ok || !g.read {
			f.dynamic = true
			continue
		}
		s.resolveStars(src, g, done, visiting)
		if g.dynamic {
			f.dynamic = true
		}
		for _, n := range exported(g) {
			set[n] = true
		}
	}
	f.names = make([]string, 0, len(set))
	for n := range set {
		f.names = append(f.names, n)
	}
	sort.Strings(f.names)
	done[name] = true
	delete(visiting, name)
}

// exported is what a star import of the module brings.
func exported(g *found) []string {
	if g.info.All != nil {
		return g.info.All
	}
	var out []string
	for _, n := range g.names {
		if !strings.HasPrefix(n, "_") {
			out = append(out, n)
		}
	}
	return out
}

// absolute resolves a (possibly relative) module name imported in module
// name (a package when isPackage).
func absolute(name string, isPackage bool, mod string) string {
	level := len(mod) - len(strings.TrimLeft(mod, "."))
	if level == 0 {
		return mod
	}
	pkg := name
	if !isPackage {
		pkg, _, _ = cutLastDot(name)
	}
	for range level - 1 {
		pkg, _, _ = cutLastDot(pkg)
	}
	rest := mod[level:]
	switch {
	case pkg == "":
		return rest
	case rest == "":
		return pkg
	}
	return pkg + "." + rest
}

func cutLastDot(s string) (string, string, bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", s, false
	}
	return s[:i], s[i+1:], true
}

func readBounded(name string, most int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > most {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, most)
	}
	b := make([]byte, fi.Size())
	_, err = io.ReadFull(f, b)
	return b, err
}

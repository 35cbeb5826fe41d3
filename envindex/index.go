// Package envindex describes a Python environment for validate --env: which
// modules import, from which distributions, and for modules under
// configured prefixes (airflow by default) which names they define. It is
// built by scanning the environment's sys.path statically (nothing is
// imported), from an interpreter's own sys.path (Capture with Python), from
// site folders copied out of an image (Sites), or inside the image by the
// script Script returns; all three give the same index.
package envindex

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
)

// Format is the version of the index format.
const Format = 1

// Module kinds.
const (
	KindModule    = "module"    // a .py file
	KindPackage   = "package"   // a folder with __init__
	KindNamespace = "namespace" // folders without __init__, merged (PEP 420)
	KindExtension = "extension" // a compiled module (an ABI-tagged .so)
	KindBytecode  = "bytecode"  // a .pyc without source
	KindBuiltin   = "builtin"   // compiled into the interpreter, or frozen
	KindStdlib    = "stdlib"    // standard library, known by name only (a capture without interpreter)
)

// Index is one environment. Its JSON is laid out to load fast: the module
// names of each kind are one string, sorted and joined by newlines, and a
// module's names one string joined by spaces (a 20,000-module environment
// loads in milliseconds, not the tenth of a second a record per module
// takes).
type Index struct {
	Format int `json:"format"`
	// Python is the interpreter's version ("3.12.3"; "3.12" when given
	// without one).
	Python string `json:"python"`
	// Platform is the interpreter's platform tag (linux-x86_64), and
	// ExtensionSuffixes the file name endings of its compiled modules.
	Platform          string   `json:"platform,omitempty"`
	ExtensionSuffixes []string `json:"extension_suffixes"`
	// SysPath is where the modules were looked for, in order.
	SysPath []string `json:"sys_path"`
	// Prefixes are the module name prefixes whose names were read.
	Prefixes      []string       `json:"prefixes"`
	Distributions []Distribution `json:"distributions"`
	// Modules maps a kind to the modules of that kind (every importable
	// module is in one), sorted, joined by newlines.
	Modules map[string]string `json:"modules"`
	// Names maps each module whose names were read (those under a prefix)
	// to the names its top level binds, star imports followed, sorted,
	// joined by spaces.
	Names map[string]string `json:"names"`
	// Dynamic lists the read modules where more names resolve (a
	// module-level __getattr__, a lazy-import table, a star import of
	// something unknown, a compiled module, a module that does not parse),
	// sorted, joined by newlines.
	Dynamic string `json:"dynamic"`

	kind, dist map[string]string
	dynamic    map[string]bool
	// fileHash identifies the file it was read from (Parse).
	fileHash string
}

// Distribution is one installed distribution and the modules whose files
// it installed (sorted, joined by newlines).
type Distribution struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Modules string `json:"modules,omitempty"`
}

// Module is one importable module, as Lookup returns it.
type Module struct {
	Name string
	Kind string
	// Dist is the distribution whose files hold it, when known.
	Dist string
	// Names, when Read (the module is under a prefix), are the names its
	// top level binds; Dynamic says more resolve.
	Names   []string
	Read    bool
	Dynamic bool
}

// lines splits a newline-joined list ("" is none).
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// index builds the lookup maps; a list out of order is an error (it was
// not written by a capture).
func (ix *Index) index() error {
	n := 0
	for _, v := range ix.Modules {
		n += strings.Count(v, "\n") + 1
	}
	ix.kind = make(map[string]string, n)
	for k, v := range ix.Modules {
		prev := ""
		for _, m := range lines(v) {
			if m <= prev {
				return fmt.Errorf("the %s modules are not sorted; capture it again", k)
			}
			ix.kind[m], prev = k, m
		}
	}
	ix.dist = map[string]string{}
	for _, d := range ix.Distributions {
		for _, m := range lines(d.Modules) {
			ix.dist[m] = d.Name
		}
	}
	ix.dynamic = map[string]bool{}
	for _, m := range lines(ix.Dynamic) {
		ix.dynamic[m] = true
	}
	return nil
}

// Count is how many modules the index holds.
func (ix *Index) Count() int { return len(ix.kind) }

// MaxIndex bounds the size of an index file, compressed or not.
const MaxIndex = 64 << 20

// Load reads an index written by Write (plain or gzip JSON).
func Load(path string) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = io.LimitReader(f, MaxIndex+1)
	br := make([]byte, 2)
	n, _ := io.ReadFull(f, br)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if n == 2 && br[0] == 0x1f && br[1] == 0x8b {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		r = io.LimitReader(zr, MaxIndex+1)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(b) > MaxIndex {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, MaxIndex>>20)
	}
	return Parse(b)
}

// Parse decodes and checks an index.
func Parse(b []byte) (*Index, error) {
	var ix Index
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ix); err != nil {
		return nil, fmt.Errorf("not an environment index (dagnfs env capture makes one): %v", err)
	}
	if ix.Format != Format {
		return nil, fmt.Errorf("index format %d is not known to this dagnfs (it reads %d); capture it again", ix.Format, Format)
	}
	if _, ok := ix.Minor(); !ok {
		return nil, fmt.Errorf("python %q is not a Python 3 version", ix.Python)
	}
	for k := range ix.Modules {
		if !slices.Contains(kinds, k) {
			return nil, fmt.Errorf("unknown module kind %q; capture it again", k)
		}
	}
	if err := ix.index(); err != nil {
		return nil, err
	}
	h := sha256.Sum256(b)
	ix.fileHash = hex.EncodeToString(h[:8])
	return &ix, nil
}

var kinds = []string{KindModule, KindPackage, KindNamespace, KindExtension, KindBytecode, KindBuiltin, KindStdlib}

// Minor is the Python 3 minor version.
func (ix *Index) Minor() (int, bool) {
	rest, ok := strings.CutPrefix(ix.Python, "3.")
	if !ok {
		return 0, false
	}
	m := 0
	for i, r := range rest {
		if r == '.' && i > 0 {
			break
		}
		if r < '0' || r > '9' || m > 100 {
			return 0, false
		}
		m = m*10 + int(r-'0')
	}
	return m, rest != ""
}

// PythonVersion is "3.X".
func (ix *Index) PythonVersion() string {
	m, _ := ix.Minor()
	return fmt.Sprintf("3.%d", m)
}

// Encode writes the index as JSON, gzipped when gz.
func (ix *Index) Encode(w io.Writer, gz bool) error {
	b, err := json.MarshalIndent(ix, "", " ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if !gz {
		_, err = w.Write(b)
		return err
	}
	zw := gzip.NewWriter(w)
	if _, err := zw.Write(b); err != nil {
		return err
	}
	return zw.Close()
}

// FileHash identifies the index by the bytes of the file it was read from
// (no second encoding); by Hash for an index made here.
func (ix *Index) FileHash() string {
	if ix.fileHash != "" {
		return ix.fileHash
	}
	return ix.Hash()
}

// Hash identifies the index's content, however it was written.
func (ix *Index) Hash() string {
	b, _ := json.Marshal(ix)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// Lookup returns the module called name.
func (ix *Index) Lookup(name string) (Module, bool) {
	k, ok := ix.kind[name]
	if !ok {
		return Module{}, false
	}
	m := Module{Name: name, Kind: k, Dist: ix.dist[name], Dynamic: ix.dynamic[name]}
	if names, ok := ix.Names[name]; ok {
		m.Read = true
		if names != "" {
			m.Names = strings.Split(names, " ")
		}
	}
	return m, true
}

// All lists every module, sorted by name.
func (ix *Index) All() []Module {
	names := make([]string, 0, len(ix.kind))
	for n := range ix.kind {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]Module, len(names))
	for i, n := range names {
		out[i], _ = ix.Lookup(n)
	}
	return out
}

// Defining returns the modules under prefix that bind name, best first:
// fewest dots, then by name.
func (ix *Index) Defining(prefix, name string) []Module {
	var out []Module
	for mod, names := range ix.Names {
		if !(mod == prefix || strings.HasPrefix(mod, prefix+".")) || strings.HasSuffix(mod, ".__init__") {
			continue
		}
		if slices.Contains(strings.Split(names, " "), name) {
			m, _ := ix.Lookup(mod)
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := strings.Count(out[i].Name, "."), strings.Count(out[j].Name, ".")
		if di != dj {
			return di < dj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

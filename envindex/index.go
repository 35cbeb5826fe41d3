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
	"errors"
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

// Index is one environment.
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
	// Modules are every importable module, sorted by name.
	Modules []Module `json:"modules"`
}

// Distribution is one installed distribution.
type Distribution struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Module is one importable module.
type Module struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Dist is the distribution whose files hold it, when known.
	Dist string `json:"dist,omitempty"`
	// Names, for modules under a prefix, are the names its top level
	// binds (star imports followed); Dynamic says more resolve (a
	// module-level __getattr__, a lazy-import table, a star import of
	// something unknown, a compiled module).
	Names   []string `json:"names,omitempty"`
	Dynamic bool     `json:"dynamic,omitempty"`
	// Read says Names were read (the module is under a prefix).
	Read bool `json:"read,omitempty"`
}

// MaxIndex bounds the size of an index file, compressed or not.
const MaxIndex = 256 << 20

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
	if !slices.IsSortedFunc(ix.Modules, func(a, b Module) int { return strings.Compare(a.Name, b.Name) }) {
		return nil, errors.New("the modules are not sorted by name; capture it again")
	}
	return &ix, nil
}

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

// Hash identifies the index's content (for the validation fingerprint).
func (ix *Index) Hash() string {
	b, _ := json.Marshal(ix)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// Lookup returns the module called name.
func (ix *Index) Lookup(name string) (Module, bool) {
	i := sort.Search(len(ix.Modules), func(i int) bool { return ix.Modules[i].Name >= name })
	if i < len(ix.Modules) && ix.Modules[i].Name == name {
		return ix.Modules[i], true
	}
	return Module{}, false
}

// Defining returns the modules under prefix that bind name, best first:
// fewest dots, then by name.
func (ix *Index) Defining(prefix, name string) []Module {
	var out []Module
	for _, m := range ix.Modules {
		if !m.Read || !(m.Name == prefix || strings.HasPrefix(m.Name, prefix+".")) || strings.HasSuffix(m.Name, ".__init__") {
			continue
		}
		if _, ok := slices.BinarySearch(m.Names, name); ok {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return strings.Count(out[i].Name, ".") < strings.Count(out[j].Name, ".")
	})
	return out
}

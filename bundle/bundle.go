package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Names in the published root.
const (
	// ManifestName is the manifest's name inside each snapshot.
	ManifestName  = ".airflow-bundle-manifest.json"
	SchemaVersion = 1
	versionPrefix = "sha256-"
	// MaxManifest bounds a manifest read back (about 100,000 files).
	MaxManifest = 32 << 20
	// MaxReference bounds a reference read back.
	MaxReference = 64 << 10
	// MaxFiles bounds the entries of one manifest.
	MaxFiles = 200_000
)

// VersionsDir is the folder of bundle's snapshots, relative to the
// published root.
func VersionsDir(bundle string) string { return "versions/" + bundle }

// VersionDir is the folder of one snapshot.
func VersionDir(bundle, version string) string { return VersionsDir(bundle) + "/" + version }

// RefPath is bundle's release reference.
func RefPath(bundle string) string { return "refs/" + bundle + "/latest.json" }

// CheckName reports a bundle name that cannot be one: it names folders of
// the published root, so letters, digits, "-", "_" and "." only, at most
// 64, not starting with "." or "_" (the format's own _locks and _state).
func CheckName(name string) error {
	if name == "" || len(name) > 64 || name[0] == '.' || name[0] == '_' || name[0] == '-' {
		return fmt.Errorf("bundle name %q: 1 to 64 characters, not starting with '.', '_' or '-'", name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("bundle name %q: only letters, digits, '-', '_' and '.'", name)
		}
	}
	return nil
}

// File is one file of a snapshot.
type File struct {
	Path       string `json:"path"`
	SHA256     string `json:"sha256"`
	Size       int64  `json:"size"`
	Executable bool   `json:"executable"`
}

// CheckPath reports a path that a snapshot cannot hold: not relative, not
// clean, with an empty or ".." part, not ASCII, or the manifest's name.
func CheckPath(p string) error {
	switch {
	case p == "" || strings.HasPrefix(p, "/") || path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("path %q is not a clean relative path", p)
	case p == ManifestName:
		return fmt.Errorf("path %q is the manifest's own name", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] >= 0x7f {
			return fmt.Errorf("path %q: a versioned bundle's paths are printable ASCII", p)
		}
	}
	return nil
}

// Version is the version of a snapshot holding files (in any order).
func Version(files []File) string {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	var b bytes.Buffer
	b.WriteString(`{"files":`)
	writeFiles(&b, sorted)
	b.WriteString(`,"schema_version":1}`)
	sum := sha256.Sum256(b.Bytes())
	return versionPrefix + hex.EncodeToString(sum[:])
}

// Manifest is a snapshot's .airflow-bundle-manifest.json.
type Manifest struct {
	BundleName string
	Version    string
	Files      []File // sorted by Path
}

// NewManifest is the manifest of bundle's snapshot holding files; the
// paths must pass CheckPath.
func NewManifest(bundle string, files []File) (*Manifest, error) {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	for i, f := range sorted {
		if err := CheckPath(f.Path); err != nil {
			return nil, err
		}
		if i > 0 && sorted[i-1].Path == f.Path {
			return nil, fmt.Errorf("path %q twice", f.Path)
		}
	}
	return &Manifest{BundleName: bundle, Version: Version(sorted), Files: sorted}, nil
}

// TotalSize is the sum of the files' sizes.
func (m *Manifest) TotalSize() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// Encode is the manifest's canonical JSON, as written.
func (m *Manifest) Encode() []byte {
	var b bytes.Buffer
	b.WriteString(`{"backend":{"type":"local"},"bundle_name":`)
	writeString(&b, m.BundleName)
	b.WriteString(`,"file_count":`)
	b.WriteString(strconv.Itoa(len(m.Files)))
	b.WriteString(`,"files":`)
	writeFiles(&b, m.Files)
	b.WriteString(`,"schema_version":1,"total_size":`)
	b.WriteString(strconv.FormatInt(m.TotalSize(), 10))
	b.WriteString(`,"version":`)
	writeString(&b, m.Version)
	b.WriteString(`}`)
	return b.Bytes()
}

// Digest is the manifest's digest as a reference records it.
func (m *Manifest) Digest() string {
	sum := sha256.Sum256(m.Encode())
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Reference is refs/<bundle>/latest.json.
type Reference struct {
	BundleName     string
	Version        string
	ManifestDigest string // "sha256:<hex>"
	FileCount      int
	TotalSize      int64
}

// NewReference is the reference that releases m.
func NewReference(m *Manifest) Reference {
	return Reference{BundleName: m.BundleName, Version: m.Version, ManifestDigest: m.Digest(), FileCount: len(m.Files), TotalSize: m.TotalSize()}
}

// Encode is the reference's canonical JSON, as written.
func (r Reference) Encode() []byte {
	var b bytes.Buffer
	b.WriteString(`{"backend":{"type":"local"},"bundle_name":`)
	writeString(&b, r.BundleName)
	b.WriteString(`,"file_count":`)
	b.WriteString(strconv.Itoa(r.FileCount))
	b.WriteString(`,"manifest":{"path":`)
	writeString(&b, ManifestName)
	b.WriteString(`,"sha256":`)
	writeString(&b, r.ManifestDigest)
	b.WriteString(`},"schema_version":1,"total_size":`)
	b.WriteString(strconv.FormatInt(r.TotalSize, 10))
	b.WriteString(`,"version":`)
	writeString(&b, r.Version)
	b.WriteString(`}`)
	return b.Bytes()
}

func writeFiles(b *bytes.Buffer, files []File) {
	b.WriteByte('[')
	for i, f := range files {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"executable":`)
		b.WriteString(strconv.FormatBool(f.Executable))
		b.WriteString(`,"path":`)
		writeString(b, f.Path)
		b.WriteString(`,"sha256":`)
		writeString(b, f.SHA256)
		b.WriteString(`,"size":`)
		b.WriteString(strconv.FormatInt(f.Size, 10))
		b.WriteByte('}')
	}
	b.WriteByte(']')
}

// writeString writes s as Python's json.dumps does (ensure_ascii: every
// character beyond ASCII as \uXXXX, surrogate pairs beyond the BMP).
func writeString(b *bytes.Buffer, s string) {
	const hexdigits = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || (r >= 0x7f && r < 0x10000):
			b.WriteString(`\u`)
			b.WriteByte(hexdigits[r>>12&0xf])
			b.WriteByte(hexdigits[r>>8&0xf])
			b.WriteByte(hexdigits[r>>4&0xf])
			b.WriteByte(hexdigits[r&0xf])
		case r >= 0x10000:
			r -= 0x10000
			for _, u := range []rune{0xd800 + r>>10, 0xdc00 + r&0x3ff} {
				b.WriteString(`\u`)
				b.WriteByte(hexdigits[u>>12&0xf])
				b.WriteByte(hexdigits[u>>8&0xf])
				b.WriteByte(hexdigits[u>>4&0xf])
				b.WriteByte(hexdigits[u&0xf])
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// FormatError is a manifest or reference that fails the consumer's checks.
type FormatError struct {
	What string // "manifest" or "reference"
	Err  error
}

func (e *FormatError) Error() string { return fmt.Sprintf("bundle %s: %v", e.What, e.Err) }
func (e *FormatError) Unwrap() error { return e.Err }

// wireHeader is what a manifest and a reference both begin with.
type wireHeader struct {
	SchemaVersion *int                   `json:"schema_version"`
	BundleName    string                 `json:"bundle_name"`
	Version       string                 `json:"version"`
	Backend       *struct{ Type string } `json:"backend"`
}

// check makes the consumer's checks of the header, for bundle.
func (h wireHeader) check(bundle string) error {
	switch {
	case h.SchemaVersion == nil || *h.SchemaVersion != SchemaVersion:
		return fmt.Errorf("schema_version is not %d", SchemaVersion)
	case h.BundleName != bundle:
		return fmt.Errorf("bundle_name is %q, not %q", h.BundleName, bundle)
	case !IsVersion(h.Version):
		return fmt.Errorf("version %q is not sha256-<64 hex digits>", h.Version)
	case h.Backend == nil || h.Backend.Type != "local":
		return errors.New("backend is not local")
	}
	return nil
}

// header is the header of what embeds it.
func (h wireHeader) header() wireHeader { return h }

// decode reads data, of at most max bytes, into w (a manifest or a
// reference) and checks its header for bundle.
func decode(data []byte, max int, bundle string, w interface{ header() wireHeader }) error {
	if len(data) > max {
		return fmt.Errorf("%d bytes, more than %d", len(data), max)
	}
	if err := json.Unmarshal(data, w); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	return w.header().check(bundle)
}

type wireManifest struct {
	wireHeader
	FileCount *int   `json:"file_count"`
	TotalSize *int64 `json:"total_size"`
	Files     []File `json:"files"`
}

// ParseManifest reads a manifest of bundle's and makes the consumer's
// checks.
func ParseManifest(data []byte, bundle string) (*Manifest, error) {
	bad := func(format string, args ...any) error {
		return &FormatError{What: "manifest", Err: fmt.Errorf(format, args...)}
	}
	var w wireManifest
	if err := decode(data, MaxManifest, bundle, &w); err != nil {
		return nil, bad("%v", err)
	}
	switch {
	case len(w.Files) > MaxFiles:
		return nil, bad("%d files, more than %d", len(w.Files), MaxFiles)
	case w.FileCount == nil || *w.FileCount != len(w.Files):
		return nil, bad("file_count does not match the %d entries", len(w.Files))
	}
	var total int64
	for i, f := range w.Files {
		if err := CheckPath(f.Path); err != nil {
			return nil, bad("%v", err)
		}
		if i > 0 && w.Files[i-1].Path >= f.Path {
			return nil, bad("files are not sorted by path with no duplicates (%q)", f.Path)
		}
		if !isHex(f.SHA256, 64) {
			return nil, bad("%s: sha256 %q is not 64 lowercase hex digits", f.Path, f.SHA256)
		}
		if f.Size < 0 || f.Size > 1<<50 {
			return nil, bad("%s: size %d out of range", f.Path, f.Size)
		}
		total += f.Size
	}
	if w.TotalSize == nil || *w.TotalSize != total {
		return nil, bad("total_size does not match the entries' %d bytes", total)
	}
	m := &Manifest{BundleName: w.BundleName, Version: w.Version, Files: w.Files}
	if v := Version(m.Files); v != m.Version {
		return nil, bad("version %s is not the %s its entries give", m.Version, v)
	}
	return m, nil
}

type wireReference struct {
	wireHeader
	Manifest *struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256"`
	} `json:"manifest"`
	FileCount *int   `json:"file_count"`
	TotalSize *int64 `json:"total_size"`
}

// ParseReference reads a reference of bundle's and makes the consumer's
// checks of it alone (Check compares it with its manifest).
func ParseReference(data []byte, bundle string) (*Reference, error) {
	bad := func(format string, args ...any) error {
		return &FormatError{What: "reference", Err: fmt.Errorf(format, args...)}
	}
	var w wireReference
	if err := decode(data, MaxReference, bundle, &w); err != nil {
		return nil, bad("%v", err)
	}
	switch {
	case w.Manifest == nil || w.Manifest.Path != ManifestName || !strings.HasPrefix(w.Manifest.SHA256, "sha256:") || !isHex(strings.TrimPrefix(w.Manifest.SHA256, "sha256:"), 64):
		return nil, bad("manifest is not {path: %s, sha256: sha256:<hex>}", ManifestName)
	case w.FileCount == nil || *w.FileCount < 0 || w.TotalSize == nil || *w.TotalSize < 0:
		return nil, bad("file_count or total_size missing")
	}
	return &Reference{BundleName: w.BundleName, Version: w.Version, ManifestDigest: w.Manifest.SHA256, FileCount: *w.FileCount, TotalSize: *w.TotalSize}, nil
}

// Check reports where a reference and the manifest it names disagree.
func (r *Reference) Check(m *Manifest) error {
	switch {
	case r.Version != m.Version:
		return &FormatError{What: "reference", Err: fmt.Errorf("names version %s, its manifest says %s", r.Version, m.Version)}
	case r.ManifestDigest != m.Digest():
		return &FormatError{What: "reference", Err: fmt.Errorf("manifest digest %s is not the manifest's %s", r.ManifestDigest, m.Digest())}
	case r.FileCount != len(m.Files) || r.TotalSize != m.TotalSize():
		return &FormatError{What: "reference", Err: fmt.Errorf("file_count %d and total_size %d are not the manifest's %d and %d", r.FileCount, r.TotalSize, len(m.Files), m.TotalSize())}
	}
	return nil
}

// IsVersion reports whether v has a version's form.
func IsVersion(v string) bool {
	return strings.HasPrefix(v, versionPrefix) && isHex(strings.TrimPrefix(v, versionPrefix), 64)
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

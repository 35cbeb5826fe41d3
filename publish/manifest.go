package publish

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/perms"
)

// Where dagnfs keeps its records on the export.
const (
	MetaDir      = ".dagnfs"
	ManifestPath = ".dagnfs/manifest.json"
	LockPath     = ".dagnfs/lock"
	JournalPath  = ".dagnfs/journal.json"
	HistoryDir   = ".dagnfs/history"
	ObjectsDir   = ".dagnfs/objects"

	metaMode   = fs.ModeDir | 0o755
	hiddenMode = fs.ModeDir | 0o300 // create, look up, rename; no listing
	maxMeta    = 256 << 20
)

// Manifest records one generation: what dagnfs published and where it came from.
type Manifest struct {
	Format      int       `json:"format"`
	Generation  int       `json:"generation"`
	Action      string    `json:"action"` // "publish" or "rollback"
	PublishedAt time.Time `json:"published_at"`
	PublishedBy Who       `json:"published_by"`
	Label       string    `json:"label,omitempty"`
	Tool        string    `json:"tool"`
	// Checked is the validation fingerprint (validate.Report.Fingerprint)
	// that every listed file passed; a later publish with the same one
	// reuses what each entry records instead of checking its bytes again.
	Checked string  `json:"checked,omitempty"`
	Files   []Entry `json:"files"`
}

// Who published.
type Who struct {
	Host string `json:"host"`
	User string `json:"user"`
	UID  int    `json:"uid"`
}

// Entry is one published file.
type Entry struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Mode   Mode   `json:"mode"`
	// ModTime is the file's mtime on the export when it was published
	// (verify --quick compares it).
	ModTime time.Time `json:"mtime,omitzero"`
	// What validation found in the file: its DAGs, and whether safe mode
	// skips it.
	DAGs            []EntryDAG `json:"dags,omitempty"`
	SafeModeSkipped bool       `json:"safe_mode_skipped,omitempty"`
}

// EntryDAG is one DAG a published file defines.
type EntryDAG struct {
	ID   string `json:"dag_id"`
	Line int    `json:"line"`
	// Member is the module inside a zip archive that defines it.
	Member string `json:"member,omitempty"`
}

// Mode is a permission mode written in octal ("0644") in JSON.
type Mode fs.FileMode

// MarshalJSON implements json.Marshaler.
func (m Mode) MarshalJSON() ([]byte, error) {
	return json.Marshal(fmt.Sprintf("%04o", fs.FileMode(m).Perm()))
}

// UnmarshalJSON implements json.Unmarshaler.
func (m *Mode) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("mode must be an octal string like \"0644\"")
	}
	mode, err := perms.ParseMode(s)
	if err != nil {
		return err
	}
	*m = Mode(mode)
	return nil
}

// ManifestError: the manifest on the export cannot be trusted.
type ManifestError struct {
	Path string
	Err  error
}

func (e *ManifestError) Error() string {
	return fmt.Sprintf("%s is corrupt: %v; dagnfs cannot tell which files it owns. Move it aside (files it listed are then treated as placed by hand and never deleted) and publish again", e.Path, e.Err)
}

func (e *ManifestError) Unwrap() error { return e.Err }

// ReadManifest reads the manifest at name; a missing one is generation 0.
func ReadManifest(ctx context.Context, d nfs.Dest, name string) (*Manifest, error) {
	b, err := d.ReadFile(ctx, name, maxMeta)
	if errors.Is(err, fs.ErrNotExist) {
		return &Manifest{Format: 1}, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseManifest(name, b)
}

// ParseManifest decodes and checks a manifest.
func ParseManifest(name string, b []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&m); err != nil {
		return nil, &ManifestError{name, fmt.Errorf("not valid JSON: %v", err)}
	}
	if m.Format != 1 {
		return nil, &ManifestError{name, fmt.Errorf("format %d is not known to this dagnfs (it writes 1)", m.Format)}
	}
	if m.Generation < 1 {
		return nil, &ManifestError{name, fmt.Errorf("generation %d is not positive", m.Generation)}
	}
	seen := map[string]bool{}
	for _, e := range m.Files {
		if !cleanRel(e.Path) || strings.HasPrefix(e.Path, MetaDir+"/") || e.Path == MetaDir {
			return nil, &ManifestError{name, fmt.Errorf("file path %q is not a clean relative path", e.Path)}
		}
		if seen[e.Path] {
			return nil, &ManifestError{name, fmt.Errorf("file %q is listed twice", e.Path)}
		}
		seen[e.Path] = true
		if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != 32 {
			return nil, &ManifestError{name, fmt.Errorf("file %q has no valid sha256", e.Path)}
		}
		if e.Size < 0 {
			return nil, &ManifestError{name, fmt.Errorf("file %q has a negative size", e.Path)}
		}
	}
	return &m, nil
}

func cleanRel(p string) bool {
	return p != "" && !strings.HasPrefix(p, "/") && path.Clean(p) == p && p != "." &&
		!strings.HasPrefix(p, "../") && p != ".."
}

func (m *Manifest) index() map[string]Entry {
	idx := make(map[string]Entry, len(m.Files))
	for _, e := range m.Files {
		idx[e.Path] = e
	}
	return idx
}

func (m *Manifest) encode() []byte {
	slices.SortFunc(m.Files, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	b, _ := json.MarshalIndent(m, "", "  ")
	return append(b, '\n')
}

// historyName is where generation gen's manifest is kept.
func historyName(gen int) string { return fmt.Sprintf("%s/%08d.json", HistoryDir, gen) }

// objectName is where replaced content with this sha256 is kept.
func objectName(sum string) string { return ObjectsDir + "/" + sum }

// ReadHistory returns the kept generations' manifests, newest first.
func ReadHistory(ctx context.Context, d nfs.Dest) ([]*Manifest, error) {
	entries, err := d.ReadDir(ctx, HistoryDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Manifest
	for _, e := range entries {
		if !strings.HasSuffix(e.Name, ".json") || !e.IsRegular() {
			continue
		}
		m, err := ReadManifest(ctx, d, HistoryDir+"/"+e.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *Manifest) int { return b.Generation - a.Generation })
	return out, nil
}

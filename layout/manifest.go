package layout

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/dagnfs/dagnfs/bundle"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/perms"
)

// ManifestFormat is the manifest format this dagnfs writes and reads.
const ManifestFormat = 1

// Manifest records one generation: what dagnfs published and where it came from.
type Manifest struct {
	Format      int       `json:"format"`
	Generation  int       `json:"generation"`
	Action      string    `json:"action"` // "publish", "rollback" or "promote"
	PublishedAt time.Time `json:"published_at"`
	PublishedBy Who       `json:"published_by"`
	Label       string    `json:"label,omitempty"`
	// Uncommitted are the files that differed from the labelled commit
	// (the label then ends in -dirty), at most MaxUncommitted of them.
	Uncommitted []string `json:"uncommitted,omitempty"`
	// PromotedFrom says where a promoted generation's files came from
	// (dagnfs promote): the same bytes another destination served.
	PromotedFrom *Provenance `json:"promoted_from,omitempty"`
	Tool         string      `json:"tool"`
	// Checked is the validation fingerprint (validate.Report.Fingerprint)
	// that every listed file passed; a later publish with the same one
	// reuses what each entry records instead of checking its bytes again.
	Checked string `json:"checked,omitempty"`
	// Layout is Generations, or empty for InPlace (the manifests written
	// before there was a choice).
	Layout string `json:"layout,omitempty"`
	// Folder, in the generations layout, is the generation whose folder
	// holds these files: the generation itself, or an earlier one that a
	// rollback made current again.
	Folder int `json:"folder,omitempty"`
	// Bundle and Version, in the manifest-bundle layout: the bundle's name
	// and the version (sha256-...) whose snapshot holds these files.
	Bundle  string  `json:"bundle,omitempty"`
	Version string  `json:"version,omitempty"`
	Files   []Entry `json:"files"`
}

// MaxUncommitted bounds Manifest.Uncommitted.
const MaxUncommitted = 100

// OwnerString is an owner as Entry.Owner records it.
func OwnerString(uid, gid uint32) string { return fmt.Sprintf("%d:%d", uid, gid) }

// InGenerations says whether the manifest's files are in a generation
// folder.
func (m *Manifest) InGenerations() bool { return m.Layout == Generations }

// InBundle says whether the manifest's files are a versioned bundle's
// snapshot.
func (m *Manifest) InBundle() bool { return m.Layout == ManifestBundle }

// Root is the folder, relative to the export root, that holds the files.
func (m *Manifest) Root() string {
	switch {
	case m.InGenerations():
		return GenerationName(m.Folder)
	case m.InBundle() && m.Version != "":
		return "versions/" + m.Bundle + "/" + m.Version
	}
	return ""
}

// Provenance is the generation a promote copied: where it was served,
// which generation (or version), its label, who published it when.
type Provenance struct {
	From        string    `json:"from"`
	Generation  int       `json:"generation"`
	Version     string    `json:"version,omitempty"`
	Label       string    `json:"label,omitempty"`
	PublishedBy Who       `json:"published_by"`
	PublishedAt time.Time `json:"published_at"`
}

// Who published.
type Who struct {
	Host string `json:"host"`
	User string `json:"user"`
	UID  int    `json:"uid"`
	// Via says how the publish was started: "terminal", "ci",
	// "unattended" (cron, a script), or what DAGNFS_VIA named (the
	// shipped CronJob sets "cronjob/NAMESPACE/NAME").
	Via string `json:"via,omitempty"`
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
	// FileID is the file's id (inode number) on the export when it was
	// published: a file replaced by someone else has another.
	FileID uint64 `json:"fileid,omitempty"`
	// Owner is the file's owner on the export when it was published,
	// "UID:GID" (as the server reports it: root squash included).
	Owner string `json:"owner,omitempty"`
	// Linked: promote linked this file from its FROM (Manifest.PromotedFrom),
	// whose very file it is.
	Linked bool `json:"linked,omitempty"`
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

var errTooLarge = fmt.Errorf("larger than %d MiB, the most dagnfs reads (about 50,000 files; split the DAG folder over several exports)", MaxManifest>>20)

// ManifestError: a manifest on the export cannot be trusted.
type ManifestError struct {
	Path string
	Err  error
}

func (e *ManifestError) Error() string {
	return fmt.Sprintf("%s is corrupt: %v", e.Path, e.Err)
}

func (e *ManifestError) Unwrap() error { return e.Err }

// ReadManifest reads the manifest at name; a missing one is generation 0. A
// manifest that is not a regular file, is larger than MaxManifest or does not
// decode is a *ManifestError.
func ReadManifest(ctx context.Context, d nfs.Dest, name string) (*Manifest, error) {
	b, err := d.ReadFile(ctx, name, MaxManifest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &Manifest{Format: ManifestFormat}, nil
	case errors.Is(err, nfs.ErrTooLarge):
		return nil, &ManifestError{name, errTooLarge}
	case errors.Is(err, nfs.ErrNotRegular):
		return nil, &ManifestError{name, errors.New("not a regular file")}
	case err != nil:
		return nil, err
	}
	return ParseManifest(name, b)
}

// ParseManifest decodes and checks a manifest read from name.
func ParseManifest(name string, b []byte) (*Manifest, error) {
	if len(b) > MaxManifest {
		return nil, &ManifestError{name, errTooLarge}
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return nil, &ManifestError{name, fmt.Errorf("not valid JSON: %v", err)}
	}
	if dec.More() {
		return nil, &ManifestError{name, errors.New("more than one JSON document")}
	}
	if err := m.check(); err != nil {
		return nil, &ManifestError{name, err}
	}
	return &m, nil
}

func (m *Manifest) check() error {
	if m.Format != ManifestFormat {
		return fmt.Errorf("format %d is not known to this dagnfs (it writes %d)", m.Format, ManifestFormat)
	}
	if m.Generation < 1 || m.Generation > MaxGeneration {
		return fmt.Errorf("generation %d is not from 1 to %d", m.Generation, MaxGeneration)
	}
	switch m.Layout {
	case "", InPlace:
		if m.Folder != 0 {
			return fmt.Errorf("folder %d in the in-place layout", m.Folder)
		}
	case Generations:
		if m.Folder < 1 || m.Folder > m.Generation {
			return fmt.Errorf("folder %d is not from 1 to the generation, %d", m.Folder, m.Generation)
		}
	case ManifestBundle:
		// The names become folders of the published root: checked as
		// the bundle format checks them.
		if m.Folder != 0 || bundle.CheckName(m.Bundle) != nil || !bundle.IsVersion(m.Version) {
			return fmt.Errorf("bundle %q, version %q: not a bundle's name and version", m.Bundle, m.Version)
		}
	default:
		return fmt.Errorf("layout %q is not known to this dagnfs (it knows %s, %s and %s)", m.Layout, InPlace, Generations, ManifestBundle)
	}
	if m.Layout != ManifestBundle && (m.Bundle != "" || m.Version != "") {
		return fmt.Errorf("bundle %q and version %q outside the %s layout", m.Bundle, m.Version, ManifestBundle)
	}
	seen := make(map[string]bool, len(m.Files))
	for _, e := range m.Files {
		if !CleanRel(e.Path) || IsMeta(e.Path) {
			return fmt.Errorf("file path %q is not a clean relative path outside %s", e.Path, Dir)
		}
		if seen[e.Path] {
			return fmt.Errorf("file %q is listed twice", e.Path)
		}
		seen[e.Path] = true
		if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != 32 {
			return fmt.Errorf("file %q has no valid sha256", e.Path)
		}
		if e.Size < 0 || e.Size > MaxFileSize {
			return fmt.Errorf("file %q has a size out of range (%d)", e.Path, e.Size)
		}
	}
	return nil
}

// Index maps each file's path to its entry.
func (m *Manifest) Index() map[string]Entry {
	idx := make(map[string]Entry, len(m.Files))
	for _, e := range m.Files {
		idx[e.Path] = e
	}
	return idx
}

// Encode sorts the files by path and returns the manifest as indented JSON.
func (m *Manifest) Encode() []byte {
	slices.SortFunc(m.Files, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	b, _ := json.MarshalIndent(m, "", "  ")
	return append(b, '\n')
}

// ReadHistory returns the kept manifests of generations below current,
// newest first. Only files named for their own generation count (HistoryName);
// anything else in the history folder is ignored, so that a planted file with
// another number can never make a publish forget real generations.
func ReadHistory(ctx context.Context, d nfs.Dest, current int) ([]*Manifest, error) {
	entries, err := d.ReadDir(ctx, HistoryDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Manifest
	for _, e := range entries {
		name := HistoryDir + "/" + e.Name
		var gen int
		if !e.IsRegular() || len(e.Name) > 32 {
			continue
		}
		if _, err := fmt.Sscanf(e.Name, "%d.json", &gen); err != nil || gen < 1 || gen > current || HistoryName(gen) != name {
			continue
		}
		m, err := ReadManifest(ctx, d, name)
		if err != nil {
			return nil, err
		}
		if m.Generation != gen {
			return nil, &ManifestError{name, fmt.Errorf("it records generation %d", m.Generation)}
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *Manifest) int { return b.Generation - a.Generation })
	return out, nil
}

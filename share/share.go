// Package share is one dags folder that several teams publish into: its
// marker, the teams' managed folders below it, and the rules between them.
//
// A share is the folder that holds the marker (MarkerName), written by
// `dagnfs share init`. Every folder below it that dagnfs manages (one that
// holds layout.Dir) is a team's, with no registration: the marker may name
// teams and their owners, but need not. Airflow requires a dag_id to be
// unique across the whole deployment, so a publish into a team's folder
// compares its dag_ids with what every other team's manifest records
// (Collisions), and is refused where it would contain or lie inside another
// team's folder (Overlap). Without a marker nothing of this applies:
// folders such as dev and prod on one export are independent.
package share

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

// MarkerName is the share marker at the share's root. A dotfile that is
// not Python: Airflow's scan passes it by.
const MarkerName = ".dagnfs-share.json"

// Limits on what is read back from a share.
const (
	// MaxMarker bounds the marker's size.
	MaxMarker = 256 << 10
	// MaxDepth is how deep below the share the walk looks for teams'
	// folders; MaxFolders how many folders it lists at most.
	MaxDepth   = 6
	MaxFolders = 10000
	// MaxTeams bounds the teams a marker may name.
	MaxTeams = 1000
)

// MarkerFormat is the marker's format.
const MarkerFormat = 1

// Marker is the share marker's content.
type Marker struct {
	Format    int        `json:"format"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy layout.Who `json:"created_by"`
	// Teams optionally names teams: a folder below the share, a name and
	// who owns it. A folder not listed is a team's all the same.
	Teams []Team `json:"teams,omitempty"`
}

// Team is what the marker may say of one team's folder.
type Team struct {
	Folder string   `json:"folder"`
	Name   string   `json:"name,omitempty"`
	Owners []string `json:"owners,omitempty"`
}

// ParseMarker decodes and checks a marker read from name.
func ParseMarker(name string, b []byte) (*Marker, error) {
	if len(b) > MaxMarker {
		return nil, fmt.Errorf("share marker %s: larger than %d bytes", name, MaxMarker)
	}
	var m Marker
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("share marker %s: %v (write it again with dagnfs share init)", name, err)
	}
	if m.Format != MarkerFormat {
		return nil, fmt.Errorf("share marker %s: format %d, this dagnfs reads %d (upgrade dagnfs)", name, m.Format, MarkerFormat)
	}
	if len(m.Teams) > MaxTeams {
		return nil, fmt.Errorf("share marker %s: more than %d teams", name, MaxTeams)
	}
	for _, t := range m.Teams {
		if err := checkFolder(t.Folder); err != nil {
			return nil, fmt.Errorf("share marker %s: team folder %q: %v", name, t.Folder, err)
		}
	}
	return &m, nil
}

// checkFolder: f is a relative path below the share, without "." or "..".
func checkFolder(f string) error {
	if f == "" || path.IsAbs(f) || path.Clean(f) != f || f == "." || strings.HasPrefix(f, "../") || f == ".." {
		return errors.New("not a folder below the share")
	}
	return nil
}

// Share is a share's root and the folder a command works on in it.
type Share struct {
	// Root is the share's folder.
	Root nfs.Dest
	// Marker is what its marker says.
	Marker *Marker
	// Dest is the folder worked on, relative to Root ("team-a").
	Dest string
	// Bundle is the versioned bundle published in Dest, in the
	// manifest-bundle layout ("": none): in a published root of bundles
	// each bundle is a team's.
	Bundle string
	// owned: Root was opened for the share (Close closes it).
	owned bool
}

// Close releases the share's root where it was opened for it.
func (s *Share) Close() error {
	if s == nil || !s.owned {
		return nil
	}
	return s.Root.Close()
}

// Refusal is what Init refuses to do, and why.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

// Init writes the marker at d's root. It refuses a folder dagnfs manages
// (a team's folder is below the share, not the share) and a folder that
// is already a share.
func Init(ctx context.Context, d nfs.Dest, who layout.Who, now time.Time) (*Marker, error) {
	if _, err := d.Stat(ctx, MarkerName); err == nil {
		return nil, &Refusal{fmt.Sprintf("%s is already a share (%s exists)", d, MarkerName)}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if _, err := d.Stat(ctx, layout.Dir); err == nil {
		return nil, &Refusal{fmt.Sprintf("%s is a folder dagnfs publishes into (it holds %s): a share is the folder above the teams' folders", d, layout.Dir)}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	m := &Marker{Format: MarkerFormat, CreatedAt: now.UTC(), CreatedBy: who}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	// Written as every file is (a temporary name, then a rename); the
	// temporary name is a dotfile, which Airflow's scan passes by.
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := MarkerName + "." + hex.EncodeToString(rnd[:]) + ".tmp"
	if err := nfs.WriteFile(ctx, d, tmp, MarkerName, append(b, '\n'), nfs.Attr{Mode: layout.FileMode, UID: -1, GID: -1}); err != nil {
		return nil, fmt.Errorf("writing %s in %s: %w", MarkerName, d, err)
	}
	return m, nil
}

// ReadMarker reads the marker at d's root: nil, nil where there is none.
func ReadMarker(ctx context.Context, d nfs.Dest) (*Marker, error) {
	b, err := d.ReadFile(ctx, MarkerName, MaxMarker)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, nfs.ErrTooLarge):
		return nil, fmt.Errorf("share marker %s in %s: larger than %d bytes", MarkerName, d, MaxMarker)
	case err != nil:
		return nil, fmt.Errorf("reading the share marker in %s: %w", d, err)
	}
	return ParseMarker(d.String()+"/"+MarkerName, b)
}

// Folder is one team's managed folder in a share, or one bundle of a
// published root of versioned bundles.
type Folder struct {
	// Path is the folder, relative to the share's root.
	Path string
	// Bundle names the bundle, in a published root of bundles.
	Bundle string
	// Manifest is what it serves (generation 0: nothing published yet);
	// nil where it could not be read (Err says why).
	Manifest *layout.Manifest
	Err      error
}

// Name is the folder (and bundle) as messages name it: "team-a",
// "bundle team-b" (a bundle at the share's root), "group (bundle team-b)".
func (f Folder) Name() string {
	switch {
	case f.Bundle == "":
		return f.Path
	case f.Path == "":
		return "bundle " + f.Bundle
	}
	return f.Path + " (bundle " + f.Bundle + ")"
}

// Team is what the marker names the folder, or the folder itself.
func (s *Share) Team(folder string) string {
	for _, t := range s.Marker.Teams {
		if t.Folder == folder && t.Name != "" {
			return t.Name
		}
	}
	return folder
}

// TeamOf is what messages call f's team: its bundle, or what the marker
// names its folder.
func (s *Share) TeamOf(f Folder) string {
	if f.Bundle != "" {
		return f.Bundle
	}
	return s.Team(f.Path)
}

// Folders lists the teams' managed folders below the share, in path
// order, each with its manifest: every folder that holds layout.Dir,
// found by a walk that does not enter them (a team's files are its own),
// nor dotted folders, nor symlinks, at most MaxDepth deep and MaxFolders
// folders listed.
func (s *Share) Folders(ctx context.Context) ([]Folder, error) {
	var out []Folder
	listed := 0
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if depth > MaxDepth {
			return nil
		}
		if listed++; listed > MaxFolders {
			return fmt.Errorf("share %s: more than %d folders to look through for teams' folders", s.Root, MaxFolders)
		}
		entries, err := s.Root.ReadDir(ctx, dir)
		if err != nil {
			return fmt.Errorf("listing %s in share %s: %w", nonEmpty(dir), s.Root, err)
		}
		managed := slices.ContainsFunc(entries, func(e nfs.FileInfo) bool { return e.Name == layout.Dir && e.IsDir() })
		if managed {
			sub := nfs.Sub(s.Root, dir)
			names, err := layout.Bundles(ctx, sub)
			if err != nil {
				return fmt.Errorf("listing the bundles of %s in share %s: %w", nonEmpty(dir), s.Root, err)
			}
			if len(names) > MaxTeams {
				return fmt.Errorf("share %s: %s holds more than %d bundles", s.Root, nonEmpty(dir), MaxTeams)
			}
			for _, n := range names {
				f := Folder{Path: dir, Bundle: n}
				f.Manifest, f.Err = layout.ReadManifest(ctx, layout.ForBundle(sub, n), layout.ManifestPath)
				out = append(out, f)
			}
			if len(names) == 0 && dir != "" {
				f := Folder{Path: dir}
				f.Manifest, f.Err = layout.ReadManifest(ctx, sub, layout.ManifestPath)
				out = append(out, f)
			}
			if len(names) > 0 || dir != "" {
				return nil
			}
		}
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name, ".") {
				if err := walk(path.Join(dir, e.Name), depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk("", 0); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Bundle < out[j].Bundle
	})
	return out, nil
}

func nonEmpty(dir string) string {
	if dir == "" {
		return "the root"
	}
	return dir
}

// Overlap is the refusal of a publish into dest (relative to the share)
// that would hold another team's folder or lie inside one, or into the
// share's root itself unless it publishes a bundle there (a published root
// of bundles, each a team's); "" where there is none.
func Overlap(dest, bundle string, folders []Folder) string {
	if dest == "" && bundle == "" {
		return "the share's root holds the teams' folders: publish into a folder below it (or a bundle, --layout manifest-bundle --bundle NAME)"
	}
	for _, f := range folders {
		switch {
		case f.Path == dest:
		case strings.HasPrefix(f.Path, dest+"/"):
			return fmt.Sprintf("%s holds %s, another team's folder: a team publishes into its own folder only", dest, f.Path)
		case strings.HasPrefix(dest, f.Path+"/"):
			return fmt.Sprintf("%s lies inside %s, another team's folder: a team publishes into its own folder only", dest, f.Path)
		}
	}
	return ""
}

// DAG is one dag_id a publish would serve, and its file (relative to the
// folder published).
type DAG struct {
	ID   string
	File string
	Line int
}

// Collision is a dag_id of this publish that another team's folder
// serves.
type Collision struct {
	DAG
	// Folder is the other team's folder; OtherFile its file, relative to
	// that folder; Manifest what that folder serves.
	Folder    Folder
	OtherFile string
	OtherLine int
	Manifest  *layout.Manifest
}

// Collisions are the dag_ids of dags, published into the folder dest (as
// bundle, where one is named), that another team's folder or bundle
// serves, in the order of dags.
func Collisions(dest, bundle string, dags []DAG, folders []Folder) []Collision {
	type where struct {
		folder Folder
		file   string
		line   int
	}
	served := map[string]where{}
	for _, f := range folders {
		if f.Path == dest && f.Bundle == bundle || f.Manifest == nil {
			continue
		}
		for _, e := range f.Manifest.Files {
			for _, d := range e.DAGs {
				if _, seen := served[d.ID]; !seen {
					file := e.Path
					if d.Member != "" {
						file += "/" + d.Member
					}
					served[d.ID] = where{f, file, d.Line}
				}
			}
		}
	}
	var out []Collision
	for _, d := range dags {
		if w, ok := served[d.ID]; ok {
			out = append(out, Collision{DAG: d, Folder: w.folder, OtherFile: w.file, OtherLine: w.line, Manifest: w.folder.Manifest})
		}
	}
	return out
}

// Describe says one collision in a line: both files, the other team's
// folder, its generation and who published it, when.
func (c Collision) Describe(s *Share) string {
	m := c.Manifest
	who := m.PublishedBy.User
	if m.PublishedBy.Host != "" {
		who += "@" + m.PublishedBy.Host
	}
	where := path.Join(c.Folder.Path, c.OtherFile)
	if c.Folder.Bundle != "" {
		where = c.Folder.Name() + ": " + c.OtherFile
	}
	return fmt.Sprintf("dag_id %q of %s:%d is already served by team %s: %s:%d (generation %d, published by %s at %s)",
		c.ID, c.File, c.Line, s.TeamOf(c.Folder), where, c.OtherLine, m.Generation, who, m.PublishedAt.UTC().Format(time.RFC3339))
}

// Opener opens a location as a destination (the command's, with its
// credentials and timeouts).
type Opener func(ctx context.Context, loc nfs.Location) (nfs.Dest, error)

// Find is the share that holds the folder at loc: loc itself when it holds
// the marker (Dest is then ""), else the nearest folder above it that
// does; nil without one. d is loc's destination, already open; the
// folders above are opened with open, up to the first that cannot be
// (above the export, or not readable), and closed unless returned.
func Find(ctx context.Context, d nfs.Dest, loc nfs.Location, open Opener) (*Share, error) {
	if m, err := ReadMarker(ctx, d); err != nil || m != nil {
		if err != nil {
			return nil, err
		}
		return &Share{Root: d, Marker: m}, nil
	}
	rel := ""
	for cur := loc; ; {
		parent, name, ok := cur.Parent()
		if !ok {
			return nil, nil
		}
		rel = path.Join(name, rel)
		pd, err := open(ctx, parent)
		if err != nil {
			return nil, nil // above the export, or a folder this identity cannot open
		}
		m, err := ReadMarker(ctx, pd)
		if err != nil || m != nil {
			if err != nil {
				pd.Close()
				return nil, err
			}
			return &Share{Root: pd, Marker: m, Dest: rel, owned: true}, nil
		}
		pd.Close()
		cur = parent
	}
}

// Check is what a publish of dags into the share's Dest must pass before
// anything is written: no overlap with another team's folder, no dag_id
// that another team's folder serves. It returns the refusal ("" for
// none) and the teams' folders it read.
func (s *Share) Check(ctx context.Context, dags []DAG) (string, []Folder, error) {
	folders, err := s.Folders(ctx)
	if err != nil {
		return "", nil, err
	}
	if why := Overlap(s.Dest, s.Bundle, folders); why != "" {
		return fmt.Sprintf("share %s: %s", s.Root, why), folders, nil
	}
	cs := Collisions(s.Dest, s.Bundle, dags, folders)
	if len(cs) == 0 {
		return "", folders, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "share %s: Airflow needs every dag_id unique across the deployment, and ", s.Root)
	if len(cs) == 1 {
		b.WriteString(cs[0].Describe(s))
	} else {
		fmt.Fprintf(&b, "%d dag_ids are already served by other teams: %s", len(cs), cs[0].Describe(s))
		if len(cs) > 1 {
			fmt.Fprintf(&b, "; and %d more", len(cs)-1)
		}
	}
	b.WriteString(" (rename the dag_id, or agree which team owns it)")
	return b.String(), folders, nil
}

// Dest is f's records and files as a destination of their own, in root.
func (f Folder) Dest(root nfs.Dest) nfs.Dest {
	d := nfs.Sub(root, f.Path)
	if f.Bundle != "" {
		return layout.ForBundle(d, f.Bundle)
	}
	return d
}

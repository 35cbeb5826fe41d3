package publish

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dagnfs/dagnfs/bundle"
	"github.com/dagnfs/dagnfs/internal/guard"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/perms"
	"github.com/dagnfs/dagnfs/share"
	"github.com/dagnfs/dagnfs/validate"
)

// Options configure a publish, grouped by concern so that each stage takes
// only what it needs. Zero values are replaced by the defaults noted.
type Options struct {
	Source Source
	Dest   nfs.Dest
	// Promoted, for dagnfs promote, is where the source's files were
	// served: recorded in the new manifest.
	Promoted *layout.Provenance
	// Share is the share Dest is a team's folder in (share.Find), nil
	// where there is none: the publish must not overlap another team's
	// folder nor serve a dag_id another team serves.
	Share  *share.Share
	Owner  Owner
	Delete Deletes
	Lock   Locking

	// Layout is layout.InPlace, layout.Generations or
	// layout.ManifestBundle; empty: the layout the export is in (in-place
	// for a new one). A publish never moves an export from one layout to
	// the other unless Migrate says so.
	Layout string
	// Bundle is the bundle's name in the manifest-bundle layout.
	Bundle string
	// Grace is how long a generation folder (or a bundle's version) stays
	// after it stopped being current, whatever Keep says; default 1h
	// (BundleGrace for a bundle).
	Grace time.Duration
	// Migrate lets this publish move the export from the in-place layout
	// to Layout (generations); never a side effect of a publish otherwise.
	Migrate bool
	// NoRepair reports managed files that someone else changed on the
	// export (Result.Drifted, then a *DriftError) instead of uploading
	// them again.
	NoRepair bool

	Concurrency int // default 4
	DryRun      bool
	Label       string
	Keep        int // generations kept for rollback; default 10
	Version     string
	// Action is recorded in the manifest: "publish" (default) or "rollback".
	Action string
	// Force publishes to a paused destination (see Pause).
	Force bool
	// Via says how the publish was started ("terminal", "ci",
	// "unattended", or what DAGNFS_VIA names, such as a CronJob); it is
	// recorded in the manifest, so that a rollback can warn that a
	// scheduled publisher will publish the source again.
	Via string
	// Uncommitted are the source's files that differ from the commit its
	// label names (a Git worktree with uncommitted changes); the manifest
	// lists them.
	Uncommitted []string

	Log      *slog.Logger
	Progress func(Progress)
	Now      func() time.Time
}

// Source is what to publish and how it is checked first.
type Source struct {
	Dir        string
	Exclude    []string
	Validate   validate.Options
	AllowEmpty bool // publish an empty folder (refused otherwise)
	// Link, for dagnfs promote, says of a source file (by its path) that
	// a file of the same content exists where the destination can link
	// it (nfs.LinkAcross): its sha256, what its destination said of it
	// when its content was checked, and how to make the link. The file is
	// then linked instead of copied where the destination allows it and
	// the linked file is that file, unchanged, with the mode and owner
	// this publish sets; copied otherwise. nil, or a nil link: copied.
	Link func(rel string) (sum string, checked nfs.FileInfo, link func(ctx context.Context, d nfs.Dest, name string) error)
}

// Owner is who the published files belong to and who must read them.
type Owner struct {
	FileMode fs.FileMode      // default 0644
	DirMode  fs.FileMode      // default 0755
	UID, GID int              // owner to set where the destination can chown; -1 leaves it
	Readers  []perms.Identity // who must be able to read everything; default perms.Airflow
}

// Deletes is the delete safety: what may be deleted, and the limits.
type Deletes struct {
	Enabled bool // delete managed files gone from the source
	Max     int  // refuse a publish deleting more; <0 unlimited
	// Confirm is asked before a publish that deletes files; false cancels it.
	Confirm func(p *Plan) bool
}

// Locking is how the destination's lock is held.
type Locking struct {
	TTL time.Duration // lifetime unless refreshed; default 10m
	// Wait is how long to wait for a lock another publisher holds before
	// giving up with a *LockedError (0: not at all).
	Wait time.Duration
}

// Progress reports the upload.
type Progress struct {
	Phase string
	// Done of Total items of the phase are done; Total 0: not counted.
	Done, Total int
	// Bytes of TotalBytes are uploaded (PhaseUpload).
	Bytes, TotalBytes int64
}

// The phases of a run, in order, as Progress names them.
const (
	PhaseValidate = "validate" // the source is hashed and checked
	PhasePlan     = "plan"     // the destination is read and compared
	PhaseLink     = "link"     // generations: unchanged files are linked into the new folder
	PhaseUpload   = "upload"   // new and changed files are written
	PhaseSwitch   = "switch"   // files renamed into place, or current switched
	PhaseCheck    = "check"    // Airflow's identities can read what was published
)

// report tells o.Progress, if any, how far the run is.
func (o *Options) report(p Progress) {
	if o.Progress != nil {
		o.Progress(p)
	}
}

// Result is what a publish did, as reported in --format json.
type Result struct {
	Dest       string `json:"dest"`
	Layout     string `json:"layout"`
	Generation int    `json:"generation"`
	// Folder, in the generations layout, is the generation whose folder
	// current names (the generation itself, or a kept one after a rollback).
	Folder int `json:"folder,omitempty"`
	// Bundle and Version, in the manifest-bundle layout: the version the
	// reference names.
	Bundle   string `json:"bundle,omitempty"`
	Version  string `json:"version,omitempty"`
	Previous int    `json:"previous_generation"`
	// PromotedFrom: a promote's source (Options.Promoted).
	PromotedFrom *layout.Provenance `json:"promoted_from,omitempty"`
	// Relabelled: the content was the current generation's, which now
	// carries this run's label (no new generation).
	Relabelled bool     `json:"relabelled,omitempty"`
	Label      string   `json:"label,omitempty"`
	DryRun     bool     `json:"dry_run"`
	Uploaded   []string `json:"uploaded"`
	Deleted    []string `json:"deleted"`
	// RefusedDeletes are deletes the plan held that a safety limit
	// (--max-delete, the prompt) refused; none of them happened.
	RefusedDeletes []string `json:"refused_deletes"`
	Unchanged      int      `json:"unchanged"`
	NotDeleted     []string `json:"not_deleted"`
	// Repaired are managed files someone else had changed on the export,
	// uploaded again from the source; Drifted those left as they are
	// (--no-repair).
	Repaired   []Repair `json:"repaired"`
	Drifted    []Repair `json:"drifted"`
	Orphaned   []string `json:"orphaned"`
	Unmanaged  []string `json:"unmanaged"`
	Bytes      int64    `json:"bytes"`
	SwitchMS   float64  `json:"switch_ms"`
	DurationMS int64    `json:"duration_ms"`
	Calls      int64    `json:"nfs_calls,omitempty"`
	// Protocol is how the destination was reached: NFSv3, NFSv4.1, or
	// empty for a folder.
	Protocol string   `json:"protocol,omitempty"`
	Warnings []string `json:"warnings"`
	// Paused is the destination's pause, when it is paused (a forced
	// publish, a rollback or a dry run went on all the same).
	Paused *layout.PauseInfo `json:"paused,omitempty"`
	// Scheduled, after a rollback, names the unattended publisher of the
	// generation rolled back from (a CronJob, CI, a script): it will
	// publish its source again unless the destination is paused.
	Scheduled string `json:"scheduled_publisher,omitempty"`

	Validation *validate.Report `json:"validation,omitempty"`
}

// NoChange reports whether the run changed nothing: no file uploaded or
// deleted, no new generation.
func (r *Result) NoChange() bool {
	return len(r.Uploaded) == 0 && len(r.Deleted) == 0 && r.Generation == r.Previous
}

// NewResult is an empty result for dest, every list present (JSON prints
// [] rather than null).
func NewResult(dest string) *Result {
	return &Result{Dest: dest, Uploaded: []string{}, Deleted: []string{}, RefusedDeletes: []string{}, NotDeleted: []string{},
		Repaired: []Repair{}, Drifted: []Repair{},
		Orphaned: []string{}, Unmanaged: []string{}, Warnings: []string{}}
}

func (o *Options) defaults() {
	if o.Owner.FileMode == 0 {
		o.Owner.FileMode = 0o644
	}
	if o.Owner.DirMode == 0 {
		o.Owner.DirMode = 0o755
	}
	if o.Owner.Readers == nil {
		o.Owner.Readers = perms.Airflow
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Keep <= 0 {
		o.Keep = 10
	}
	if o.Grace <= 0 {
		o.Grace = time.Hour
		if o.Bundle != "" {
			// A DAG run may ask for the version it started with as long as
			// it runs, retries and reruns included: days, not hours.
			o.Grace = BundleGrace
		}
	}
	if o.Lock.TTL <= 0 {
		o.Lock.TTL = layout.DefaultLockTTL
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Publish runs one publish. On error the Result holds what is known so far.
func Publish(ctx context.Context, o Options) (*Result, error) {
	if err := o.forBundle(); err != nil {
		return NewResult(o.Dest.String()), err
	}
	return apply(ctx, o, prepareSource)
}

// forBundle points a publish of a versioned bundle (Options.Bundle) at that
// bundle's own records in the published root (layout.ForBundle); a bundle
// name implies the manifest-bundle layout.
func (o *Options) forBundle() error {
	if o.Bundle == "" {
		if o.Layout == layout.ManifestBundle {
			return &RefusedError{Reason: "the manifest-bundle layout needs the bundle's name, as Airflow's dag_bundle_config_list names it", Setting: "bundle"}
		}
		return nil
	}
	if o.Layout == "" {
		o.Layout = layout.ManifestBundle
	}
	if o.Layout != layout.ManifestBundle {
		return &RefusedError{Reason: fmt.Sprintf("--bundle names a bundle of the %s layout; the %s layout has none", layout.ManifestBundle, o.Layout), Setting: "bundle"}
	}
	if err := bundle.CheckName(o.Bundle); err != nil {
		return &RefusedError{Reason: err.Error(), Setting: "bundle"}
	}
	o.Dest = layout.ForBundle(o.Dest, o.Bundle)
	return nil
}

// prepared is a source ready to be applied: its files (hashed), what
// validation found in them, and the manifest as read before the lock.
type prepared struct {
	files  []SourceFile
	report *validate.Report
	snap   snapshot
	// relink, in the generations layout, is the kept generation a
	// rollback makes current again, without copying anything.
	relink *layout.Manifest
}

// prepareSource scans, hashes and validates the source folder.
func prepareSource(ctx context.Context, o Options, res *Result) (*prepared, error) {
	type walked struct {
		files  []SourceFile
		listed map[string][]validate.Listed
	}
	// the one walk of the source, which an interrupt does not wait for
	w, err := guard.Until(ctx, func() (w walked, err error) {
		w.files, w.listed, err = scan(o.Source.Dir, o.Source.Exclude)
		return w, err
	})
	if errors.Is(err, context.Canceled) {
		return nil, err
	}
	files, listed := w.files, w.listed
	if err != nil {
		return nil, &RefusedError{Reason: err.Error(), Err: err}
	}
	if len(files) == 0 && !o.Source.AllowEmpty {
		return nil, &RefusedError{Reason: fmt.Sprintf("source %s holds no files; refusing to publish an empty generation (allow it if that is what you want)", o.Source.Dir), Setting: "allow-empty"}
	}
	vo := o.Source.Validate
	vo.Exclude = append(slices.Clone(vo.Exclude), o.Source.Exclude...)
	vo.Listed = listed
	o.report(Progress{Phase: PhaseValidate})
	if o.Progress != nil {
		vo.Progress = func(done, total int) { o.report(Progress{Phase: PhaseValidate, Done: done, Total: total}) }
	}
	snap := readSnapshot(ctx, o.Dest)
	need := needsSum(o, snap)
	var report *validate.Report
	if snap.ok && len(snap.m.Files) > 0 {
		// What the manifest recorded for a file is reused when its sha256
		// is the same: hash first.
		if err := hashAll(ctx, files, o.Concurrency, need); err != nil {
			return nil, err
		}
		vo.Known = knownResults(snap.m, files)
		if report, err = validate.Run(ctx, o.Source.Dir, vo); err != nil {
			return nil, err
		}
	} else {
		// Nothing to reuse: hash and validate at once.
		g, gctx := errgroup.WithContext(ctx)
		g.Go(guard.Func(func() error { return hashAll(gctx, files, o.Concurrency, need) }))
		g.Go(guard.Func(func() (err error) { report, err = validate.Run(gctx, o.Source.Dir, vo); return err }))
		if err := g.Wait(); err != nil {
			return nil, err
		}
	}
	res.Validation = report
	if report.Failed() {
		return nil, &ValidationError{Report: report}
	}
	return &prepared{files: files, report: report, snap: snap}, nil
}

// inRoot is files as named from the export root, for a generation folder
// root; with no files, the folder itself is checked (its parents too).
func inRoot(root string, files []SourceFile) []SourceFile {
	out := make([]SourceFile, 0, len(files)+1)
	for _, f := range files {
		f.Rel = path.Join(root, f.Rel)
		out = append(out, f)
	}
	if len(files) == 0 {
		out = append(out, SourceFile{Rel: root})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CurrentUser names the user running dagnfs, as manifests record it.
func CurrentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// needsSum tells which source files must be hashed before the plan: those
// the manifest read before the lock may record unchanged (same path and
// size), and every file of a versioned bundle, whose version is the digest
// of its files' sums. Any other file is uploaded whatever its content, and
// is hashed once, as it is sent (executor.upload): a large file is read
// once, not twice.
func needsSum(o Options, snap snapshot) func(SourceFile) bool {
	if o.Layout == layout.ManifestBundle || o.Bundle != "" {
		return nil
	}
	var known map[string]layout.Entry
	if snap.ok {
		known = snap.m.Index()
	}
	return func(f SourceFile) bool {
		e, ok := known[f.Rel]
		return f.seen == nil || (ok && e.Size == f.Size)
	}
}

// hashAll computes the sha256 of the files need selects (every file when
// need is nil) with bounded concurrency.
func hashAll(ctx context.Context, files []SourceFile, n int, need func(SourceFile) bool) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	for i := range files {
		if files[i].Sum != "" || (need != nil && !need(files[i])) {
			continue
		}
		g.Go(guard.Func(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			sum, err := hashSource(ctx, files[i])
			files[i].Sum = sum
			return err
		}))
	}
	return g.Wait()
}

// hashSource hashes a source file as the walk saw it.
func hashSource(ctx context.Context, f SourceFile) (string, error) {
	r, err := f.Open(ctx)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readManifest reads the current manifest; a corrupt one says what to do.
func readManifest(ctx context.Context, d nfs.Dest) (*layout.Manifest, error) {
	m, err := layout.ReadManifest(ctx, d, layout.ManifestPath)
	var me *layout.ManifestError
	if errors.As(err, &me) {
		return nil, fmt.Errorf("%w; dagnfs cannot tell which files it owns. Move it aside (files it listed are then treated as placed by hand and never deleted) and publish again", err)
	}
	return m, err
}

package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/dagnfs/dagnfs/bundle"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

// The manifest-bundle layout: Airflow 3's versioned ManifestLocalDagBundle
// (package bundle). DEST is the bundle's published root. Each version is an
// immutable snapshot, built in versions/NAME/.building-ID, where no
// consumer looks (files that did not change are hard links to the previous
// version's), made read-only (folders 0555, files 0444 or 0555) and moved to
// versions/NAME/sha256-HEX with one RENAME; then refs/NAME/latest.json, the
// release reference, is replaced with one more RENAME, last. Content equal
// to a kept version's makes no new snapshot. dagnfs's own records are in
// .dagnfs of the published root, which Airflow never scans (it reads
// snapshots through the reference).
type manifestBundle struct {
	name string
	// exec are the source files with an x bit set.
	exec                                   map[string]bool
	building, version                      string
	files                                  []bundle.File
	historyTmp, refTmp, manifestTmp, bmTmp string
}

const buildingPrefix = ".building-"

// BundleGrace is how long a version stays after it stopped being the
// released one, by default: a DAG run pinned to it may retry for days.
const BundleGrace = 7 * 24 * time.Hour

// Read-only modes of a snapshot.
const (
	snapshotDirMode  = 0o555
	snapshotFileMode = 0o444
	snapshotExecMode = 0o555
)

func (s *manifestBundle) adjust(files []SourceFile, prev *layout.Manifest) ([]SourceFile, *layout.Manifest, error) {
	if err := bundle.CheckName(s.name); err != nil {
		return nil, nil, &RefusedError{Reason: fmt.Sprintf("%v (the manifest-bundle layout needs --bundle NAME)", err), Setting: "bundle"}
	}
	if prev.InBundle() && prev.Bundle != s.name {
		return nil, nil, &RefusedError{Reason: fmt.Sprintf("this published root's records are bundle %q's, not %q's: publish each bundle to a published root of its own", prev.Bundle, s.name), Setting: "bundle"}
	}
	s.exec = map[string]bool{}
	for _, f := range files {
		if err := bundle.CheckPath(f.Rel); err != nil {
			return nil, nil, &RefusedError{Reason: fmt.Sprintf("%s: %v; rename it or exclude it", f.Rel, err)}
		}
		if f.Abs != "" {
			if fi, err := os.Stat(f.Abs); err == nil && fi.Mode()&0o111 != 0 {
				s.exec[f.Rel] = true
			}
		}
	}
	return files, prev, nil
}

// settle adopts, after a run that replaced the reference but wrote no
// manifest, the generation the history records for the referenced version.
func (s *manifestBundle) settle(ctx context.Context, d nfs.Dest, prev *layout.Manifest, o Options) (*layout.Manifest, error) {
	if !prev.InBundle() || prev.Bundle != s.name {
		return prev, nil // adjust refuses another bundle's root
	}
	b, err := d.ReadFile(ctx, bundle.RefPath(s.name), bundle.MaxReference)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s/%s is missing, but the manifest records version %s; dagnfs rollback --to %d puts it back", d, bundle.RefPath(s.name), prev.Version, prev.Generation)
	}
	if err != nil {
		return nil, err
	}
	ref, err := bundle.ParseReference(b, s.name)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", d, bundle.RefPath(s.name), err)
	}
	if ref.Version == prev.Version {
		return prev, nil
	}
	hist, err := layout.ReadHistory(ctx, d, layout.MaxGeneration)
	if err != nil {
		return nil, err
	}
	for _, m := range hist { // newest first
		if m.Generation > prev.Generation && m.InBundle() && m.Version == ref.Version {
			if err := nfs.WriteFile(ctx, d, layout.TempName(), layout.ManifestPath, m.Encode(), metaAttr(d, o.Owner)); err != nil {
				return nil, err
			}
			o.Log.Warn("an interrupted publish had released a version it did not record; recorded it now", "generation", m.Generation, "version", m.Version)
			return m, nil
		}
	}
	return nil, fmt.Errorf("%s/%s names version %s, which the manifest (version %s) and the history do not record; see dagnfs status", d, bundle.RefPath(s.name), ref.Version, prev.Version)
}

func (s *manifestBundle) root(m *layout.Manifest) string { return m.Root() }

func (s *manifestBundle) fresh(prev *layout.Manifest) bool { return prev.Version == "" }

// noRepair: never, since a changed file of the previous snapshot must not
// be linked into the next one (finish reports it).
func (s *manifestBundle) noRepair(bool) bool { return false }

// mode: snapshots are read-only, executable where the source file is.
func (s *manifestBundle) mode(rel string, _ Owner) fs.FileMode {
	if s.exec[rel] {
		return snapshotExecMode
	}
	return snapshotFileMode
}

// deletes: a snapshot is the source as it is, so a file gone from it is
// not in the next version (the kept versions keep it: nothing is removed
// from the export). The limit and the prompt still apply.
func (s *manifestBundle) deletes(o Deletes) Deletes {
	o.Enabled = true
	return o
}

// planned: the snapshot's own manifest is not a file someone else put there.
func (s *manifestBundle) planned(res *Result, plan *Plan) {
	res.Bundle = s.name
	plan.Unmanaged = slices.DeleteFunc(plan.Unmanaged, func(p string) bool { return p == bundle.ManifestName })
}

// prepare builds the snapshot's folder where no consumer looks, with the
// unchanged files linked from the previous version.
func (s *manifestBundle) prepare(ctx context.Context, ex *executor) ([]uploadTarget, error) {
	d, o, plan, prev := ex.d, ex.o, ex.plan, ex.prev
	// The version is the digest of every file's sum (needsSum hashed them
	// all; this is for a plan that met the layout only under the lock).
	if err := hashAll(ctx, ex.files, o.Concurrency, nil); err != nil {
		return nil, err
	}
	fillSums(plan.Upload, ex.files)
	s.files = make([]bundle.File, 0, len(ex.files))
	for _, f := range ex.files {
		s.files = append(s.files, bundle.File{Path: f.Rel, SHA256: f.Sum, Size: f.Size, Executable: s.exec[f.Rel]})
	}
	m, err := bundle.NewManifest(s.name, s.files)
	if err != nil {
		return nil, &RefusedError{Reason: err.Error()}
	}
	s.version = m.Version
	for _, dir := range []string{"versions", bundle.VersionsDir(s.name), "refs", path.Dir(bundle.RefPath(s.name))} {
		if err := ex.mkdirOwned(ctx, dir); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	s.historyTmp, s.refTmp, s.manifestTmp, s.bmTmp = ex.reserve(), ex.reserve(), ex.reserve(), ex.reserve()
	s.building = bundle.VersionsDir(s.name) + "/" + buildingPrefix + randomID()
	if err := ex.writeJournal(ctx); err != nil {
		return nil, err
	}
	if err := removeBuilding(ctx, d, s.name); err != nil {
		return nil, err
	}
	ex.building = true
	if err := ex.mkdirOwned(ctx, s.building); err != nil {
		return nil, err
	}
	uploaded := make(map[string]bool, len(plan.Upload))
	targets := make([]uploadTarget, len(plan.Upload))
	for i, f := range plan.Upload {
		uploaded[f.Rel] = true
		name := path.Join(s.building, f.Rel)
		targets[i] = uploadTarget{tmp: name, final: name}
	}
	ex.copied = map[string]nfs.FileInfo{}
	var carried []carriedFile
	dirs := make([]string, 0, len(ex.files))
	idx := prev.Index()
	for _, f := range ex.files {
		dirs = append(dirs, f.Rel)
		if e, ok := idx[f.Rel]; ok && !uploaded[f.Rel] {
			carried = append(carried, carriedFile{rel: f.Rel, info: nfs.FileInfo{Mode: fs.FileMode(e.Mode), ModTime: e.ModTime, UID: uint32(max(o.Owner.UID, 0)), GID: uint32(max(o.Owner.GID, 0))}})
		}
	}
	if err := ex.makeDirsUnder(ctx, s.building, dirs); err != nil {
		return nil, err
	}
	return targets, ex.carry(ctx, prev.Root(), s.building, carried)
}

// commit seals the snapshot (its manifest, read-only modes), moves it into
// place, records it, and releases it: the reference last.
func (s *manifestBundle) commit(ctx context.Context, ex *executor, _ []*nfs.Pending) (*layout.Manifest, time.Duration, error) {
	d, o, plan := ex.d, ex.o, ex.plan
	m, err := bundle.NewManifest(s.name, s.files)
	if err != nil {
		return nil, 0, err
	}
	if err := nfs.WriteFile(ctx, d, s.bmTmp, path.Join(s.building, bundle.ManifestName), m.Encode(), nfs.Attr{Mode: snapshotFileMode, UID: -1, GID: -1}); err != nil {
		return nil, 0, err
	}
	// Read-only: the uploaded files (the linked ones are the previous
	// version's, read-only already), then every folder, children first.
	for _, f := range plan.Upload {
		fi, err := d.SetAttr(ctx, path.Join(s.building, f.Rel), nfs.Attr{Mode: s.mode(f.Rel, o.Owner), UID: -1, GID: -1})
		if err != nil {
			return nil, 0, err
		}
		ex.sealed[f.Rel] = fi
	}
	dirs := map[string]bool{}
	for _, f := range s.files {
		for dir := path.Dir(f.Path); dir != "."; dir = path.Dir(dir) {
			dirs[dir] = true
		}
	}
	list := slices.Collect(func(yield func(string) bool) {
		for dir := range dirs {
			if !yield(dir) {
				return
			}
		}
	})
	slices.SortFunc(list, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") }) // children first
	for _, dir := range append(list, "") {
		if _, err := d.SetAttr(ctx, path.Join(s.building, dir), nfs.Attr{Mode: snapshotDirMode, UID: -1, GID: -1}); err != nil {
			return nil, 0, err
		}
	}
	final := bundle.VersionDir(s.name, s.version)
	var kept map[string]nfs.FileInfo // the files of a kept snapshot reused
	if _, err := d.Stat(ctx, final); err == nil {
		// The same content as a kept version: that snapshot is the one.
		if err := removeSnapshot(ctx, d, s.building); err != nil {
			return nil, 0, err
		}
		if kept, err = listFiles(ctx, nfs.Sub(d, final), ex.o.Concurrency); err != nil {
			return nil, 0, err
		}
	} else if err := d.Rename(ctx, s.building, final); err != nil {
		return nil, 0, fmt.Errorf("moving the snapshot into place as %s: %w", final, err)
	}

	next := ex.newManifest()
	next.Layout, next.Bundle, next.Version = layout.ManifestBundle, s.name, s.version
	idx := ex.prev.Index()
	uploaded := make(map[string]bool, len(plan.Upload))
	for _, f := range plan.Upload {
		uploaded[f.Rel] = true
	}
	out := make(map[string]layout.Entry, len(ex.files))
	for _, f := range ex.files {
		e := idx[f.Rel] // linked: the previous version's very file
		if fi, copied := ex.copied[f.Rel]; copied {
			e.FileID, e.Owner, e.ModTime = fi.FileID, ownerOf(fi), fi.ModTime.UTC()
		}
		if uploaded[f.Rel] {
			e = ex.entryOf(f)
		}
		if fi, ok := kept[f.Rel]; ok {
			e = layout.Entry{Path: f.Rel, Size: f.Size, SHA256: f.Sum, ModTime: fi.ModTime.UTC(), FileID: fi.FileID, Owner: ownerOf(fi)}
		}
		e.Mode = layout.Mode(s.mode(f.Rel, o.Owner))
		out[f.Rel] = e
	}
	next.Files = sortedEntries(out)
	recordValidation(next, ex.report, ex.files)
	if err := nfs.WriteFile(ctx, d, s.historyTmp, layout.HistoryName(next.Generation), next.Encode(), ex.metaAttr()); err != nil {
		return nil, 0, err
	}
	o.report(Progress{Phase: PhaseSwitch})
	ex.switchTotal = 1
	t0 := time.Now()
	if err := nfs.WriteFile(ctx, d, s.refTmp, bundle.RefPath(s.name), bundle.NewReference(m).Encode(), ex.metaAttr()); err != nil {
		return nil, time.Since(t0), fmt.Errorf("releasing %s: %w", s.version, err)
	}
	switchDur := time.Since(t0)
	ex.switched = 1
	// The records say so even if the run is interrupted now.
	ctx, done := nfs.Finishing(ctx)
	defer done()
	if err := nfs.WriteFile(ctx, d, s.manifestTmp, layout.ManifestPath, next.Encode(), ex.metaAttr()); err != nil {
		return nil, switchDur, fmt.Errorf("released %s, but writing the manifest failed (the next publish completes it): %w", s.version, err)
	}
	if err := endJournal(ctx, d); err != nil {
		ex.warn("%v", err)
	}
	return next, switchDur, nil
}

// finish reports the files of the previous snapshot someone changed: they
// were uploaded again into the new one, but snapshots are immutable.
func (s *manifestBundle) finish(ctx context.Context, ex *executor, next *layout.Manifest, res *Result) error {
	res.Version = next.Version
	if err := collectVersions(ctx, ex.d, s.name, next, ex.o.Keep, ex.o.Grace, ex.o.Now(), ex.o.Log); err != nil {
		res.Warnings = append(res.Warnings, "removing old versions: "+err.Error())
	}
	if len(res.Repaired) > 0 {
		return &DriftError{Files: res.Repaired, Snapshot: ex.prev.Version}
	}
	return nil
}

func (s *manifestBundle) unchanged(_ context.Context, ex *executor, res *Result) error {
	res.Version = ex.prev.Version
	return nil
}

func (s *manifestBundle) readable(next *layout.Manifest, uploads []SourceFile, sealed map[string]nfs.FileInfo) ([]SourceFile, map[string]nfs.FileInfo) {
	known := make(map[string]nfs.FileInfo, len(sealed))
	for rel, fi := range sealed {
		known[path.Join(next.Root(), rel)] = fi
	}
	return inRoot(next.Root(), uploads), known
}

// relink releases a kept version again: its snapshot is checked, then the
// reference is replaced with one RENAME; nothing is copied.
func (s *manifestBundle) relink(ctx context.Context, ex *executor, target *layout.Manifest, res *Result) error {
	d, o, prev := ex.d, ex.o, ex.prev
	if !target.InBundle() || target.Bundle != s.name {
		return &RefusedError{Reason: fmt.Sprintf("generation %d is not a version of bundle %s: roll back to one published since (see dagnfs history)", target.Generation, s.name)}
	}
	mPath := path.Join(target.Root(), bundle.ManifestName)
	b, err := d.ReadFile(ctx, mPath, bundle.MaxManifest)
	if err != nil {
		return &RefusedError{Reason: fmt.Sprintf("the snapshot of generation %d, %s, cannot be read (%v): removed by the garbage collection? roll back to a kept one (see dagnfs history)", target.Generation, target.Root(), err)}
	}
	bm, err := bundle.ParseManifest(b, s.name)
	if err == nil && bm.Version != target.Version {
		err = fmt.Errorf("its entries give version %s", bm.Version)
	}
	if err != nil {
		return &RefusedError{Reason: fmt.Sprintf("the snapshot of generation %d, %s, was changed (%v): not released again", target.Generation, target.Root(), err)}
	}
	next := *target
	next.Generation, next.Action, next.Label = prev.Generation+1, "rollback", o.Label
	fresh := newManifest(o, next.Generation)
	next.PublishedAt, next.PublishedBy, next.Tool = fresh.PublishedAt, fresh.PublishedBy, fresh.Tool
	res.Generation, res.Bundle, res.Version = next.Generation, s.name, next.Version
	res.Unchanged = len(next.Files)
	if o.DryRun {
		return nil
	}
	attr := metaAttr(d, o.Owner)
	historyTmp, refTmp, manifestTmp := ex.reserve(), ex.reserve(), ex.reserve()
	if err := ex.writeJournal(ctx); err != nil {
		return err
	}
	if err := nfs.WriteFile(ctx, d, historyTmp, layout.HistoryName(next.Generation), next.Encode(), attr); err != nil {
		return err
	}
	o.report(Progress{Phase: PhaseSwitch})
	ex.switchTotal = 1
	t0 := time.Now()
	if err := nfs.WriteFile(ctx, d, refTmp, bundle.RefPath(s.name), bundle.NewReference(bm).Encode(), attr); err != nil {
		return err
	}
	res.SwitchMS = float64(time.Since(t0).Microseconds()) / 1000
	ex.switched = 1
	if err := finishRelink(ctx, d, manifestTmp, &next, attr, res); err != nil {
		return fmt.Errorf("released %s again, but writing the manifest failed (the next publish completes it): %w", next.Version, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return checkReadable(ctx, d, o, inRoot(next.Root(), nil), nil)
}

// collectVersions removes the snapshots nobody may need any more, and
// their manifests (collectKept): the released version and the one released
// before it are never removed, whatever keep and grace say.
func collectVersions(ctx context.Context, d nfs.Dest, name string, cur *layout.Manifest, keep int, grace time.Duration, now time.Time, log interface {
	Debug(string, ...any)
}) error {
	version := func(m *layout.Manifest) (string, bool) { return m.Version, m.InBundle() }
	return collectKept(ctx, d, cur, keep, grace, now, log, keptSets[string]{
		what: "version",
		key:  version,
		previous: func(hist []*layout.Manifest) (string, bool) {
			for _, m := range hist {
				if v, ok := version(m); ok && v != cur.Version {
					return v, true
				}
			}
			return "", false
		},
		list:   func(ctx context.Context) ([]nfs.FileInfo, error) { return d.ReadDir(ctx, bundle.VersionsDir(name)) },
		parse:  func(v string) (string, bool) { return v, bundle.IsVersion(v) },
		remove: func(ctx context.Context, v string) error { return removeSnapshot(ctx, d, bundle.VersionDir(name, v)) },
	})
}

// removeBuilding removes the snapshot folders that interrupted publishes
// of bundle name left (never a version: their names say which is which).
func removeBuilding(ctx context.Context, d nfs.Dest, name string) error {
	entries, err := d.ReadDir(ctx, bundle.VersionsDir(name))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name, buildingPrefix) && e.IsDir() {
			if err := removeSnapshot(ctx, d, path.Join(bundle.VersionsDir(name), e.Name)); err != nil {
				return fmt.Errorf("removing %s, left by an interrupted publish: %w", e.Name, err)
			}
		}
	}
	return nil
}

// removeSnapshot removes a snapshot folder, whose read-only folders are
// made writable first.
func removeSnapshot(ctx context.Context, d nfs.Dest, dir string) error {
	var open func(string) error
	open = func(dir string) error {
		if _, err := d.SetAttr(ctx, dir, nfs.Attr{Mode: 0o755, UID: -1, GID: -1}); err != nil {
			return err
		}
		entries, err := d.ReadDir(ctx, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.IsDir() {
				if err := open(path.Join(dir, e.Name)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := open(dir); err != nil {
		return err
	}
	return removeTree(ctx, d, dir)
}

package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dagnfs/dagnfs/internal/guard"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

// The generations layout: every generation is a complete folder below
// layout.GenerationsDir, and layout.Current, a symlink at the export root,
// names the one Airflow sees. A publish builds the next folder where no pod
// looks (files that did not change are hard links to the previous
// generation's, so they keep their inode and mtime and Airflow does not
// parse them again), then makes a new symlink and renames it over
// Current: one RENAME switches the whole set, for every pod at once, since
// a pod resolves one name.
type generations struct {
	// migrating: this publish moves the export from in-place.
	migrating bool
	// rootIgnoreOurs: the root's .airflowignore was published in place,
	// and is dagnfs's to replace.
	rootIgnoreOurs                              bool
	dir                                         string // the new generation's folder
	historyTmp, linkTmp, manifestTmp, ignoreTmp string
}

func (s *generations) adjust(files []SourceFile, prev *layout.Manifest) ([]SourceFile, *layout.Manifest, error) {
	if s.rootIgnoreOurs = publishedInPlace(prev); s.rootIgnoreOurs {
		// Moving from in place: the root's .airflowignore becomes dagnfs's
		// own, no file of the generation (the source's is uploaded there).
		cp := *prev
		cp.Files = slices.DeleteFunc(slices.Clone(prev.Files), isRootIgnore)
		prev = &cp
	}
	return files, prev, nil
}

func (s *generations) settle(ctx context.Context, d nfs.Dest, prev *layout.Manifest, o Options) (*layout.Manifest, error) {
	return reconcile(ctx, d, prev, metaAttr(d, o.Owner), o.Log)
}

func (s *generations) root(m *layout.Manifest) string { return m.Root() }

func (s *generations) fresh(prev *layout.Manifest) bool { return prev.Generation == 0 }

func (s *generations) deletes(o Deletes) Deletes { return o }

func (s *generations) noRepair(asked bool) bool { return asked }

func (s *generations) mode(_ string, own Owner) fs.FileMode { return own.FileMode.Perm() }

func (s *generations) planned(res *Result, plan *Plan) { res.Folder = plan.Generation }

// prepare makes the new generation's folder, with everything it keeps of
// the previous one linked into it: the new and changed files are then
// written at their final names, since nobody sees this folder before the
// switch.
func (s *generations) prepare(ctx context.Context, ex *executor) ([]uploadTarget, error) {
	d, o, plan, prev := ex.d, ex.o, ex.plan, ex.prev
	s.dir = layout.GenerationName(plan.Generation)
	if err := ensureMetaDir(ctx, d, o.Owner, layout.GenerationsDir, layout.GenerationsMode); err != nil {
		return nil, err
	}
	s.historyTmp, s.linkTmp, s.manifestTmp, s.ignoreTmp = ex.reserve(), ex.reserve(), ex.reserve(), ex.reserve()
	if err := ex.writeJournal(ctx); err != nil {
		return nil, err
	}
	// A folder of this number is what an interrupted publish left: never
	// current (reconcile made sure), and rebuilt from scratch.
	if _, err := d.Stat(ctx, s.dir); err == nil {
		if err := removeTree(ctx, d, s.dir); err != nil {
			return nil, fmt.Errorf("removing %s, left by an interrupted publish: %w", s.dir, err)
		}
	}
	ex.building = true
	if err := ex.mkdirOwned(ctx, s.dir); err != nil {
		return nil, err
	}

	ex.copied = map[string]nfs.FileInfo{}
	// Carry over from the previous generation whatever this one keeps: the
	// unchanged files, and what is not dagnfs's to remove (files left
	// without --delete, changed or added by someone else).
	var carried []carriedFile
	// the listing below gives the handles that the links then use
	nfs.KeepListedHandles(d, true)
	defer nfs.KeepListedHandles(d, false)
	if prev.Generation > 0 {
		replaced := map[string]bool{}
		for _, f := range plan.Upload {
			replaced[f.Rel] = true
		}
		for _, e := range plan.Delete {
			replaced[e.Path] = true
		}
		if !prev.InGenerations() {
			// moving from in place: the root's .airflowignore is dagnfs's
			// (or the source's, uploaded), and the export root keeps its own
			replaced[layout.IgnoreFile] = true
		}
		var err error
		if carried, err = ex.listCarried(ctx, prev.Root(), "", replaced); err != nil {
			return nil, err
		}
	}
	dirs := make([]string, 0, len(plan.Upload)+len(carried))
	targets := make([]uploadTarget, len(plan.Upload))
	for i, f := range plan.Upload {
		dirs = append(dirs, f.Rel)
		name := path.Join(s.dir, f.Rel)
		targets[i] = uploadTarget{tmp: name, final: name}
	}
	for _, c := range carried {
		dirs = append(dirs, c.rel)
	}
	if err := ex.makeDirsUnder(ctx, s.dir, dirs); err != nil {
		return nil, err
	}
	return targets, ex.carry(ctx, prev.Root(), s.dir, carried)
}

// commit records the new generation in the history, then switches current
// to it with one RENAME, then writes the manifest.
func (s *generations) commit(ctx context.Context, ex *executor, _ []*nfs.Pending) (*layout.Manifest, time.Duration, error) {
	d, o, plan, prev := ex.d, ex.o, ex.plan, ex.prev
	gen := plan.Generation
	next := ex.newManifest()
	next.Layout, next.Folder = layout.Generations, gen
	idx := prev.Index()
	for rel, fi := range ex.copied {
		if e, ok := idx[rel]; ok {
			e.FileID, e.Owner, e.ModTime = fi.FileID, ownerOf(fi), fi.ModTime.UTC()
			idx[rel] = e
		}
	}
	for _, f := range plan.Upload {
		idx[f.Rel] = ex.entryOf(f)
	}
	for _, e := range plan.Delete {
		delete(idx, e.Path)
	}
	for _, p := range plan.NotDeleted {
		delete(idx, p)
	}
	next.Files = sortedEntries(idx)
	recordValidation(next, ex.report, ex.files)
	if err := nfs.Flush(ctx, d); err != nil {
		return nil, 0, err
	}
	// Kept in the history before the switch: an interrupted run that
	// switched but wrote no manifest is completed from it by the next one
	// (reconcile).
	if err := nfs.WriteFile(ctx, d, s.historyTmp, layout.HistoryName(gen), next.Encode(), ex.metaAttr()); err != nil {
		return nil, 0, err
	}
	// Before current appears (or changes): a scan of the export root
	// must never enter .dagnfs.
	if w, err := ensureRootIgnore(ctx, d, s.ignoreTmp, ex.metaAttr(), s.rootIgnoreOurs); err != nil {
		return nil, 0, err
	} else if w != "" {
		ex.warn("%s", w)
	}

	o.report(Progress{Phase: PhaseSwitch})
	ex.switchTotal = 1
	switchDur, err := switchCurrent(ctx, d, s.linkTmp, gen, ex.metaAttr())
	if err != nil {
		return nil, switchDur, err
	}
	ex.switched = 1
	// The records say so even if the run is interrupted now.
	ctx, done := nfs.Finishing(ctx)
	defer done()
	if err := nfs.WriteFile(ctx, d, s.manifestTmp, layout.ManifestPath, next.Encode(), ex.metaAttr()); err != nil {
		return nil, switchDur, fmt.Errorf("switched to generation %d, but writing the manifest failed (the next publish completes it): %w", gen, err)
	}
	if err := endJournal(ctx, d); err != nil {
		ex.warn("%v", err)
	}
	return next, switchDur, nil
}

func (s *generations) finish(ctx context.Context, ex *executor, next *layout.Manifest, res *Result) error {
	d, o := ex.d, ex.o
	if s.migrating {
		if err := finishMigration(ctx, d, ex.prev, ex.drifted, res); err != nil {
			return fmt.Errorf("moved to the generations layout, but removing the files left at the export root failed (they stay outside %s): %w", layout.Current, err)
		}
	}
	if err := collectGenerations(ctx, d, next, o.Keep, o.Grace, o.Now(), o.Log); err != nil {
		res.Warnings = append(res.Warnings, "removing old generations: "+err.Error())
	}
	return nil
}

// unchanged puts back, on a run with nothing to publish, what keeps
// Airflow's scan sound: the generations folder's mode and the root's
// .airflowignore.
func (s *generations) unchanged(ctx context.Context, ex *executor, res *Result) error {
	if err := ensureMetaDir(ctx, ex.d, ex.o.Owner, layout.GenerationsDir, layout.GenerationsMode); err != nil {
		return err
	}
	w, err := ensureRootIgnore(ctx, ex.d, layout.TempName(), ex.metaAttr(), false)
	if w != "" {
		res.Warnings = append(res.Warnings, w)
	}
	return err
}

func (s *generations) relink(ctx context.Context, ex *executor, target *layout.Manifest, res *Result) error {
	return relink(ctx, ex, target, res)
}

func (s *generations) readable(next *layout.Manifest, uploads []SourceFile, sealed map[string]nfs.FileInfo) ([]SourceFile, map[string]nfs.FileInfo) {
	known := make(map[string]nfs.FileInfo, len(sealed))
	for rel, fi := range sealed {
		known[path.Join(next.Root(), rel)] = fi
	}
	return inRoot(next.Root(), uploads), known
}

// switchCurrent makes Current name generation gen: a new symlink, made in
// the staging folder as tmp (a name in the run's journal), renamed over
// Current. It returns how long the RENAME took.
func switchCurrent(ctx context.Context, d nfs.Dest, tmp string, gen int, owner nfs.Attr) (time.Duration, error) {
	if fi, err := d.Stat(ctx, layout.Current); err == nil && fi.Mode&fs.ModeSymlink == 0 {
		return 0, fmt.Errorf("%s/%s is a %s, not the symlink dagnfs makes; move it aside and publish again", d, layout.Current, kindOf(fi))
	}
	if err := d.Symlink(ctx, layout.GenerationName(gen), tmp); err != nil {
		return 0, err
	}
	if owner.UID >= 0 || owner.GID >= 0 {
		// the owner the rest has (a root publish into a mounted folder
		// would leave it root's)
		if err := nfs.Lchown(ctx, d, tmp, owner.UID, owner.GID); err != nil {
			cctx, cancel := nfs.CleanupContext(ctx)
			defer cancel()
			_ = d.Remove(cctx, tmp)
			return 0, err
		}
	}
	t0 := time.Now()
	err := d.Rename(ctx, tmp, layout.Current)
	took := time.Since(t0)
	if err != nil {
		cctx, cancel := nfs.CleanupContext(ctx)
		defer cancel()
		_ = d.Remove(cctx, tmp)
		return took, fmt.Errorf("switching %s to generation %d: %w", layout.Current, gen, err)
	}
	return took, nfs.Flush(ctx, d)
}

func kindOf(fi nfs.FileInfo) string {
	switch {
	case fi.IsDir():
		return "folder"
	case fi.IsRegular():
		return "regular file"
	}
	return "special file"
}

// CurrentGeneration reads the generation Current names (0 when there is no
// Current).
func CurrentGeneration(ctx context.Context, d nfs.Dest) (int, error) {
	target, err := d.Readlink(ctx, layout.Current)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	gen, ok := layout.ParseGenerationName(target)
	if !ok {
		return 0, fmt.Errorf("%s/%s points to %q, not to a generation folder dagnfs made", d, layout.Current, target)
	}
	return gen, nil
}

// carriedFile is a file of the previous generation that the next one keeps.
type carriedFile struct {
	rel  string
	info nfs.FileInfo
}

// listCarried lists the files below dir of the previous generation's folder
// prevRoot, except those replaced.
func (ex *executor) listCarried(ctx context.Context, prevRoot, dir string, replaced map[string]bool) ([]carriedFile, error) {
	entries, err := ex.d.ReadDir(ctx, path.Join(prevRoot, dir))
	if errors.Is(err, fs.ErrNotExist) && dir == "" {
		return nil, fmt.Errorf("the folder of the current generation, %s, is missing; see dagnfs status", prevRoot)
	}
	if err != nil {
		return nil, err
	}
	var out []carriedFile
	for _, e := range entries {
		rel := path.Join(dir, e.Name)
		switch {
		case prevRoot == "" && dir == "" && (e.Name == layout.Dir || e.Name == layout.Current):
			// migrating from in-place: the export root is the previous
			// generation, and these are dagnfs's own
		case e.IsDir():
			sub, err := ex.listCarried(ctx, prevRoot, rel, replaced)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		case !e.IsRegular():
			ex.warn("%s in generation folder %s is not a regular file; the new generation leaves it out", rel, prevRoot)
		case prevRoot == "" && !ex.managed[rel]:
			// migrating: only what dagnfs published moves into the
			// generation; what others put at the root stays there
		case !replaced[rel]:
			out = append(out, carriedFile{rel: rel, info: e})
		}
	}
	return out, nil
}

// carry links the carried files into the new generation's folder; where the
// destination has no hard links it copies them, with their mtime.
func (ex *executor) carry(ctx context.Context, prevRoot, root string, files []carriedFile) error {
	var done atomic.Int64
	ex.o.report(Progress{Phase: PhaseLink, Total: len(files)})
	// All the links first, in batches where the destination makes several
	// in one round trip (NFSv4.1); what could not be linked is copied.
	var copies []carriedFile
	if !ex.noLink.Load() {
		pairs := make([]nfs.LinkPair, len(files))
		for i, c := range files {
			pairs[i] = nfs.LinkPair{Existing: path.Join(prevRoot, c.rel), New: path.Join(root, c.rel)}
		}
		for i, err := range nfs.LinkAll(ctx, ex.d, pairs, ex.o.Concurrency) {
			switch {
			case err == nil:
				ex.o.report(Progress{Phase: PhaseLink, Done: int(done.Add(1)), Total: len(files)})
				continue
			case errors.Is(err, fs.ErrExist) || errors.Is(err, fs.ErrNotExist) || ctx.Err() != nil:
				return err
			}
			// No hard links here (refused, or not understood: go-nfs,
			// behind dagnfs serve, misreads LINK): copy.
			if ex.noLink.CompareAndSwap(false, true) { // said once
				ex.o.Log.Debug("hard links refused; copying unchanged files", "err", err)
			}
			copies = append(copies, files[i])
		}
	} else {
		copies = files
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(ex.o.Concurrency)
	for _, c := range copies {
		g.Go(guard.Func(func() error {
			defer func() { ex.o.report(Progress{Phase: PhaseLink, Done: int(done.Add(1)), Total: len(files)}) }()
			from, to := path.Join(prevRoot, c.rel), path.Join(root, c.rel)
			a := nfs.Attr{Mode: c.info.Mode.Perm(), UID: -1, GID: -1, ModTime: c.info.ModTime}
			if ex.d.Caps().Chown {
				a.UID, a.GID = int(c.info.UID), int(c.info.GID)
			}
			if err := copyAt(gctx, ex.d, from, to, a); err != nil {
				return err
			}
			fi, err := ex.d.SetAttr(gctx, to, a) // the mtime, after the content
			if err == nil {
				ex.mu.Lock()
				ex.copied[c.rel] = fi // another file: the manifest records its id
				ex.mu.Unlock()
			}
			return err
		}))
	}
	return g.Wait()
}

// copyAt copies the regular file from to the new name to, in a folder
// nobody sees yet: written in place, no rename.
func copyAt(ctx context.Context, d nfs.Dest, from, to string, a nfs.Attr) error {
	f, err := d.Open(ctx, from)
	if err != nil {
		return err
	}
	defer f.Close()
	p, err := nfs.NewPending(ctx, d, to, to, nfs.Attr{Mode: a.Mode, UID: a.UID, GID: a.GID})
	if err != nil {
		return err
	}
	defer p.Cleanup(ctx)
	if _, err := nfs.Stream(p, f); err != nil {
		return fmt.Errorf("copying %s: %w", from, err)
	}
	if err := p.Seal(ctx); err != nil {
		return err
	}
	return p.Keep()
}

// mkdirOwned creates a folder with the publish's folder mode and owner.
func (ex *executor) mkdirOwned(ctx context.Context, dir string) error {
	if err := ex.d.Mkdir(ctx, dir, ex.o.Owner.DirMode); err != nil {
		return err
	}
	a := nfs.Attr{Mode: ex.o.Owner.DirMode, UID: -1, GID: -1}
	if ex.d.Caps().Chown {
		a.UID, a.GID = ex.o.Owner.UID, ex.o.Owner.GID
	}
	_, err := ex.d.SetAttr(ctx, dir, a)
	return err
}

// makeDirsUnder creates below root the folders that the files need.
func (ex *executor) makeDirsUnder(ctx context.Context, root string, files []string) error {
	known := map[string]bool{}
	var need []string
	for _, f := range files {
		for dir := path.Dir(f); dir != "." && !known[dir]; dir = path.Dir(dir) {
			known[dir] = true
			need = append(need, dir)
		}
	}
	slices.Sort(need) // a parent sorts before its children
	for _, dir := range need {
		if err := ex.mkdirOwned(ctx, path.Join(root, dir)); err != nil {
			return err
		}
	}
	return nil
}

// newManifest starts the manifest of the plan's generation.
func (ex *executor) newManifest() *layout.Manifest { return newManifest(ex.o, ex.plan.Generation) }

// newManifest starts the manifest of generation gen: what, when, by whom.
func newManifest(o Options, gen int) *layout.Manifest {
	action := o.Action
	if action == "" {
		action = "publish"
	}
	m := &layout.Manifest{Format: layout.ManifestFormat, Generation: gen, Action: action, PublishedAt: o.Now().UTC(),
		PublishedBy: layout.Who{User: CurrentUser(), UID: os.Getuid(), Via: o.Via}, Label: o.Label, Tool: "dagnfs " + o.Version}
	m.PublishedBy.Host, _ = os.Hostname()
	m.Uncommitted = o.Uncommitted
	m.PromotedFrom = o.Promoted
	return m
}

// removeTree removes a folder and everything in it. Only dagnfs's own
// folders (generation folders) are ever given to it.
func removeTree(ctx context.Context, d nfs.Dest, dir string) error {
	entries, err := d.ReadDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var files []string
	for _, e := range entries {
		name := path.Join(dir, e.Name)
		if !e.IsDir() {
			files = append(files, name)
		} else if err := removeTree(ctx, d, name); err != nil {
			return err
		}
	}
	// A folder's files in as few round trips as the destination allows.
	for _, err := range nfs.RemoveAll(ctx, d, files, 1) {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := d.Rmdir(ctx, dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// chooseLayout settles the layout of a publish: the one asked for, which
// must be the export's unless migrate says to move the export to it, or
// the export's. migrating says whether this publish moves it.
func chooseLayout(want string, migrate bool, prev *layout.Manifest) (lay string, migrating bool, err error) {
	have := layout.InPlace
	switch {
	case prev.InGenerations():
		have = layout.Generations
	case prev.InBundle():
		have = layout.ManifestBundle
	}
	switch want {
	case "":
		if migrate {
			return "", false, &RefusedError{Reason: "--migrate needs --layout: the layout to move the export to", Setting: "layout"}
		}
		return have, false, nil
	case layout.InPlace, layout.Generations, layout.ManifestBundle:
	default:
		return "", false, &RefusedError{Reason: fmt.Sprintf("layout %q is not %s, %s or %s", want, layout.InPlace, layout.Generations, layout.ManifestBundle), Setting: "layout"}
	}
	if prev.Generation == 0 || want == have {
		return want, false, nil
	}
	if want == layout.ManifestBundle || have == layout.ManifestBundle {
		return "", false, &RefusedError{Reason: fmt.Sprintf("the export is in the %s layout (generation %d); a published root of versioned bundles holds nothing else: publish the bundle to a folder of its own", have, prev.Generation), Setting: "layout"}
	}
	if !migrate {
		return "", false, &RefusedError{Reason: fmt.Sprintf("the export is in the %s layout (generation %d); a publish moves it to %s only when told to", have, prev.Generation, want), Setting: "migrate"}
	}
	return want, true, nil
}

// leaveGenerations ends the generations layout after an export moved back
// to in-place: the files are at the root now, and current goes. The
// generation folders stay for --grace, for pods that still resolve an old
// current, and go with the garbage collection of later publishes.
func leaveGenerations(ctx context.Context, d nfs.Dest, res *Result) error {
	if err := d.Remove(ctx, layout.Current); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	res.Warnings = append(res.Warnings, fmt.Sprintf("the export moved to the in-place layout: Airflow's dags folder must now be the mount itself, not %s", layout.Current))
	return nil
}

// finishMigration removes, after an export moved from in-place to the
// generations layout, the files the in-place generation left at the export
// root: the new generation holds them (the unchanged ones as hard links to
// the very same files). Only files that are still what dagnfs published
// there go; the others are reported and stay.
func finishMigration(ctx context.Context, d nfs.Dest, prev *layout.Manifest, drifted map[string]bool, res *Result) error {
	dirs := map[string]bool{}
	for _, e := range prev.Files {
		if e.Path == layout.IgnoreFile {
			continue // replaced already by dagnfs's own, for the root
		}
		if drifted[e.Path] {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s at the export root was changed by someone else, so it stays there, outside %s; remove it once Airflow reads %s", e.Path, layout.Current, layout.Current))
			continue
		}
		if err := d.Remove(ctx, e.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		for dir := path.Dir(e.Path); dir != "."; dir = path.Dir(dir) {
			dirs[dir] = true
		}
	}
	list := make([]string, 0, len(dirs))
	for dir := range dirs {
		list = append(list, dir)
	}
	slices.SortFunc(list, func(a, b string) int { return len(b) - len(a) }) // children first
	for _, dir := range list {
		_ = d.Rmdir(ctx, dir) // fails, harmlessly, when someone else's files are in it
	}
	res.Warnings = append(res.Warnings, fmt.Sprintf("the export moved to the generations layout: Airflow's dags folder must now be %s at the mount (AIRFLOW__CORE__DAGS_FOLDER=<mount>/%s); until then Airflow finds the DAGs through %s, at new paths, and their imports of the folder's own modules fail (dagnfs verify <mount> --dags-folder <its dags folder> checks the setting)", layout.Current, layout.Current, layout.Current))
	return nil
}

// reconcile makes the manifest agree with Current after an interrupted
// run: a run that switched Current but did not write the manifest left the
// new generation's manifest in the history, and it becomes the manifest.
func reconcile(ctx context.Context, d nfs.Dest, prev *layout.Manifest, attr nfs.Attr, log interface{ Warn(string, ...any) }) (*layout.Manifest, error) {
	if err := repointCurrent(ctx, d, prev, attr, log); err != nil {
		return nil, err
	}
	cur, err := CurrentGeneration(ctx, d)
	if err != nil {
		return nil, err
	}
	switch {
	case cur == 0 && prev.Generation == 0:
		return prev, nil
	case cur == 0:
		return nil, fmt.Errorf("%s/%s is missing, but the manifest records generation %d; dagnfs rollback --to %d puts it back",
			d, layout.Current, prev.Generation, prev.Generation)
	case prev.Generation > 0 && cur == prev.Folder:
		return prev, nil
	}
	hist, err := layout.ReadHistory(ctx, d, layout.MaxGeneration)
	if err != nil {
		return nil, err
	}
	for _, m := range hist { // newest first
		if m.Generation > prev.Generation && m.InGenerations() && m.Folder == cur {
			if err := nfs.WriteFile(ctx, d, layout.TempName(), layout.ManifestPath, m.Encode(), attr); err != nil {
				return nil, err
			}
			log.Warn("an interrupted publish had switched to a generation it did not record; recorded it now", "generation", m.Generation)
			return m, nil
		}
	}
	return nil, fmt.Errorf("%s/%s points to generation %d, which the manifest (generation %d) and the history do not record; see dagnfs status",
		d, layout.Current, cur, prev.Generation)
}

// repointCurrent puts current back at the generation the manifest records
// when someone made it a symlink to anything else (/etc, say): a folder
// dagnfs did not make is never served, and the next publish says what it
// repaired. A current that is not a symlink is left for its owner to move.
func repointCurrent(ctx context.Context, d nfs.Dest, prev *layout.Manifest, attr nfs.Attr, log interface{ Warn(string, ...any) }) error {
	if !prev.InGenerations() {
		return nil
	}
	target, err := d.Readlink(ctx, layout.Current)
	if err != nil {
		return nil // missing or not a symlink: CurrentGeneration and the switch say so
	}
	if _, ok := layout.ParseGenerationName(target); ok {
		return nil
	}
	if fi, err := d.Stat(ctx, prev.Root()); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s/%s points to %q, not to a generation folder dagnfs made, and generation %d's folder is gone; dagnfs rollback puts back a kept one", d, layout.Current, target, prev.Generation)
	}
	if _, err := switchCurrent(ctx, d, layout.TempName(), prev.Folder, attr); err != nil {
		return err
	}
	log.Warn(fmt.Sprintf("%s pointed to %s, not to a generation folder dagnfs made; pointed it back at %s, as the manifest records", layout.Current, strconv.Quote(target), prev.Root()))
	return nil
}

// relink makes a kept generation current again, in the generations layout:
// a new manifest that names the kept folder, and one RENAME.
func relink(ctx context.Context, ex *executor, target *layout.Manifest, res *Result) error {
	d, o, prev := ex.d, ex.o, ex.prev
	if !prev.InGenerations() || !target.InGenerations() {
		return &RefusedError{Reason: fmt.Sprintf("generation %d was published in place, before the export moved to the generations layout: roll back to a generation published since (see dagnfs history)", target.Generation)}
	}
	if fi, err := d.Stat(ctx, target.Root()); err != nil || !fi.IsDir() {
		return &RefusedError{Reason: fmt.Sprintf("the folder of generation %d, %s, is gone (removed after --grace); roll back to a kept one (see dagnfs history)", target.Generation, target.Root())}
	}
	next := *target
	next.Generation, next.Action, next.Label = prev.Generation+1, "rollback", o.Label
	fresh := newManifest(o, next.Generation)
	next.PublishedAt, next.PublishedBy, next.Tool = fresh.PublishedAt, fresh.PublishedBy, fresh.Tool
	res.Generation, res.Folder = next.Generation, next.Folder
	res.Unchanged = len(next.Files) // nothing is copied: the switch brings them back
	if o.DryRun {
		return nil
	}
	attr := metaAttr(d, o.Owner)
	historyTmp, linkTmp, manifestTmp, ignoreTmp := ex.reserve(), ex.reserve(), ex.reserve(), ex.reserve()
	if err := ex.writeJournal(ctx); err != nil {
		return err
	}
	if err := nfs.WriteFile(ctx, d, historyTmp, layout.HistoryName(next.Generation), next.Encode(), attr); err != nil {
		return err
	}
	if w, err := ensureRootIgnore(ctx, d, ignoreTmp, attr, false); err != nil {
		return err
	} else if w != "" {
		res.Warnings = append(res.Warnings, w)
	}
	o.report(Progress{Phase: PhaseSwitch})
	ex.switchTotal = 1
	took, err := switchCurrent(ctx, d, linkTmp, next.Folder, attr)
	res.SwitchMS = float64(took.Microseconds()) / 1000
	if err != nil {
		return err
	}
	ex.switched = 1
	if err := finishRelink(ctx, d, manifestTmp, &next, attr, res); err != nil {
		return fmt.Errorf("switched to generation %d's folder, but writing the manifest failed (the next publish completes it): %w", target.Generation, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := collectGenerations(ctx, d, &next, o.Keep, o.Grace, o.Now(), o.Log); err != nil {
		res.Warnings = append(res.Warnings, "removing old generations: "+err.Error())
	}
	return checkReadable(ctx, d, o, inRoot(next.Root(), nil), nil)
}

// finishRelink records a rollback's switch, even if the run is interrupted
// now (within the cleanup budget): the manifest, then the journal goes.
func finishRelink(ctx context.Context, d nfs.Dest, manifestTmp string, next *layout.Manifest, attr nfs.Attr, res *Result) error {
	ctx, done := nfs.Finishing(ctx)
	defer done()
	if err := nfs.WriteFile(ctx, d, manifestTmp, layout.ManifestPath, next.Encode(), attr); err != nil {
		return err
	}
	if err := endJournal(ctx, d); err != nil {
		res.Warnings = append(res.Warnings, err.Error())
	}
	return nil
}

// collectGenerations removes the generation folders nobody may need any
// more, and their manifests (collectKept): the folder Current names and the
// one before it are never removed, whatever keep and grace say.
func collectGenerations(ctx context.Context, d nfs.Dest, cur *layout.Manifest, keep int, grace time.Duration, now time.Time, log interface {
	Debug(string, ...any)
}) error {
	folder := func(m *layout.Manifest) (int, bool) { return m.Folder, m.InGenerations() }
	return collectKept(ctx, d, cur, keep, grace, now, log, keptSets[int]{
		what: "generation folder",
		key:  folder,
		previous: func(hist []*layout.Manifest) (int, bool) {
			if len(hist) > 1 {
				return folder(hist[1])
			}
			return 0, false
		},
		list: func(ctx context.Context) ([]nfs.FileInfo, error) { return listGenerations(ctx, d) },
		parse: func(name string) (int, bool) {
			gen, ok := layout.ParseGenerationName(layout.GenerationsDir + "/" + name)
			return gen, ok && gen <= cur.Generation
		},
		remove: func(ctx context.Context, gen int) error { return removeTree(ctx, d, layout.GenerationName(gen)) },
	})
}

package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/dagnfs/dagnfs/internal/guard"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/validate"
)

// recoverJournal removes the temporary files that an interrupted publish
// named in its journal, then the journal. Only names in the staging folder
// are ever removed (layout.ParseJournal).
func recoverJournal(ctx context.Context, d nfs.Dest, log *slog.Logger) error {
	b, err := d.ReadFile(ctx, layout.JournalPath, layout.MaxJournal)
	if errors.Is(err, fs.ErrNotExist) {
		// A run killed while writing its journal left at most this.
		if err := d.Remove(ctx, layout.JournalTemp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if err != nil && !errors.Is(err, nfs.ErrTooLarge) && !errors.Is(err, nfs.ErrNotRegular) {
		return err
	}
	j, perr := layout.ParseJournal(b)
	if err != nil || perr != nil {
		log.Warn("ignoring an unreadable journal; its temporary files stay in the staging folder, where nobody can list them",
			"path", layout.JournalPath, "err", errors.Join(err, perr))
		j = &layout.Journal{}
	}
	if err := d.Remove(ctx, layout.JournalTemp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	removed := 0
	for _, t := range j.Temps {
		if err := d.Remove(ctx, t); err == nil {
			removed++
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if removed > 0 {
		log.Info("removed temporary files of an interrupted publish", "files", removed, "run", j.RunID)
	}
	if errors.Is(err, nfs.ErrNotRegular) {
		return fmt.Errorf("%s/%s is not a regular file (dagnfs never makes one); remove it", d, layout.JournalPath)
	}
	return d.Remove(ctx, layout.JournalPath)
}

// interrupted is err, the end of an interrupted run, as an
// *InterruptedError saying how far the run got; ex is nil when it was
// stopped before its plan, prev the generation current before it (-1:
// not read yet).
func (ex *executor) interrupted(err error, prev int) error {
	if ex == nil {
		return &InterruptedError{Previous: prev, Err: err} // nothing changed yet
	}
	left := !ex.cleaned && ex.journaled
	if ex.switched == 0 && ex.building {
		left = true // the folder of a generation or version being built
	}
	if ex.switched > 0 {
		left = false // the journal went with the records
	}
	return &InterruptedError{Previous: ex.prev.Generation, Generation: ex.plan.Generation,
		Switched: ex.switched, Total: ex.switchTotal, Left: left, Err: err}
}

// reserve gives a temporary name for one of the run's own files, listed
// in the journal that writeJournal writes next.
func (ex *executor) reserve() string {
	t := layout.TempName()
	ex.journal = append(ex.journal, t)
	ex.own = append(ex.own, t)
	return t
}

// writeJournal records the reserved temporary names and temps before any
// is created, so that the next run can remove what a crash leaves.
func (ex *executor) writeJournal(ctx context.Context, temps ...string) error {
	ex.journal = append(ex.journal, temps...)
	j := layout.Journal{RunID: randomID(), Temps: ex.journal}
	ex.journaled = true // even if the write fails: it may have landed
	return nfs.WriteFile(ctx, ex.d, layout.JournalTemp, layout.JournalPath, j.Encode(), ex.metaAttr())
}

// endJournal removes the journal once the run's temporary files are all
// renamed or removed.
func endJournal(ctx context.Context, d nfs.Dest) error {
	if err := d.Remove(ctx, layout.JournalPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("could not remove %s: %v", layout.JournalPath, err)
	}
	return nil
}

// executor carries out a plan.
type executor struct {
	d        nfs.Dest
	o        Options
	plan     *Plan
	prev     *layout.Manifest
	warnings []string
	mu       sync.Mutex
	noLink   atomic.Bool
	sealed   map[string]nfs.FileInfo // what the destination reported at Seal
	linked   map[string]bool         // uploads that are a promote's FROM files, linked
	report   *validate.Report        // the source's validation
	files    []SourceFile
	// drifted are managed files someone else changed: their content is not
	// what the manifest says, so it is not kept for rollback under its sum.
	drifted map[string]bool
	// journal are the temporary names the run's journal lists: the
	// uploads' and, in own, those of the run's own files (reserve).
	journal, own []string
	// cleaned: after a failure, everything the run wrote under temporary
	// names and its journal are gone (abandon).
	cleaned bool
	// journaled: the journal was written (or its write was attempted).
	journaled bool
	// switched of switchTotal changes of the switch are made (one, the
	// rename of current or of a bundle's reference, outside in place).
	switched, switchTotal int
	// building: a folder that nobody sees until the switch (a generation,
	// a bundle version) was made for this run.
	building bool
	// managed are the previous manifest's files (moving an in-place export
	// into the generations layout carries only these).
	managed map[string]bool
	// copied are the unchanged files copied, not linked, into a new
	// generation, as the destination reported them.
	copied map[string]nfs.FileInfo
}

func (ex *executor) warn(format string, args ...any) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	ex.warnings = append(ex.warnings, fmt.Sprintf(format, args...))
}

// metaAttr is the attribute of dagnfs's own files.
func (ex *executor) metaAttr() nfs.Attr { return metaAttr(ex.d, ex.o.Owner) }

func (ex *executor) attr() nfs.Attr {
	a := nfs.Attr{Mode: ex.o.Owner.FileMode, UID: -1, GID: -1}
	if ex.d.Caps().Chown {
		a.UID, a.GID = ex.o.Owner.UID, ex.o.Owner.GID
	}
	return a
}

// makeDirs creates the folders that new files need, parents first.
func (ex *executor) makeDirs(ctx context.Context) error {
	known := map[string]bool{"": true}
	for _, e := range ex.prev.Files {
		for dir := path.Dir(e.Path); dir != "."; dir = path.Dir(dir) {
			known[dir] = true
		}
	}
	var need []string
	for _, f := range ex.plan.Upload {
		for dir := path.Dir(f.Rel); dir != "." && !known[dir]; dir = path.Dir(dir) {
			known[dir] = true
			need = append(need, dir)
		}
	}
	slices.Sort(need) // a parent sorts before its children
	for _, dir := range need {
		if _, _, err := ensureDir(ctx, ex.d, dir, ex.o.Owner.DirMode); err != nil {
			return err
		}
		a := nfs.Attr{Mode: ex.o.Owner.DirMode, UID: -1, GID: -1}
		if ex.d.Caps().Chown {
			a.UID, a.GID = ex.o.Owner.UID, ex.o.Owner.GID
		}
		if _, err := ex.d.SetAttr(ctx, dir, a); err != nil {
			return err
		}
	}
	return nil
}

// stage writes one file under its temporary name tmp, to become final, and
// seals it.
func (ex *executor) stage(ctx context.Context, tmp, final string, f SourceFile) (*nfs.Pending, error) {
	if ex.o.Source.Link != nil {
		if sum, checked, link := ex.o.Source.Link(f.Rel); link != nil && checked.Size == f.Size {
			p, err := nfs.LinkedPending(ctx, ex.d, tmp, final, ex.attr(), checked, sum,
				func(ctx context.Context) error { return link(ctx, ex.d, tmp) })
			if !errors.Is(err, errors.ErrUnsupported) {
				return p, err
			}
			ex.o.Log.Debug("copying, not linking", "file", f.Rel, "why", err)
		}
	}
	src, err := f.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	p, err := nfs.NewPending(ctx, ex.d, tmp, final, ex.attr())
	if err != nil {
		return nil, err
	}
	if _, err := nfs.Stream(p, src); err != nil {
		return p, err
	}
	if f.Sum != "" && p.Sum() != f.Sum {
		return p, fmt.Errorf("%s changed while it was being published; publish again", f.Rel)
	}
	return p, p.Seal(ctx)
}

// keepObjects keeps the content of files about to be replaced or deleted in
// .dagnfs/objects, by hard link where possible and by copy elsewhere.
func (ex *executor) keepObjects(ctx context.Context, entries []layout.Entry) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(ex.o.Concurrency)
	for _, e := range entries {
		if gctx.Err() != nil {
			break
		}
		g.Go(guard.Func(func() error { return ex.keepObject(gctx, e) }))
	}
	// A server that stopped answering, or an interrupt, stops the step at
	// once and is said once: the switch that follows meets the same fault
	// and ends the run with it.
	if err := g.Wait(); err != nil && ctx.Err() == nil {
		ex.warn("keeping the replaced files for rollback stopped: %v", err)
	}
}

// keepObject keeps one file's content; it returns only a fault that ends
// the step (the server not answering, the run cancelled).
func (ex *executor) keepObject(ctx context.Context, e layout.Entry) error {
	obj := layout.ObjectName(e.SHA256)
	if !ex.noLink.Load() {
		err := ex.d.Link(ctx, e.Path, obj)
		switch {
		case err == nil || errors.Is(err, fs.ErrExist), errors.Is(err, fs.ErrNotExist):
			return nil // kept, or already gone from the export: nothing to keep
		case fault(ctx, err):
			return err
		}
		ex.noLink.Store(true) // no hard links here: copy from now on
	}
	if _, err := ex.d.Stat(ctx, obj); err == nil {
		return nil
	} else if fault(ctx, err) {
		return err
	}
	// Only content that still matches its name is kept (Copy checks the
	// sum of what it streamed).
	err := nfs.Copy(ctx, ex.d, e.Path, layout.TempName(), obj, nfs.Attr{Mode: layout.ObjectMode, UID: -1, GID: -1}, e.SHA256)
	switch {
	case err == nil || errors.Is(err, fs.ErrExist) || errors.Is(err, fs.ErrNotExist):
		return nil
	case fault(ctx, err):
		return err
	}
	ex.warn("could not keep %s for rollback: %v", e.Path, err)
	return nil
}

// fault reports an error that is no file's: the server does not answer,
// or the run was cancelled.
func fault(ctx context.Context, err error) bool {
	var te *nfs.TransportError
	return ctx.Err() != nil || errors.As(err, &te) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// removeEmptyDirs removes folders that deletes emptied, if nothing else is
// in them.
func (ex *executor) removeEmptyDirs(ctx context.Context) {
	dirs := map[string]bool{}
	for _, e := range ex.plan.Delete {
		for dir := path.Dir(e.Path); dir != "."; dir = path.Dir(dir) {
			dirs[dir] = true
		}
	}
	list := make([]string, 0, len(dirs))
	for d := range dirs {
		list = append(list, d)
	}
	slices.SortFunc(list, func(a, b string) int { return len(b) - len(a) }) // children first
	for _, dir := range list {
		_ = ex.d.Rmdir(ctx, dir) // fails, harmlessly, when not empty
	}
}

// contentKey identifies what a generation holds: its paths and their
// contents.
func contentKey(m *layout.Manifest) string {
	files := make([]string, 0, len(m.Files))
	for _, e := range m.Files {
		files = append(files, e.Path+"\x00"+e.SHA256+"\x00")
	}
	slices.Sort(files)
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeHistory keeps next in .dagnfs/history and forgets generations beyond
// keep, with the objects only they referenced. What is forgotten follows from
// the kept manifests, whose names and generations agree and are below next's
// (layout.ReadHistory): a file planted in the history folder cannot make a
// publish forget real generations. from, when not "", is a record just
// written with next's bytes (the manifest): the history's entry is a hard
// link to it (one call; records are replaced by rename, never changed in
// place), or a copy where the link fails.
func writeHistory(ctx context.Context, d nfs.Dest, tmp, from string, next *layout.Manifest, keep int, attr nfs.Attr, log *slog.Logger) error {
	name := layout.HistoryName(next.Generation)
	linked := from != "" && d.Link(ctx, from, name) == nil && nfs.Flush(ctx, d) == nil
	if !linked {
		if err := nfs.WriteFile(ctx, d, tmp, name, next.Encode(), attr); err != nil {
			return err
		}
	}
	if next.Generation <= keep {
		return nil // no generation to forget yet
	}
	hist, err := layout.ReadHistory(ctx, d, next.Generation)
	if err != nil || len(hist) <= keep {
		return err
	}
	// keep counts distinct contents, newest first: a rollback's
	// generation repeats an older one's content and does not push a
	// third content out of reach.
	contents, cut := map[string]bool{}, len(hist)
	for i, m := range hist {
		k := contentKey(m)
		if contents[k] {
			continue
		}
		if len(contents) == keep {
			cut = i
			break
		}
		contents[k] = true
	}
	live := map[string]bool{}
	for _, m := range hist[:cut] {
		for _, e := range m.Files {
			live[e.SHA256] = true
		}
	}
	for _, m := range hist[cut:] {
		for _, e := range m.Files {
			if !live[e.SHA256] {
				live[e.SHA256] = true // remove once
				if err := d.Remove(ctx, layout.ObjectName(e.SHA256)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
		}
		if err := d.Remove(ctx, layout.HistoryName(m.Generation)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		log.Debug("forgot generation", "generation", m.Generation)
	}
	return nil
}

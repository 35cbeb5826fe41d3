package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/dagnfs/dagnfs/internal/guard"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

// The in-place layout: the files at the export root, each staged under a
// temporary name in the unlistable staging folder and renamed over its
// final name in one short burst; replaced and deleted content is kept in
// .dagnfs/objects for rollback.
type inPlace struct {
	// leaving is the generations layout's manifest when this publish
	// moves the export back to in-place.
	leaving                 *layout.Manifest
	manifestTmp, historyTmp string
}

func (s *inPlace) adjust(files []SourceFile, prev *layout.Manifest) ([]SourceFile, *layout.Manifest, error) {
	files, err := withIgnoreBlock(files)
	if err != nil {
		return nil, nil, err
	}
	if prev.InGenerations() {
		// Moving back from the generations layout: the root holds none of
		// the files, they are all uploaded there.
		s.leaving, prev = prev, &layout.Manifest{Format: layout.ManifestFormat, Generation: prev.Generation}
	}
	return files, prev, nil
}

func (s *inPlace) settle(_ context.Context, _ nfs.Dest, prev *layout.Manifest, _ Options) (*layout.Manifest, error) {
	return prev, nil
}

func (s *inPlace) root(*layout.Manifest) string { return "" }

func (s *inPlace) fresh(*layout.Manifest) bool { return false }

func (s *inPlace) deletes(o Deletes) Deletes { return o }

func (s *inPlace) noRepair(asked bool) bool { return asked }

func (s *inPlace) mode(_ string, own Owner) fs.FileMode { return own.FileMode.Perm() }

func (s *inPlace) planned(*Result, *Plan) {}

func (s *inPlace) prepare(ctx context.Context, ex *executor) ([]uploadTarget, error) {
	// Journal every temporary name before creating any: the uploads', the
	// manifest's and the history's.
	targets := make([]uploadTarget, len(ex.plan.Upload))
	temps := make([]string, len(targets))
	for i, f := range ex.plan.Upload {
		temps[i] = layout.TempName()
		targets[i] = uploadTarget{tmp: temps[i], final: f.Rel}
	}
	s.manifestTmp, s.historyTmp = ex.reserve(), ex.reserve()
	if err := ex.writeJournal(ctx, temps...); err != nil {
		return nil, err
	}
	return targets, ex.makeDirs(ctx)
}

func (s *inPlace) commit(ctx context.Context, ex *executor, pend []*nfs.Pending) (*layout.Manifest, time.Duration, error) {
	d, o, plan := ex.d, ex.o, ex.plan

	// Keep the content about to be replaced or deleted, for rollback.
	oldIdx := ex.prev.Index()
	var keep []layout.Entry
	for _, f := range plan.Upload {
		if e, ok := oldIdx[f.Rel]; ok && !ex.drifted[f.Rel] {
			keep = append(keep, e)
		}
	}
	keep = append(keep, plan.Delete...)
	ex.keepObjects(ctx, keep)
	if err := ctx.Err(); err != nil {
		return nil, 0, err // interrupted before the switch: nothing changed
	}

	// The switch: every rename and delete in one burst, which an interrupt
	// does not cut short (within the cleanup budget), then the records.
	ctx, done := nfs.Finishing(ctx)
	defer done()
	committed := make([]bool, len(pend))
	deleted := make([]bool, len(plan.Delete))
	// The new manifest records what is really on the export, even after a
	// partial switch: each file is whole, old or new.
	manifest := func(whole bool) *layout.Manifest {
		next := newManifest(o, plan.Generation)
		idx := ex.prev.Index()
		for i, f := range plan.Upload {
			if whole || committed[i] {
				idx[f.Rel] = ex.entryOf(f)
			}
		}
		for i, e := range plan.Delete {
			if whole || deleted[i] {
				delete(idx, e.Path)
			}
		}
		for _, p := range plan.NotDeleted {
			delete(idx, p) // changed by someone else: no longer ours
		}
		next.Files = sortedEntries(idx)
		recordValidation(next, ex.report, ex.files)
		return next
	}
	// The manifest of a switch that goes through is written while the
	// switch runs (on another connection), and renamed into place after
	// it: one RENAME after the switch instead of a whole write.
	whole := manifest(true)
	staged := make(chan *nfs.Pending, 1)
	guard.Go(func() {
		p, err := nfs.StageFile(ctx, d, s.manifestTmp, layout.ManifestPath, whole.Encode(), ex.metaAttr())
		if err != nil {
			o.Log.Debug("staging the manifest during the switch", "err", err) // written after it instead
		}
		staged <- p
	}, func(err error) {
		o.Log.Warn("staging the manifest during the switch", "err", err)
		staged <- nil
	})
	// In order, one call at a time (concurrent RENAMEs into one folder
	// contend on the server: nfs-ganesha took 4x longer with 4 workers),
	// many to a call where the protocol allows (NFSv4.1's COMPOUND).
	switchTotal := len(pend) + len(plan.Delete)
	ex.switchTotal = switchTotal
	o.report(Progress{Phase: PhaseSwitch, Total: switchTotal})
	t0 := time.Now()
	n, switchErr := nfs.CommitAll(ctx, pend, func(done int) {
		ex.switched = done
		o.report(Progress{Phase: PhaseSwitch, Done: done, Total: switchTotal})
	})
	for i := range n {
		committed[i] = true
	}
	ex.switched = n
	for i, e := range plan.Delete {
		if switchErr != nil {
			break
		}
		if err := d.Remove(ctx, e.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			switchErr = err
			break
		}
		deleted[i] = true
		ex.switched++
		o.report(Progress{Phase: PhaseSwitch, Done: len(pend) + i + 1, Total: switchTotal})
	}
	switchDur := time.Since(t0)
	if err := nfs.Flush(ctx, d); err != nil && switchErr == nil {
		switchErr = err
	}

	next, mp := whole, <-staged
	if switchErr != nil || mp == nil {
		if mp != nil {
			mp.Cleanup(ctx)
		}
		if ex.switched == 0 && switchErr != nil {
			return nil, switchDur, switchErr // nothing changed: nothing to record
		}
		if switchErr != nil {
			next = manifest(false)
		}
		if err := nfs.WriteFile(ctx, d, s.manifestTmp, layout.ManifestPath, next.Encode(), ex.metaAttr()); err != nil {
			return nil, switchDur, errors.Join(switchErr, fmt.Errorf("writing the manifest: %w", err))
		}
	} else if err := errors.Join(mp.Commit(ctx), nfs.Flush(ctx, d)); err != nil {
		mp.Cleanup(ctx)
		return nil, switchDur, fmt.Errorf("writing the manifest: %w", err)
	}
	// The history keeps every generation the manifest ever named, a
	// partial switch's included, so that status, history and rollback
	// agree on what is current and what can be restored.
	if err := writeHistory(ctx, d, s.historyTmp, layout.ManifestPath, next, o.Keep, ex.metaAttr(), o.Log); err != nil {
		ex.warn("history: %v", err)
	}
	if switchErr != nil {
		return nil, switchDur, fmt.Errorf("switch interrupted (every file on the export is whole; the manifest records which are new): %w", switchErr)
	}
	ex.removeEmptyDirs(ctx)
	return next, switchDur, nil // the journal goes at the end
}

func (s *inPlace) finish(ctx context.Context, ex *executor, next *layout.Manifest, res *Result) error {
	d, o := ex.d, ex.o
	if s.leaving != nil {
		if err := leaveGenerations(ctx, d, res); err != nil {
			return fmt.Errorf("moved to the in-place layout, but removing %s failed: %w", layout.Current, err)
		}
	}
	if _, err := d.Stat(ctx, layout.GenerationsDir); err == nil {
		// folders left by the generations layout, after --grace
		if err := collectGenerations(ctx, d, next, o.Keep, o.Grace, o.Now(), o.Log); err != nil {
			res.Warnings = append(res.Warnings, "removing old generations: "+err.Error())
		}
	}
	if err := endJournal(ctx, d); err != nil {
		res.Warnings = append(res.Warnings, err.Error())
	}
	return nil
}

func (s *inPlace) unchanged(context.Context, *executor, *Result) error { return nil }

func (s *inPlace) relink(context.Context, *executor, *layout.Manifest, *Result) error {
	return errors.New("the in-place layout keeps no whole generations to point back at: its rollback copies the kept files")
}

func (s *inPlace) readable(_ *layout.Manifest, uploads []SourceFile, sealed map[string]nfs.FileInfo) ([]SourceFile, map[string]nfs.FileInfo) {
	return uploads, sealed
}

package publish

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

// keptSets is what a garbage collection of whole kept sets needs to know
// of one layout: generation folders by number, or a bundle's versions by
// name.
type keptSets[K comparable] struct {
	what string // for the log
	// key is the set that manifest m's files are in, if m is of this layout.
	key func(m *layout.Manifest) (K, bool)
	// previous is the set released before the current one (hist is newest
	// first and includes the current manifest), never removed.
	previous func(hist []*layout.Manifest) (K, bool)
	// list lists the sets on the export; parse names one (false: not a
	// set this collection may remove).
	list   func(ctx context.Context) ([]nfs.FileInfo, error)
	parse  func(name string) (K, bool)
	remove func(ctx context.Context, k K) error
}

// collectKept removes the sets nobody may need any more, and their
// manifests: a set goes when no manifest among the keep newest names it
// and it stopped being current more than grace ago. The current set and
// the one before it are never removed, whatever keep and grace say.
func collectKept[K comparable](ctx context.Context, d nfs.Dest, cur *layout.Manifest, keep int, grace time.Duration, now time.Time, log interface {
	Debug(string, ...any)
}, s keptSets[K]) error {
	hist, err := layout.ReadHistory(ctx, d, cur.Generation)
	if err != nil {
		return err
	}
	protected := map[K]bool{}
	if k, ok := s.key(cur); ok {
		protected[k] = true
	}
	if k, ok := s.previous(hist); ok {
		protected[k] = true
	}
	for i, m := range hist {
		if k, ok := s.key(m); ok && i < keep {
			protected[k] = true
		}
	}
	// When did each set stop being current: the publish time of the
	// manifest after the newest one that names it.
	retired := map[K]time.Time{}
	for i := len(hist) - 1; i >= 1; i-- { // oldest first
		if k, ok := s.key(hist[i]); ok {
			retired[k] = hist[i-1].PublishedAt
		}
	}
	entries, err := s.list(ctx)
	if err != nil {
		return err
	}
	removed := map[K]bool{}
	for _, e := range entries {
		k, ok := s.parse(e.Name)
		if !ok || !e.IsDir() || protected[k] {
			continue
		}
		when, known := retired[k]
		if !known {
			when = e.ModTime // forgotten by the history: built then, replaced since
		}
		if now.Sub(when) < grace {
			continue
		}
		if err := s.remove(ctx, k); err != nil {
			return err
		}
		removed[k] = true
		log.Debug("removed "+s.what, "which", k)
	}
	for i, m := range hist {
		if k, ok := s.key(m); ok && i >= keep && removed[k] {
			if err := d.Remove(ctx, layout.HistoryName(m.Generation)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

// ErrLockLost: the lock expired and another publisher took it over.
var ErrLockLost = errors.New("lost the destination lock to another publisher (this publish stalled past the lock's lifetime, or both took over the same expired lock)")

type lock struct {
	// tookOver: this lock replaced an expired one, so another publisher
	// may have done the same at the same instant (see check).
	tookOver bool
	d        nfs.Dest
	info     layout.LockInfo
	ttl      time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// acquireWaiting acquires the lock, waiting up to lk.Wait while another
// publisher holds it (saying who, once).
func acquireWaiting(ctx context.Context, d nfs.Dest, info layout.LockInfo, lk Locking, now func() time.Time, log *slog.Logger) (*lock, error) {
	deadline := time.Now().Add(lk.Wait)
	said := false
	for {
		l, err := acquire(ctx, d, info, lk.TTL, now, log)
		var le *LockedError
		if !errors.As(err, &le) || !time.Now().Before(deadline) {
			return l, err
		}
		if !said {
			log.Warn("waiting for the lock", "holder", le.Holder, "since", le.Since, "expires", le.Expires, "up_to", lk.Wait)
			said = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(lockPoll, time.Until(deadline))):
		}
	}
}

// lockPoll is how often a publisher waiting for the lock looks again.
var lockPoll = time.Second

// acquire creates the lock exclusively. An expired lock is removed and the
// creation tried once more.
func acquire(ctx context.Context, d nfs.Dest, info layout.LockInfo, ttl time.Duration, now func() time.Time, log *slog.Logger) (*lock, error) {
	l := &lock{d: d, info: info, ttl: ttl, now: now, log: log}
	for attempt := 0; ; attempt++ {
		l.info.Acquired = now().UTC()
		l.info.Expires = l.info.Acquired.Add(ttl)
		w, err := d.Create(ctx, layout.LockPath, layout.FileMode)
		if err == nil {
			_, err = w.Write(l.info.Encode())
			if err == nil {
				_, err = w.Commit(ctx)
			}
			w.Close()
			if err != nil {
				cctx, cancel := nfs.CleanupContext(ctx)
				d.Remove(cctx, layout.LockPath)
				cancel()
				return nil, err
			}
			return l, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		held, err := layout.ReadLock(ctx, d, ttl)
		if err != nil {
			return nil, err
		}
		if held == nil {
			if attempt >= maxLockAttempts {
				return nil, fmt.Errorf("%s/%s was released and taken %d times while this publisher tried to take it; try again", d, layout.LockPath, attempt+1)
			}
			continue // released meanwhile
		}
		dead := held.HolderGone()
		if held.Live(now()) || attempt > 0 {
			return nil, &LockedError{Lock: strings.TrimSuffix(d.String(), "/") + "/" + layout.LockPath, Holder: held.Holder, Since: held.Acquired, Expires: held.Expires}
		}
		// Known race: two publishers that both find the same lock expired
		// can both remove it, and the second removal can hit the first
		// one's fresh lock. Only locks whose holders are gone are taken
		// over, so this needs two new publishers within one round trip of
		// each other; NFSv3 has no compare-and-remove to close it.
		log.Warn("taking over a lock whose holder is gone", "holder", held.Holder, "expires", held.Expires, "holder_exited", dead)
		if err := d.Remove(ctx, layout.LockPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		l.tookOver = true
	}
}

// maxLockAttempts bounds the tries of one acquire against a lock that other
// publishers keep taking and releasing.
const maxLockAttempts = 50

// takeoverSettle is how long a publisher that took over an expired lock
// waits before checking that the lock is still its own: longer than the
// round trips in which a rival could have removed it.
var takeoverSettle = 300 * time.Millisecond

// check confirms, right before the switch, that the lock is still this
// publisher's. After a takeover it first waits takeoverSettle, so that of
// two publishers that took over the same expired lock at once, the one whose
// lock was removed learns it here and stops (ErrLockLost, exit 4) before
// changing anything.
func (l *lock) check(ctx context.Context) error {
	if l == nil {
		return nil
	}
	if l.tookOver {
		select {
		case <-time.After(takeoverSettle):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	held, err := layout.ReadLock(ctx, l.d, l.ttl)
	if err != nil {
		return err
	}
	if held == nil || held.RunID != l.info.RunID {
		holder := "nobody"
		if held != nil {
			holder = held.Holder
		}
		return fmt.Errorf("%w: it is now held by %s; nothing was changed", ErrLockLost, holder)
	}
	return nil
}

// refresh gives the lock a new expiry, as a compare-and-swap that never
// overwrites a lock another publisher took over: the lock is moved aside
// with one RENAME (atomic: this publisher then has whatever was there),
// what moved is checked to be this run's, and the refreshed lock is
// created again exclusively. A lock of someone else's that was moved is
// put back the same way; a lock someone made in the gap wins.
func (l *lock) refresh(ctx context.Context) error {
	held, err := layout.ReadLock(ctx, l.d, l.ttl)
	if err != nil {
		return err
	}
	if held == nil || held.RunID != l.info.RunID {
		return ErrLockLost
	}
	aside := layout.TempName()
	if err := l.d.Rename(ctx, layout.LockPath, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrLockLost
		}
		return err
	}
	b, rerr := l.d.ReadFile(ctx, aside, layout.MaxLock)
	moved, perr := layout.ParseLock(b)
	if rerr != nil || perr != nil || moved.RunID != l.info.RunID {
		if rerr == nil {
			_ = l.create(ctx, b) // theirs, back where it was, unless a third made one meanwhile
		}
		_ = l.d.Remove(ctx, aside)
		return ErrLockLost
	}
	_ = l.d.Remove(ctx, aside)
	l.info.Expires = l.now().UTC().Add(l.ttl)
	if err := l.create(ctx, l.info.Encode()); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ErrLockLost // another publisher took it in the gap
		}
		return err
	}
	return nil
}

// create makes the lock file exclusively with content b.
func (l *lock) create(ctx context.Context, b []byte) error {
	w, err := l.d.Create(ctx, layout.LockPath, layout.FileMode)
	if err != nil {
		return err
	}
	defer w.Close()
	if _, err := w.Write(b); err != nil {
		return err
	}
	_, err = w.Commit(ctx)
	return err
}

// keepAlive refreshes the lock every ttl/3 until ctx ends; if the lock is
// lost it calls lost.
func (l *lock) keepAlive(ctx context.Context, lost func(error)) {
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.refresh(ctx); err != nil {
				if errors.Is(err, ErrLockLost) {
					lost(err)
					return
				}
				l.log.Warn("could not refresh the lock; will try again", "err", err)
			}
		}
	}
}

// release removes the lock if it is still ours.
func (l *lock) release(ctx context.Context) error {
	held, err := layout.ReadLock(ctx, l.d, l.ttl)
	if err != nil {
		return err
	}
	if held == nil || held.RunID != l.info.RunID {
		return fmt.Errorf("%w; the lock was not removed", ErrLockLost)
	}
	return l.d.Remove(ctx, layout.LockPath)
}

// Why Unlock removed a lock.
const (
	UnlockExpired = "expired" // its publisher stopped refreshing it
	UnlockGone    = "gone"    // its publisher, a process of this host, no longer runs
	UnlockForced  = "forced"  // it was live, and removed on request
)

// Unlock removes the lock on d when its publisher stopped (the lock
// expired, or its holder is a process of this host that no longer runs);
// a live lock only with force, and only if confirm (nil: yes) agrees. It
// returns the lock it found (nil: none) and why it removed it. A live lock
// without force is a *LockedError, a confirmation refused a *RefusedError.
func Unlock(ctx context.Context, d nfs.Dest, force bool, confirm func(*layout.LockInfo) bool, now time.Time) (*layout.LockInfo, string, error) {
	held, err := layout.ReadLock(ctx, d, layout.DefaultLockTTL)
	if err != nil || held == nil {
		return nil, "", err
	}
	var why string
	switch {
	case held.Expired(now):
		why = UnlockExpired
	case held.HolderGone():
		why = UnlockGone
	case !force:
		return held, "", &LockedError{Lock: strings.TrimSuffix(d.String(), "/") + "/" + layout.LockPath, Holder: held.Holder, Since: held.Acquired, Expires: held.Expires, Live: true}
	case confirm != nil && !confirm(held):
		return held, "", &RefusedError{Reason: "unlock cancelled at the confirmation prompt; the lock stays"}
	default:
		why = UnlockForced
	}
	if err := d.Remove(ctx, layout.LockPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return held, "", err
	}
	return held, why, nil
}

package layout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/dagnfs/dagnfs/nfs"
)

// LockInfo is the content of LockPath.
type LockInfo struct {
	Holder   string    `json:"holder"`
	Host     string    `json:"host"`
	User     string    `json:"user"`
	PID      int       `json:"pid"`
	RunID    string    `json:"run_id"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
}

// HolderGone reports whether the lock's holder provably exited: a process
// of this host that no longer runs (a cron job killed midway). From another
// host nothing is provable.
func (l *LockInfo) HolderGone() bool {
	host, err := os.Hostname()
	if err != nil || l.Host != host || l.PID <= 0 || l.PID == os.Getpid() {
		return false
	}
	return errors.Is(syscall.Kill(l.PID, 0), syscall.ESRCH)
}

// DefaultLockTTL is how long a lock holds without a refresh (publish
// --lock-ttl), and the expiry given to a lock that cannot be read, from its
// file's mtime.
const DefaultLockTTL = 10 * time.Minute

// Expired reports whether the lock was not refreshed in time: its
// publisher stopped (killed, or its host gone).
func (l *LockInfo) Expired(now time.Time) bool { return now.After(l.Expires) }

// Live reports whether the lock's publisher is presumably still at work at
// now: the lock has not expired and its holder is not provably gone. A
// lock that is not live may be taken over or removed.
func (l *LockInfo) Live(now time.Time) bool { return !l.Expired(now) && !l.HolderGone() }

// Running describes a live lock's publish: "publishing (pid 42, host h,
// since 2026-01-02T03:04:05Z) by user".
func (l *LockInfo) Running() string {
	return fmt.Sprintf("publishing (pid %d, host %s, since %s) by %s", l.PID, l.Host, l.Acquired.UTC().Format(time.RFC3339), l.User)
}

// Encode returns the lock as JSON.
func (l LockInfo) Encode() []byte {
	b, _ := json.Marshal(l)
	return b
}

// ParseLock decodes a lock. A lock without a run id or expiry is an error.
func ParseLock(b []byte) (*LockInfo, error) {
	if len(b) > MaxLock {
		return nil, fmt.Errorf("larger than %d KiB", MaxLock>>10)
	}
	var li LockInfo
	if err := json.Unmarshal(b, &li); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if li.RunID == "" || li.Expires.IsZero() {
		return nil, errors.New("no run id or expiry")
	}
	if li.PID < 0 || li.PID > 1<<31 {
		return nil, fmt.Errorf("pid %d out of range", li.PID)
	}
	return &li, nil
}

// ReadLock returns the lock on d, or nil when there is none. A lock that
// cannot be decoded (being written, or garbage) has an empty RunID and the
// file's mtime plus ttl as its expiry. Anything but a regular file at
// LockPath is an error: dagnfs never writes one.
func ReadLock(ctx context.Context, d nfs.Dest, ttl time.Duration) (*LockInfo, error) {
	b, err := d.ReadFile(ctx, LockPath, MaxLock)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ESTALE):
		// ESTALE: removed between its LOOKUP and its READ, a released lock
		return nil, nil
	case errors.Is(err, nfs.ErrNotRegular):
		return nil, fmt.Errorf("%s/%s is not a regular file (dagnfs never makes one); remove it: %w", d, LockPath, err)
	case err != nil && !errors.Is(err, nfs.ErrTooLarge):
		return nil, err
	}
	if li, perr := ParseLock(b); err == nil && perr == nil {
		return li, nil
	}
	fi, err := d.Stat(ctx, LockPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &LockInfo{Holder: "an unknown publisher (unreadable lock)", Expires: fi.ModTime.Add(ttl)}, nil
}

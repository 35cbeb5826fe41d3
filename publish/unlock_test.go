package publish

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/layout"
)

// Unlock removes a lock whose publisher stopped (expired, or a process of
// this host that no longer runs) and a live one only when forced and
// confirmed; it names why.
func TestUnlock(t *testing.T) {
	ctx := context.Background()
	dir, d := localDest(t)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, layout.Dir), 0o755))
	lockFile := filepath.Join(dir, layout.LockPath)
	now := time.Now()
	host, _ := os.Hostname()
	exited := exec.Command("true")
	require.NoError(t, exited.Run())
	write := func(li layout.LockInfo) {
		li.RunID = "r"
		require.NoError(t, os.WriteFile(lockFile, li.Encode(), 0o644))
	}
	no := func(*layout.LockInfo) bool { return false }

	held, why, err := Unlock(ctx, d, false, nil, now)
	require.NoError(t, err)
	assert.Nil(t, held, "no lock: nothing to do")
	assert.Empty(t, why)

	write(layout.LockInfo{Holder: "ci", Host: "elsewhere", PID: 7, Acquired: now.Add(-time.Hour), Expires: now.Add(-time.Minute)})
	held, why, err = Unlock(ctx, d, false, no, now)
	require.NoError(t, err)
	assert.Equal(t, UnlockExpired, why)
	assert.Equal(t, "ci", held.Holder)
	assert.NoFileExists(t, lockFile)

	write(layout.LockInfo{Holder: "cron", Host: host, PID: exited.Process.Pid, Acquired: now, Expires: now.Add(time.Hour)})
	_, why, err = Unlock(ctx, d, false, no, now)
	require.NoError(t, err)
	assert.Equal(t, UnlockGone, why)
	assert.NoFileExists(t, lockFile)

	live := layout.LockInfo{Holder: "ci", Host: "elsewhere", PID: 7, Acquired: now, Expires: now.Add(time.Hour)}
	write(live)
	_, _, err = Unlock(ctx, d, false, nil, now)
	var locked *LockedError
	require.ErrorAs(t, err, &locked)
	assert.True(t, locked.Live)
	_, _, err = Unlock(ctx, d, true, no, now)
	var refused *RefusedError
	require.ErrorAs(t, err, &refused)
	assert.FileExists(t, lockFile, "not confirmed: the lock stays")
	_, why, err = Unlock(ctx, d, true, nil, now)
	require.NoError(t, err)
	assert.Equal(t, UnlockForced, why)
	assert.NoFileExists(t, lockFile)

	assert.True(t, live.Expired(now.Add(2*time.Hour)))
	assert.False(t, live.Expired(now))
}

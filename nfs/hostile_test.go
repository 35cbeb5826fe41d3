package nfs_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/nfs/nfstest"
)

// NFSv3 procedures and MOUNT's EXPORT, as the proxy sees them.
const (
	progNFS     = 100003
	progMount   = 100005
	procLookup  = 3
	procRead    = 6
	procWrite   = 7
	procRdPlus  = 17
	mountExport = 5
)

// hostile serves a temporary folder (with a.txt) through a tampering proxy
// and dials it with short timeouts and no retries.
func hostile(t *testing.T, tamper nfstest.Tamper) (*nfs.Remote, string, error) {
	t.Helper()
	return hostileWith(t, tamper, nfs.Options{Timeout: time.Second, Retries: -1})
}

// hostileWith is hostile with the client's options given.
func hostileWith(t *testing.T, tamper nfstest.Tamper, o nfs.Options) (*nfs.Remote, string, error) {
	t.Helper()
	dir, s := nfstest.Server(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte(strings.Repeat("x", 100)), 0o644))
	addr := nfstest.Proxy(t, s.Addr().String(), tamper)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := nfs.Dial(ctx, "nfs://"+addr+"/", o)
	if err == nil {
		t.Cleanup(func() { r.Close() })
	}
	return r, dir, err
}

// on tampers the replies to one procedure and passes the rest through.
func on(prog, proc uint32, f func(reply []byte) []byte) nfstest.Tamper {
	return func(c nfstest.Call, reply []byte) []byte {
		if c.Prog == prog && c.Proc == proc {
			return f(reply)
		}
		return nfstest.Record(reply)
	}
}

func u32(b []byte, off int) uint32 { return binary.BigEndian.Uint32(b[off:]) }

// attrLen is the length of a post_op_attr at off.
func attrLen(b []byte, off int) int {
	if u32(b, off) == 1 {
		return 4 + 84
	}
	return 4
}

const body = nfstest.ReplyHeaderLen + 4 // where an NFS procedure's results start

// allocated reports how many bytes f allocated.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestHostileOversizedRecord(t *testing.T) {
	r, _, err := hostile(t, on(progNFS, procLookup, func([]byte) []byte {
		return []byte{0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4} // "2 GiB follow", no last-fragment bit
	}))
	require.NoError(t, err)
	var serr error
	n := allocated(func() { _, serr = r.Stat(context.Background(), "a.txt") })
	require.Error(t, serr)
	assert.ErrorIs(t, serr, nfs.ErrMalformed)
	assert.Less(t, n, uint64(16<<20), "a record header is never an allocation size")
}

func TestHostileEmptyFragmentsForever(t *testing.T) {
	r, _, err := hostile(t, on(progNFS, procLookup, func([]byte) []byte {
		return make([]byte, 4*2000) // 2,000 empty fragments, none the last
	}))
	require.NoError(t, err)
	_, err = r.Stat(context.Background(), "a.txt")
	assert.ErrorIs(t, err, nfs.ErrMalformed)
}

// A legal reply split into fragments is assembled, not rejected.
func TestMultiFragmentReplies(t *testing.T) {
	r, dir, err := hostile(t, func(_ nfstest.Call, reply []byte) []byte { return nfstest.Fragments(reply, 3) })
	require.NoError(t, err)
	ctx := context.Background()
	b, err := r.ReadFile(ctx, "a.txt", 1000)
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("x", 100), string(b))
	require.NoError(t, nfs.WriteFile(ctx, r, "t.tmp", "b.txt", []byte("fragmented"), nfs.Attr{Mode: 0o644, UID: -1, GID: -1}))
	got, err := os.ReadFile(filepath.Join(dir, "b.txt"))
	require.NoError(t, err)
	assert.Equal(t, "fragmented", string(got))
	entries, err := r.ReadDir(ctx, "")
	require.NoError(t, err)
	assert.Len(t, entries, 2)
}

func TestHostileReadCount(t *testing.T) {
	for name, lie := range map[string]func(b []byte, count int){
		"count larger than the data": func(b []byte, count int) { binary.BigEndian.PutUint32(b[count:], 5000) },
		"data longer than asked":     func(b []byte, count int) { binary.BigEndian.PutUint32(b[count+8:], 1<<30) },
	} {
		t.Run(name, func(t *testing.T) {
			r, _, err := hostile(t, on(progNFS, procRead, func(reply []byte) []byte {
				lie(reply, body+attrLen(reply, body))
				return nfstest.Record(reply)
			}))
			require.NoError(t, err)
			_, err = r.ReadFile(context.Background(), "a.txt", 1000)
			assert.ErrorIs(t, err, nfs.ErrMalformed)
		})
	}
}

func TestHostileWriteCount(t *testing.T) {
	r, _, err := hostile(t, on(progNFS, procWrite, func(reply []byte) []byte {
		off := body
		if u32(reply, off) == 1 { // pre_op_attr
			off += 4 + 24
		} else {
			off += 4
		}
		off += attrLen(reply, off)
		binary.BigEndian.PutUint32(reply[off:], math.MaxUint32)
		return nfstest.Record(reply)
	}))
	require.NoError(t, err)
	err = nfs.WriteFile(context.Background(), r, "t.tmp", "b.txt", []byte("data"), nfs.Attr{Mode: 0o644, UID: -1, GID: -1})
	assert.ErrorIs(t, err, nfs.ErrMalformed)
}

// A size of 2^64-1 is not an allocation either: it reads as too large.
func TestHostileHugeSize(t *testing.T) {
	r, _, err := hostile(t, on(progNFS, procLookup, func(reply []byte) []byte {
		if u32(reply, nfstest.ReplyHeaderLen) != 0 {
			return nfstest.Record(reply)
		}
		fhLen := int(u32(reply, body))
		attr := body + 4 + (fhLen+3)/4*4
		if u32(reply, attr) == 1 {
			binary.BigEndian.PutUint64(reply[attr+4+20:], math.MaxUint64)
		}
		return nfstest.Record(reply)
	}))
	require.NoError(t, err)
	ctx := context.Background()
	fi, err := r.Stat(ctx, "a.txt")
	require.NoError(t, err)
	assert.Equal(t, int64(math.MaxInt64), fi.Size)
	var rerr error
	n := allocated(func() { _, rerr = r.ReadFile(ctx, "a.txt", 1<<20) })
	assert.ErrorIs(t, rerr, nfs.ErrTooLarge)
	assert.Less(t, n, uint64(16<<20))
}

// A folder listing that never ends, or repeats itself, is an error.
func TestHostileEndlessDirectory(t *testing.T) {
	r, _, err := hostile(t, on(progNFS, procRdPlus, nfstest.EndlessListing))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { _, err := r.ReadDir(context.Background(), ""); done <- err }()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, nfs.ErrMalformed)
	case <-time.After(10 * time.Second):
		t.Fatal("ReadDir loops on a folder listing without end")
	}
}

func TestHostileEndlessExportList(t *testing.T) {
	_, _, err := hostile(t, on(progMount, mountExport, func(reply []byte) []byte {
		out := append([]byte(nil), reply[:nfstest.ReplyHeaderLen]...)
		binary.BigEndian.PutUint32(out[20:], 0) // SUCCESS (go-nfs itself has no EXPORT)
		for range 5000 {
			out = binary.BigEndian.AppendUint32(out, 1)
			out = binary.BigEndian.AppendUint32(out, 4)
			out = append(out, "/exp"...)
			out = binary.BigEndian.AppendUint32(out, 0)
		}
		return nfstest.Record(out)
	}))
	require.Error(t, err)
	assert.ErrorIs(t, err, nfs.ErrMalformed)
}

func TestHostileSilenceAndSlowness(t *testing.T) {
	// With the default retries: a silent server costs one timeout, not one
	// per try (issue 20: 7 tries of 30 s each); a new connection would
	// wait as long again.
	r, _, err := hostileWith(t, on(progNFS, procRead, func([]byte) []byte { return nfstest.Silence }), nfs.Options{Timeout: time.Second})
	require.NoError(t, err)
	start := time.Now()
	_, err = r.ReadFile(context.Background(), "a.txt", 1000)
	took := time.Since(start)
	require.Error(t, err)
	assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "got %v", err)
	assert.GreaterOrEqual(t, took, time.Second)
	assert.Less(t, took, 1500*time.Millisecond, "one timeout (1 s), no retries after it")
	// For the timeout after that, calls fail at once with the same error
	// instead of each waiting out its own (issue 20: a dead server, 500
	// files).
	start = time.Now()
	_, err = r.Stat(context.Background(), "a.txt")
	assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "got %v", err)
	assert.Less(t, time.Since(start), 100*time.Millisecond, "fails at once while the server is down")

	// Slow but within the timeout: it works.
	slow, _, err := hostile(t, on(progNFS, procRead, func(reply []byte) []byte {
		time.Sleep(300 * time.Millisecond)
		return nfstest.Record(reply)
	}))
	require.NoError(t, err)
	b, err := slow.ReadFile(context.Background(), "a.txt", 1000)
	require.NoError(t, err)
	assert.Len(t, b, 100)

	// A cancelled context ends a call in flight within CancelGrace: it
	// waits that long for the reply to what was sent (here 200 ms after
	// the cancel) and returns it, so that the caller knows what the
	// server did before any cleanup runs (a file it created is one to
	// remove); the next call reports the cancel.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	b, err = slow.ReadFile(ctx, "a.txt", 1000)
	took = time.Since(start)
	assert.NoError(t, err, "the reply within the grace is the call's result")
	assert.Len(t, b, 100)
	assert.GreaterOrEqual(t, took, 290*time.Millisecond, "the reply within the grace was waited for")
	assert.Less(t, took, 100*time.Millisecond+nfs.CancelGrace+100*time.Millisecond)
	_, err = slow.Stat(ctx, "a.txt")
	assert.ErrorIs(t, err, context.Canceled, "the next call reports the cancel")

	// A reply later than the grace is not waited for.
	slower, _, err := hostile(t, on(progNFS, procRead, func(reply []byte) []byte {
		time.Sleep(2 * time.Second)
		return nfstest.Record(reply)
	}))
	require.NoError(t, err)
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	_, err = slower.ReadFile(ctx, "a.txt", 1000)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 100*time.Millisecond+nfs.CancelGrace+200*time.Millisecond)
	_, err = slow.Stat(context.Background(), "a.txt")
	assert.NoError(t, err, "the destination still works after a cancelled call")
	var pe *fs.PathError
	assert.False(t, errors.As(err, &pe))

}

// A large file's UNSTABLE WRITEs go several at once, on connections of
// their own (issue 21: one after another, 4.6 s for 400 MB where nfs-cp
// took 1.95 s): the server sees more than one of the file's WRITEs
// waiting for its reply at a time, never more than the bound, and the file
// is whole.
func TestLargeFileWritesInFlight(t *testing.T) {
	var now, most atomic.Int32
	r, dir, err := hostileWith(t, on(progNFS, procWrite, func(reply []byte) []byte {
		n := now.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(50 * time.Millisecond) // the reply is on its way
		now.Add(-1)
		return nfstest.Record(reply)
	}), nfs.Options{Timeout: 5 * time.Second, Conns: 8})
	require.NoError(t, err)
	data := make([]byte, 16<<20) // 16 WRITEs of 1 MiB
	for i := range data {
		data[i] = byte(i * 7)
	}
	ctx := context.Background()
	w, err := r.Create(ctx, "big.bin", 0o644)
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	_, err = w.Commit(ctx)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	got, err := os.ReadFile(filepath.Join(dir, "big.bin"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got), "the file is whole")
	assert.Greater(t, most.Load(), int32(1), "WRITEs in flight at once")
	assert.LessOrEqual(t, most.Load(), int32(4), "at most writesInFlight (4)")
}

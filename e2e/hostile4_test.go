//go:build e2e

package e2e

import (
	"context"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/nfs/nfstest"
)

// hostile4 dials a folder of the export over NFSv4.1 through a tampering
// proxy in front of nfs-ganesha; the proxy passes everything through until
// the session is up, then lets tamper change every COMPOUND's reply.
func hostile4(t *testing.T, tamper func(reply []byte) []byte) nfs.Dest {
	t.Helper()
	e := setup(t)
	dir, url := e.folder(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello"), 0o644))
	var on atomic.Bool
	addr := nfstest.Proxy(t, "127.0.0.1:2049", func(c nfstest.Call, reply []byte) []byte {
		if on.Load() && c.Prog == 100003 && c.Vers == 4 && c.Proc == 1 {
			return tamper(reply)
		}
		return nfstest.Record(reply)
	})
	u, err := nfs.ParseURL("nfs://" + addr + dir + "?vers=4.1")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := nfs.DialAny(ctx, u, nfs.Options{UID: 50000, GID: 50000, Timeout: time.Second, Retries: -1})
	require.NoError(t, err, url)
	t.Cleanup(func() { d.Close() })
	on.Store(true)
	return d
}

// Where a COMPOUND reply's parts are (after the RPC header): its status,
// its (empty) tag, the count of results, the first result's operation.
const (
	c4Status = nfstest.ReplyHeaderLen
	c4Count  = c4Status + 8
	c4First  = c4Count + 4
)

func TestHostileV4Replies(t *testing.T) {
	for name, tc := range map[string]struct {
		tamper func(reply []byte) []byte
		want   error
	}{
		"an oversized record": {func([]byte) []byte { return []byte{0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4} }, nfs.ErrMalformed},
		"truncated":           {func(r []byte) []byte { return nfstest.Record(r[:len(r)/2]) }, nfs.ErrMalformed},
		"more results than operations": {func(r []byte) []byte {
			binary.BigEndian.PutUint32(r[c4Count:], 1000)
			return nfstest.Record(r)
		}, nfs.ErrMalformed},
		"a result of another operation": {func(r []byte) []byte {
			binary.BigEndian.PutUint32(r[c4First:], 38) // WRITE where SEQUENCE was sent
			return nfstest.Record(r)
		}, nfs.ErrMalformed},
		"trailing bytes": {func(r []byte) []byte { return nfstest.Record(append(r, 0, 0, 0, 0)) }, nfs.ErrMalformed},
		"silence":        {func([]byte) []byte { return nfstest.Silence }, os.ErrDeadlineExceeded},
	} {
		t.Run(name, func(t *testing.T) {
			d := hostile4(t, tc.tamper)
			var err error
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err = d.ReadFile(context.Background(), "a.txt", 100)
			runtime.ReadMemStats(&after)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			assert.Less(t, time.Since(start), 5*time.Second, "bounded by the call timeout")
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "nothing allocated from what the server claims")
		})
	}
}

// A reply split into fragments is assembled, not refused, over v4.1 too.
func TestV4FragmentedReplies(t *testing.T) {
	d := hostile4(t, func(r []byte) []byte { return nfstest.Fragments(r, 3) })
	b, err := d.ReadFile(context.Background(), "a.txt", 100)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(b))
}

// A path the server's NFSv4 namespace does not hold is an error that says
// where NFSv4.1 looks, never a fallback to NFSv3 (which would name another
// folder if the export's Pseudo and Path differed).
func TestV41PathNotFound(t *testing.T) {
	e := setup(t)
	dir, _ := e.folder(t)
	code, out, errOut := e.run(t, "status", "nfs://127.0.0.1"+dir+"/missing/deeper")
	assert.NotEqual(t, 0, code, out)
	if protocol() == "NFSv4.1" {
		assert.Contains(t, errOut, "the path is not in the server's NFSv4 namespace")
		assert.Contains(t, errOut, "NFS4ERR_NOENT")
		assert.NotContains(t, errOut, "no export holds", "no NFSv3 was tried: %s", errOut)
	}
}

// LinkAll over NFSv4.1 puts many LINKs in one compound: a link that fails
// (its name taken) fails alone, every other is made, as the server's disk
// shows.
func TestV4LinkAll(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	var pairs []nfs.LinkPair
	for i := range 40 {
		name := filepath.Join(dir, "a"+strconv.Itoa(i))
		require.NoError(t, os.WriteFile(name, []byte(strconv.Itoa(i)), 0o644))
		require.NoError(t, os.Chown(name, 50000, 50000))
		pairs = append(pairs, nfs.LinkPair{Existing: "a" + strconv.Itoa(i), New: "b" + strconv.Itoa(i)})
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b7"), []byte("taken"), 0o644))
	u, err := nfs.ParseURL(url + "?vers=4.1")
	require.NoError(t, err)
	ctx := context.Background()
	d, err := nfs.DialAny(ctx, u, nfs.Options{UID: 50000, GID: 50000})
	require.NoError(t, err)
	defer d.Close()
	// As the generations layout does: the listing gives the handles.
	nfs.KeepListedHandles(d, true)
	_, err = d.ReadDir(ctx, "")
	require.NoError(t, err)
	before := d.(nfs.CallCounter).Calls()
	errs := nfs.LinkAll(ctx, d, pairs, 4)
	for i, err := range errs {
		if i == 7 {
			assert.ErrorIs(t, err, fs.ErrExist)
			continue
		}
		require.NoError(t, err, "link %d", i)
		a, err := os.Stat(filepath.Join(dir, "a"+strconv.Itoa(i)))
		require.NoError(t, err)
		b, err := os.Stat(filepath.Join(dir, "b"+strconv.Itoa(i)))
		require.NoError(t, err)
		assert.True(t, os.SameFile(a, b), "b%d is a%d", i, i)
	}
	calls := d.(nfs.CallCounter).Calls() - before
	assert.Less(t, calls, int64(len(pairs)/2), "%d compounds for %d links", calls, len(pairs))

	// RemoveAll likewise: one name already gone, one a folder (refused
	// alone), the rest removed in few compounds.
	require.NoError(t, os.Remove(filepath.Join(dir, "b3")))
	require.NoError(t, os.Remove(filepath.Join(dir, "b9")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "b9"), 0o755))
	var names []string
	for i := range 40 {
		names = append(names, "b"+strconv.Itoa(i))
	}
	before = d.(nfs.CallCounter).Calls()
	errs = nfs.RemoveAll(ctx, d, names, 4)
	for i, err := range errs {
		switch i {
		case 3:
			assert.ErrorIs(t, err, fs.ErrNotExist)
		case 9:
			assert.Error(t, err, "a folder is not removed as a file")
			assert.DirExists(t, filepath.Join(dir, "b9"))
		default:
			require.NoError(t, err, "remove %d", i)
			assert.NoFileExists(t, filepath.Join(dir, names[i]))
		}
	}
	calls = d.(nfs.CallCounter).Calls() - before
	assert.Less(t, calls, int64(len(names)/2), "%d compounds for %d removes", calls, len(names))
}

// stagedFiles writes n sealed files under staging/ of d, each to become
// dags/<i>.py.
func stagedFiles(t *testing.T, d nfs.Dest, n int) []*nfs.Pending {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, d.Mkdir(ctx, "staging", 0o700|fs.ModeDir))
	require.NoError(t, d.Mkdir(ctx, "dags", 0o755|fs.ModeDir))
	var pend []*nfs.Pending
	for i := range n {
		p, err := nfs.NewPending(ctx, d, "staging/"+strconv.Itoa(i)+".tmp", "dags/"+strconv.Itoa(i)+".py", nfs.Attr{Mode: 0o644, UID: -1, GID: -1})
		require.NoError(t, err)
		_, err = p.Write([]byte("x = " + strconv.Itoa(i) + "\n"))
		require.NoError(t, err)
		require.NoError(t, p.Seal(ctx))
		pend = append(pend, p)
	}
	return pend
}

// checkCommitted reads the server's disk: every file at its final name
// with its content, nothing left in staging.
func checkCommitted(t *testing.T, dir string, n int) {
	t.Helper()
	for i := range n {
		b, err := os.ReadFile(filepath.Join(dir, "dags", strconv.Itoa(i)+".py"))
		require.NoError(t, err)
		assert.Equal(t, "x = "+strconv.Itoa(i)+"\n", string(b))
	}
	left, err := os.ReadDir(filepath.Join(dir, "staging"))
	require.NoError(t, err)
	assert.Empty(t, left)
}

// The in-place switch over NFSv4.1 puts many RENAMEs in one compound.
func TestV4CommitAllBatches(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	u, err := nfs.ParseURL(url + "?vers=4.1")
	require.NoError(t, err)
	ctx := context.Background()
	d, err := nfs.DialAny(ctx, u, nfs.Options{UID: 50000, GID: 50000})
	require.NoError(t, err)
	defer d.Close()
	before := nfs.Calls(d)
	pend := stagedFiles(t, d, 300)
	staged := nfs.Calls(d) - before
	assert.LessOrEqual(t, staged, int64(300+4), "compounds to write 300 small files: one each")
	before = nfs.Calls(d)
	n, err := nfs.CommitAll(ctx, pend, nil)
	require.NoError(t, err)
	assert.Equal(t, 300, n)
	calls := nfs.Calls(d) - before
	assert.LessOrEqual(t, calls, int64(12), "compounds for 300 renames")
	t.Logf("300 small files written in %d compounds, renamed in %d", staged, calls)
	checkCommitted(t, dir, 300)
}

// A batch of renames whose reply is lost (the server ran it, then the
// connection broke) is finished one by one: every file ends at its final
// name, none missing.
func TestV4CommitAllLostReply(t *testing.T) {
	e := setup(t)
	dir, _ := e.folder(t)
	// A compound of more than 20 results: a batch of renames.
	d, armed, dropped := dropOneV4Reply(t, dir, func(n uint32) bool { return n > 20 })
	ctx := context.Background()
	pend := stagedFiles(t, d, 150)
	armed.Store(true)
	n, err := nfs.CommitAll(ctx, pend, nil)
	require.NoError(t, err)
	assert.True(t, dropped.Load(), "a batch's reply was dropped")
	assert.Equal(t, 150, n)
	for _, p := range pend {
		assert.True(t, p.Committed())
	}
	checkCommitted(t, dir, 150)
}

// A small file is made in one compound (OPEN, WRITE, CLOSE); when that
// compound's reply is lost (the server ran it, then the connection broke),
// the retry finds the file made and writes it again by its handle.
func TestV4FreshCreateLostReply(t *testing.T) {
	e := setup(t)
	dir, _ := e.folder(t)
	// SEQUENCE PUTFH OPEN GETFH WRITE CLOSE GETATTR: 7 results
	d, armed, dropped := dropOneV4Reply(t, dir, func(n uint32) bool { return n == 7 })
	ctx := context.Background()
	armed.Store(true)
	require.NoError(t, nfs.WriteFile(ctx, d, "new.tmp", "dag.py", []byte("x = 1\n"), nfs.Attr{Mode: 0o644, UID: -1, GID: -1}))
	assert.True(t, dropped.Load(), "the create's reply was dropped")
	b, err := os.ReadFile(filepath.Join(dir, "dag.py"))
	require.NoError(t, err)
	assert.Equal(t, "x = 1\n", string(b))
	_, err = os.Stat(filepath.Join(dir, "new.tmp"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// dropOneV4Reply dials dir over NFSv4.1 through a proxy that, once armed,
// closes the connection instead of passing on the first COMPOUND reply
// whose count of results match accepts: the server ran the compound, the
// client never hears of it.
func dropOneV4Reply(t *testing.T, dir string, match func(results uint32) bool) (d nfs.Dest, armed, dropped *atomic.Bool) {
	t.Helper()
	armed, dropped = new(atomic.Bool), new(atomic.Bool)
	addr := nfstest.Proxy(t, "127.0.0.1:2049", func(c nfstest.Call, reply []byte) []byte {
		if armed.Load() && c.Prog == 100003 && c.Vers == 4 && c.Proc == 1 && len(reply) > c4Count+4 &&
			match(binary.BigEndian.Uint32(reply[c4Count:])) && dropped.CompareAndSwap(false, true) {
			return nil
		}
		return nfstest.Record(reply)
	})
	u, err := nfs.ParseURL("nfs://" + addr + dir + "?vers=4.1")
	require.NoError(t, err)
	d, err = nfs.DialAny(context.Background(), u, nfs.Options{UID: 50000, GID: 50000, Timeout: time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d, armed, dropped
}

// A folder near DEST (a share's root above it) is opened in DEST's
// NFSv4.1 session: no connection, client ID or session of its own, its
// calls counted with DEST's; closing it leaves DEST working. A path that is
// not there is the same error as a dial's.
func TestV4NearSharesTheSession(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "team"), 0o755))
	require.NoError(t, os.Chown(filepath.Join(dir, "team"), 50000, 50000))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "marker"), []byte("above"), 0o644))
	ctx := context.Background()
	u, err := nfs.ParseURL(url + "/team?vers=4.1")
	require.NoError(t, err)
	d, err := nfs.DialAny(ctx, u, nfs.Options{UID: 50000, GID: 50000})
	require.NoError(t, err)
	defer d.Close()
	parent, _, ok := d.Location().Parent()
	require.True(t, ok)
	opened := 0
	open := func(ctx context.Context, loc nfs.Location) (nfs.Dest, error) {
		opened++
		return nfs.Open(ctx, loc, nfs.Options{UID: 50000, GID: 50000})
	}
	before := nfs.Calls(d)
	n, err := nfs.OpenNear(ctx, d, parent, open)
	require.NoError(t, err)
	b, err := n.ReadFile(ctx, "marker", 100)
	require.NoError(t, err)
	assert.Equal(t, "above", string(b))
	assert.Zero(t, opened, "no dial of its own")
	assert.Greater(t, nfs.Calls(d), before, "its calls are DEST's")
	require.NoError(t, n.Close())
	_, err = d.Stat(ctx, "")
	require.NoError(t, err, "DEST works after its neighbour is closed")

	missing, _, _ := d.Location().Parent()
	missing.URL.Path += "/missing"
	_, err = nfs.OpenNear(ctx, d, missing, open)
	assert.ErrorContains(t, err, "the path is not in the server's NFSv4 namespace")
	assert.Zero(t, opened)
}

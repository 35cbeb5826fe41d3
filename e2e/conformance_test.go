//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/nfs/nfstest"
)

// The conformance suite that the unit tests run on a temporary folder and on
// the in-process server, here on real nfs-ganesha: the mounted-folder
// destination on the export's folder (the server's disk, as a pod's mount
// shows it), and the NFS destination over the wire as uid/gid 50000.
func TestConformanceLocalOnExport(t *testing.T) {
	e := setup(t)
	nfstest.Run(t, func(t *testing.T) nfs.Dest {
		dir, _ := e.folder(t)
		d, err := nfs.OpenLocal(dir)
		require.NoError(t, err)
		t.Cleanup(func() { d.Close() })
		return d
	}, nfstest.SuiteOptions{})
}

func TestConformanceNFSOnGanesha(t *testing.T) {
	e := setup(t)
	for _, vers := range []string{nfs.Vers3, nfs.Vers41} {
		t.Run("v"+vers, func(t *testing.T) {
			nfstest.Run(t, func(t *testing.T) nfs.Dest {
				_, url := e.folder(t)
				u, err := nfs.ParseURL(url + "?vers=" + vers)
				require.NoError(t, err)
				d, err := nfs.DialAny(context.Background(), u, nfs.Options{UID: 50000, GID: 50000})
				require.NoError(t, err)
				t.Cleanup(func() { d.Close() })
				require.Equal(t, "NFSv"+vers, d.Caps().Protocol)
				return d
			}, nfstest.SuiteOptions{})
		})
	}
}

// Writing many small files allocates per file about what the file holds,
// not a buffer of the server's largest WRITE (1 MiB on nfs-ganesha) each:
// a publish of 1,000 x 4 KiB over NFSv4.1 once spent most of its time in
// the garbage collector, starving the server on a 2-core machine.
func TestSmallFilesAllocateLittle(t *testing.T) {
	e := setup(t)
	for _, vers := range []string{nfs.Vers3, nfs.Vers41} {
		t.Run("v"+vers, func(t *testing.T) {
			_, url := e.folder(t)
			u, err := nfs.ParseURL(url + "?vers=" + vers)
			require.NoError(t, err)
			ctx := context.Background()
			d, err := nfs.DialAny(ctx, u, nfs.Options{UID: 50000, GID: 50000, Conns: 4})
			require.NoError(t, err)
			defer d.Close()
			data := bytes.Repeat([]byte("x"), 4096)
			write := func(name string) {
				w, err := d.Create(ctx, name, 0o644)
				require.NoError(t, err)
				_, err = w.Write(data)
				require.NoError(t, err)
				_, err = w.Commit(ctx)
				require.NoError(t, err)
				require.NoError(t, w.Close())
			}
			for i := range 10 { // connections, session, folder handles
				write("warm" + strconv.Itoa(i))
			}
			const n = 200
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i := range n {
				write("f" + strconv.Itoa(i))
			}
			runtime.ReadMemStats(&after)
			perFile := (after.TotalAlloc - before.TotalAlloc) / n
			t.Logf("NFSv%s: %d bytes allocated per 4 KiB file", vers, perFile)
			assert.Less(t, perFile, uint64(64<<10), "bytes allocated per 4 KiB file")
		})
	}
}

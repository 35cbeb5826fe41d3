//go:build e2e

package e2e

import (
	"context"
	"testing"

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

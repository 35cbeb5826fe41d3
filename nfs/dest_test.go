package nfs_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/nfs/nfstest"
)

func TestLocalConformance(t *testing.T) {
	nfstest.Run(t, func(t *testing.T) nfs.Dest {
		d, err := nfs.OpenLocal(t.TempDir())
		require.NoError(t, err)
		t.Cleanup(func() { d.Close() })
		return d
	}, nfstest.SuiteOptions{})
}

func TestRemoteConformance(t *testing.T) {
	nfstest.Run(t, func(t *testing.T) nfs.Dest {
		_, s := nfstest.Server(t)
		return nfstest.Dial(t, s.URL())
	}, nfstest.SuiteOptions{NoHardLink: true})
}

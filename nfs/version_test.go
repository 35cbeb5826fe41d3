package nfs_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/nfs/nfstest"
)

// Without ?vers= an NFSv3-only server (the in-process one) is reached
// over NFSv3; with ?vers=4.1 it is an error that says so, never a silent
// NFSv3; an explicit version wins over Options.Version.
func TestVersionFallback(t *testing.T) {
	_, s := nfstest.Server(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts := nfs.Options{UID: 50000, GID: 50000, Timeout: 2 * time.Second, Retries: -1}
	dial := func(raw string, o nfs.Options) (nfs.Dest, error) {
		u, err := nfs.ParseURL(raw)
		require.NoError(t, err)
		d, err := nfs.DialAny(ctx, u, o)
		if err == nil {
			t.Cleanup(func() { d.Close() })
		}
		return d, err
	}
	base := "nfs://" + s.Addr().String() + "/"

	d, err := dial(base, opts)
	require.NoError(t, err)
	assert.Equal(t, "NFSv3", d.Caps().Protocol)

	_, err = dial(base+"?vers=4.1", opts)
	require.Error(t, err, "an NFSv4.1 URL never falls back")

	o41 := opts
	o41.Version = nfs.Vers41
	_, err = dial(base, o41)
	require.Error(t, err, "Options.Version applies to a URL without vers")
	d, err = dial(base+"?vers=3", o41)
	require.NoError(t, err, "the URL's version wins")
	assert.Equal(t, "NFSv3", d.Caps().Protocol)
}

// Nothing listening on the NFS port: NFSv4.1 is not spoken there, so the
// fallback asks NFSv3 (whose error then names the port it tried).
func TestVersionFallbackWhenRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	u, err := nfs.ParseURL("nfs://" + addr + "/x")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = nfs.DialAny(ctx, u, nfs.Options{Timeout: time.Second, Retries: -1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MOUNT", "the NFSv3 dial was tried: %v", err)
}

package nfs_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/nfs/nfstest"
	"github.com/dagnfs/dagnfs/nfs/server"
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

// A server restart breaks every connection and, for a server whose handles
// do not survive it (go-nfs), every handle: the destination reconnects and
// mounts again by itself.
func TestRemoteSurvivesServerRestart(t *testing.T) {
	dir, s := nfstest.Server(t)
	r := nfstest.Dial(t, s.URL())
	ctx := context.Background()
	require.NoError(t, r.Mkdir(ctx, "sub", 0o755))
	require.NoError(t, nfs.WriteFile(ctx, r, "sub/t.tmp", "sub/a.txt", []byte("before"), nfs.Attr{Mode: 0o644, UID: -1, GID: -1}))
	before := r.Calls()

	addr := s.Addr().String()
	require.NoError(t, s.Close())
	restarted := make(chan *server.Server, 1)
	go func() {
		time.Sleep(300 * time.Millisecond) // calls made meanwhile fail and are retried
		s2, err := server.Start(dir, addr, server.Options{})
		if err != nil {
			t.Error(err)
		}
		restarted <- s2
	}()
	b, err := r.ReadFile(ctx, "sub/a.txt", 100)
	require.NoError(t, err)
	assert.Equal(t, "before", string(b))
	require.NoError(t, nfs.WriteFile(ctx, r, "sub/u.tmp", "sub/b.txt", []byte("after"), nfs.Attr{Mode: 0o644, UID: -1, GID: -1}))
	got, err := os.ReadFile(filepath.Join(dir, "sub/b.txt"))
	require.NoError(t, err)
	assert.Equal(t, "after", string(got))
	assert.Greater(t, r.Calls(), before)
	(<-restarted).Close()
}

func TestRemoteTimeoutAndDeadServer(t *testing.T) {
	// A listener that accepts and never answers: every call times out.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err = nfs.Dial(ctx, "nfs://"+l.Addr().String()+"/x", nfs.Options{Timeout: time.Second, Retries: -1})
	require.Error(t, err)
	assert.Less(t, time.Since(start), 10*time.Second, "the per-call timeout bounds a silent server")

	// Nothing listens: refused at once, with the address in the message.
	_, err = nfs.Dial(ctx, "nfs://127.0.0.1:1/x", nfs.Options{Timeout: time.Second, Retries: -1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "127.0.0.1:1")
}

// A server that answers every call with garbage (or a truncated reply) is
// an error, never a panic: go-nfs-client panics on some truncated replies.
func TestRemoteGarbageServer(t *testing.T) {
	replies := [][]byte{
		{0x80, 0, 0, 4, 1, 2, 3, 4},                         // a record too short to be a reply
		{0x80, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0},   // truncated mid-header
		{0x80, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1}, // wrong xid
	}
	for i, reply := range replies {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					buf := make([]byte, 4096)
					for {
						if _, err := c.Read(buf); err != nil {
							return
						}
						if _, err := c.Write(reply); err != nil {
							return
						}
					}
				}()
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err = nfs.Dial(ctx, "nfs://"+l.Addr().String()+"/x?mountport="+strconv.Itoa(l.Addr().(*net.TCPAddr).Port),
			nfs.Options{Timeout: time.Second, Retries: -1})
		cancel()
		l.Close()
		assert.Error(t, err, "reply %d", i)
	}
}

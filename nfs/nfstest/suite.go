package nfstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/nfs"
)

// SuiteOptions describe known limits of the destination under test.
type SuiteOptions struct {
	// NoHardLink: the server cannot make hard links (go-nfs v0.0.4 decodes
	// LINK as if it were SYMLINK).
	NoHardLink bool
}

// Run runs the conformance suite. newDest returns an empty destination.
func Run(t *testing.T, newDest func(t *testing.T) nfs.Dest, o SuiteOptions) {
	ctx := context.Background()
	write := func(t *testing.T, d nfs.Dest, name, content string) {
		t.Helper()
		w, err := d.Create(ctx, name, 0o644)
		require.NoError(t, err)
		_, err = w.Write([]byte(content))
		require.NoError(t, err)
		_, err = w.Commit(ctx)
		require.NoError(t, err)
		require.NoError(t, w.Close())
	}
	read := func(t *testing.T, d nfs.Dest, name string) string {
		t.Helper()
		b, err := d.ReadFile(ctx, name, 1<<20)
		require.NoError(t, err)
		return string(b)
	}

	t.Run("MkdirStat", func(t *testing.T) {
		d := newDest(t)
		require.NoError(t, d.Mkdir(ctx, "a", 0o755))
		require.NoError(t, d.Mkdir(ctx, "a/b", 0o750))
		fi, err := d.Stat(ctx, "a/b")
		require.NoError(t, err)
		assert.True(t, fi.IsDir())
		assert.Equal(t, fs.FileMode(0o750), fi.Mode.Perm())
		assert.Equal(t, "b", fi.Name)
		err = d.Mkdir(ctx, "a", 0o755)
		assert.ErrorIs(t, err, fs.ErrExist)
		root, err := d.Stat(ctx, "")
		require.NoError(t, err)
		assert.True(t, root.IsDir())
	})

	t.Run("CreateWriteRead", func(t *testing.T) {
		d := newDest(t)
		big := make([]byte, 3<<20+17) // several WRITE calls
		for i := range big {
			big[i] = byte(i * 7)
		}
		w, err := d.Create(ctx, "big.bin", 0o600)
		require.NoError(t, err)
		n, err := w.Write(big)
		require.NoError(t, err)
		assert.Equal(t, len(big), n)
		_, err = w.Commit(ctx)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		fi, err := d.Stat(ctx, "big.bin")
		require.NoError(t, err)
		assert.Equal(t, int64(len(big)), fi.Size)
		assert.True(t, fi.IsRegular())
		got, err := d.ReadFile(ctx, "big.bin", 4<<20)
		require.NoError(t, err)
		assert.Equal(t, big, got)

		_, err = d.ReadFile(ctx, "big.bin", 1<<20)
		assert.ErrorContains(t, err, "larger than")
		_, err = d.Create(ctx, "big.bin", 0o600)
		assert.ErrorIs(t, err, fs.ErrExist)
		write(t, d, "empty", "")
		assert.Equal(t, "", read(t, d, "empty"))
	})

	t.Run("Errors", func(t *testing.T) {
		d := newDest(t)
		_, err := d.Stat(ctx, "missing")
		var pe *fs.PathError
		require.ErrorAs(t, err, &pe)
		assert.ErrorIs(t, err, fs.ErrNotExist)
		_, err = d.ReadFile(ctx, "missing/x", 10)
		assert.ErrorIs(t, err, fs.ErrNotExist)
		assert.ErrorIs(t, d.Remove(ctx, "missing"), fs.ErrNotExist)
		assert.ErrorIs(t, d.Rename(ctx, "missing", "other"), fs.ErrNotExist)
		_, err = d.Create(ctx, "../escape", 0o644)
		assert.Error(t, err)
		_, err = d.Create(ctx, "nodir/x", 0o644)
		assert.ErrorIs(t, err, fs.ErrNotExist)
	})

	t.Run("SetAttr", func(t *testing.T) {
		d := newDest(t)
		write(t, d, "f", "x")
		fi, err := d.SetAttr(ctx, "f", nfs.Attr{Mode: 0o640, UID: -1, GID: -1})
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o640), fi.Mode.Perm())
		again, err := d.Stat(ctx, "f")
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o640), again.Mode.Perm())
		// Setting the owner to what it already is works without privilege.
		_, err = d.SetAttr(ctx, "f", nfs.Attr{Mode: 0o644, UID: int(again.UID), GID: int(again.GID)})
		require.NoError(t, err)
	})

	t.Run("RenameReplaces", func(t *testing.T) {
		d := newDest(t)
		require.NoError(t, d.Mkdir(ctx, "sub", 0o755))
		write(t, d, "old", "old content")
		write(t, d, "sub/new", "new content")
		src, err := d.Stat(ctx, "sub/new")
		require.NoError(t, err)
		require.NoError(t, d.Rename(ctx, "sub/new", "old"))
		assert.Equal(t, "new content", read(t, d, "old"))
		fi, err := d.Stat(ctx, "old")
		require.NoError(t, err)
		assert.Equal(t, src.FileID, fi.FileID)
		_, err = d.Stat(ctx, "sub/new")
		assert.ErrorIs(t, err, fs.ErrNotExist)
	})

	t.Run("RenameIntoDotFolders", func(t *testing.T) {
		d := newDest(t)
		require.NoError(t, d.Mkdir(ctx, ".meta", 0o755))
		require.NoError(t, d.Mkdir(ctx, ".meta/.deeper", 0o755))
		for _, to := range []string{".meta/a", ".meta/.deeper/b", ".top"} {
			write(t, d, "src", to)
			require.NoError(t, d.Rename(ctx, "src", to), "rename to %s", to)
			require.NoError(t, nfs.Flush(ctx, d), "flush after %s", to)
			assert.Equal(t, to, read(t, d, to))
		}
	})

	t.Run("ReadDir", func(t *testing.T) {
		d := newDest(t)
		require.NoError(t, d.Mkdir(ctx, "dir", 0o755))
		for _, n := range []string{"b.py", "a.py", "c.zip"} {
			write(t, d, path.Join("dir", n), n)
		}
		require.NoError(t, d.Mkdir(ctx, "dir/sub", 0o755))
		list, err := d.ReadDir(ctx, "dir")
		require.NoError(t, err)
		var names []string
		for _, e := range list {
			names = append(names, e.Name)
		}
		assert.Equal(t, []string{"a.py", "b.py", "c.zip", "sub"}, names)
		assert.True(t, list[3].IsDir())
		assert.Equal(t, int64(4), list[0].Size)
	})

	t.Run("RemoveRmdir", func(t *testing.T) {
		d := newDest(t)
		require.NoError(t, d.Mkdir(ctx, "d", 0o755))
		write(t, d, "d/f", "x")
		assert.Error(t, d.Rmdir(ctx, "d"), "a folder that is not empty")
		assert.Error(t, d.Remove(ctx, "d"), "a folder is not a file")
		require.NoError(t, d.Remove(ctx, "d/f"))
		require.NoError(t, d.Rmdir(ctx, "d"))
		_, err := d.Stat(ctx, "d")
		assert.ErrorIs(t, err, fs.ErrNotExist)
	})

	t.Run("Link", func(t *testing.T) {
		if o.NoHardLink {
			t.Skip("this server cannot make hard links; publish falls back to copies")
		}
		d := newDest(t)
		write(t, d, "f", "linked")
		require.NoError(t, d.Link(ctx, "f", "g"))
		a, err := d.Stat(ctx, "f")
		require.NoError(t, err)
		b, err := d.Stat(ctx, "g")
		require.NoError(t, err)
		assert.Equal(t, a.FileID, b.FileID)
		assert.Equal(t, uint32(2), b.Nlink)
		assert.ErrorIs(t, d.Link(ctx, "f", "g"), fs.ErrExist)
	})

	t.Run("CanWrite", func(t *testing.T) {
		d := newDest(t)
		ok, err := d.CanWrite(ctx, "")
		require.NoError(t, err)
		assert.True(t, ok)
	})

	t.Run("PendingProtocol", func(t *testing.T) {
		d := newDest(t)
		// A staging folder as publishers make it: its owner may create,
		// rename and remove in it, nobody may list it.
		require.NoError(t, d.Mkdir(ctx, "meta", 0o755))
		require.NoError(t, d.Mkdir(ctx, "meta/staging", 0o300))
		write(t, d, "dag.py", "old")
		tmp := "meta/staging/a1.tmp"
		assert.NotEqual(t, ".py", path.Ext(tmp))
		require.NoError(t, nfs.WriteFile(ctx, d, tmp, "dag.py", []byte("new"), nfs.Attr{Mode: 0o644, UID: -1, GID: -1}))
		assert.Equal(t, "new", read(t, d, "dag.py"))
		fi, err := d.Stat(ctx, "dag.py")
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o644), fi.Mode.Perm())
		_, err = d.Stat(ctx, tmp)
		assert.ErrorIs(t, err, fs.ErrNotExist, "the temporary name is gone after the rename")

		// A failure before the rename leaves no temporary file and the old
		// content in place.
		tmp = "meta/staging/a2.tmp"
		p, err := nfs.NewPending(ctx, d, tmp, "dag.py", nfs.Attr{Mode: 0o644, UID: -1, GID: -1})
		require.NoError(t, err)
		_, err = p.Write([]byte("half"))
		require.NoError(t, err)
		assert.Error(t, p.Commit(ctx), "commit before seal")
		require.NoError(t, p.Cleanup(ctx))
		_, err = d.Stat(ctx, tmp)
		assert.ErrorIs(t, err, fs.ErrNotExist)
		assert.Equal(t, "new", read(t, d, "dag.py"))
		assert.Equal(t, int64(4), p.Size())
	})

	t.Run("CreateFresh", func(t *testing.T) {
		d := newDest(t)
		// Small, empty and several WRITEs' worth, as Create makes them.
		big := bytes.Repeat([]byte("0123456789abcdef"), 3<<16+3)
		for name, content := range map[string][]byte{"small": []byte("x = 1\n"), "empty": {}, "big": big} {
			w, err := nfs.CreateFresh(ctx, d, name, 0o640)
			require.NoError(t, err)
			_, err = w.Write(content)
			require.NoError(t, err)
			fi, err := w.Commit(ctx)
			require.NoError(t, err, name)
			require.NoError(t, w.Close())
			assert.Equal(t, int64(len(content)), fi.Size, name)
			assert.Equal(t, fs.FileMode(0o640), fi.Mode.Perm(), name)
			got, err := d.ReadFile(ctx, name, 4<<20)
			require.NoError(t, err)
			assert.Equal(t, content, got, name)
		}
		// A name that exists is not overwritten: the error comes at the
		// latest from Commit, and the file keeps its content.
		write(t, d, "taken", "theirs")
		w, err := nfs.CreateFresh(ctx, d, "taken", 0o644)
		if err == nil {
			_, err = w.Write([]byte("ours"))
			if err == nil {
				_, err = w.Commit(ctx)
			}
			w.Close()
		}
		assert.ErrorIs(t, err, fs.ErrExist)
		assert.Equal(t, "theirs", read(t, d, "taken"))
		// Closed unwritten: nothing is left, or an empty file.
		w, err = nfs.CreateFresh(ctx, d, "unwritten", 0o644)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		if fi, err := d.Stat(ctx, "unwritten"); err == nil {
			assert.Zero(t, fi.Size)
		}
		// SetAttr before anything is written makes the file.
		w, err = nfs.CreateFresh(ctx, d, "attr", 0o644)
		require.NoError(t, err)
		fi, err := w.SetAttr(ctx, nfs.Attr{Mode: 0o600, UID: -1, GID: -1})
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o600), fi.Mode.Perm())
		_, err = w.Write([]byte("later"))
		require.NoError(t, err)
		_, err = w.Commit(ctx)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		assert.Equal(t, "later", read(t, d, "attr"))
		_, err = nfs.CreateFresh(ctx, d, "nodir/x", 0o644)
		if err == nil {
			w, _ := nfs.CreateFresh(ctx, d, "nodir/x", 0o644)
			_, err = w.Commit(ctx)
			w.Close()
		}
		assert.ErrorIs(t, err, fs.ErrNotExist)
	})

	t.Run("CommitAll", func(t *testing.T) {
		d := newDest(t)
		require.NoError(t, d.Mkdir(ctx, "staging", 0o700))
		require.NoError(t, d.Mkdir(ctx, "a", 0o755))
		require.NoError(t, d.Mkdir(ctx, "b", 0o755))
		require.NoError(t, d.Mkdir(ctx, "b/taken", 0o755)) // a folder with a file in it: no file is renamed over it
		write(t, d, "b/taken/x", "x")
		finals := []string{"a/0", "a/1", "b/2", "a/3", "b/taken", "a/5"}
		var pend []*nfs.Pending
		for i, final := range finals {
			p, err := nfs.NewPending(ctx, d, fmt.Sprintf("staging/%d.tmp", i), final, nfs.Attr{Mode: 0o644, UID: -1, GID: -1})
			require.NoError(t, err)
			_, err = p.Write([]byte(final))
			require.NoError(t, err)
			require.NoError(t, p.Seal(ctx))
			pend = append(pend, p)
		}
		var heard []int
		n, err := nfs.CommitAll(ctx, pend, func(done int) { heard = append(heard, done) })
		assert.Equal(t, 4, n, "the renames before the one that fails")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "4.tmp", "the error names the file that failed")
		assert.Equal(t, 4, heard[len(heard)-1])
		for i, p := range pend {
			assert.Equal(t, i < 4, p.Committed(), finals[i])
			if i < 4 {
				assert.Equal(t, finals[i], read(t, d, finals[i]))
			} else {
				_, serr := d.Stat(ctx, p.TempPath())
				assert.NoError(t, serr, "%s: not renamed after the failure", finals[i])
			}
		}
		_, err = d.Stat(ctx, "a/5")
		assert.ErrorIs(t, err, fs.ErrNotExist)
		for _, p := range pend {
			require.NoError(t, p.Cleanup(ctx))
		}
	})

	t.Run("OpenStreams", func(t *testing.T) {
		d := newDest(t)
		content := strings.Repeat("0123456789", 30000) // several READs
		write(t, d, "f", content)
		f, err := d.Open(ctx, "f")
		require.NoError(t, err)
		assert.Equal(t, int64(len(content)), f.Info().Size)
		var got strings.Builder
		buf := make([]byte, 7000) // the caller's buffer bounds each read
		for {
			n, err := f.Read(buf)
			got.Write(buf[:n])
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
		}
		require.NoError(t, f.Close())
		assert.Equal(t, content, got.String())
	})

	t.Run("ReadFileRefuses", func(t *testing.T) {
		d := newDest(t)
		require.NoError(t, d.Mkdir(ctx, "dir", 0o755))
		_, err := d.ReadFile(ctx, "dir", 1<<20)
		assert.ErrorIs(t, err, nfs.ErrNotRegular)
		_, err = d.Open(ctx, "dir")
		assert.ErrorIs(t, err, nfs.ErrNotRegular)
		write(t, d, "f", "0123456789")
		_, err = d.ReadFile(ctx, "f", 9)
		assert.ErrorIs(t, err, nfs.ErrTooLarge)
		b, err := d.ReadFile(ctx, "f", 10)
		require.NoError(t, err)
		assert.Equal(t, "0123456789", string(b))
	})

	t.Run("CancelledContext", func(t *testing.T) {
		d := newDest(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := d.Stat(cctx, "")
		assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
		// The destination still works for a live context.
		_, err = d.Stat(ctx, "")
		assert.NoError(t, err)
	})
}

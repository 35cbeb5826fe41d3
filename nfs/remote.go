package nfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gonfs "github.com/vmware/go-nfs-client/nfs"

	"github.com/dagnfs/dagnfs/perms"
)

// Options configure an NFS destination.
type Options struct {
	// UID and GID are the AUTH_UNIX identity sent with every call.
	UID, GID uint32
	// Timeout bounds each call (and each connect); a call that gets no
	// answer within it is not retried. Default 30s.
	Timeout time.Duration
	// Conns is the most connections used at once (one per worker). Default 4.
	Conns int
	// Retries is how often a call that failed on the connection (reset,
	// refused, stale handle; not a timeout) is retried on a fresh one,
	// waiting 0.2 s, 0.4 s, ... up to 3 s in between. Default 6.
	Retries int
	// Log receives reconnects and retries. Default: discard.
	Log *slog.Logger
	// Version is the NFS version for a URL that names none (URL.Version):
	// "3", "4.1", or "" to try NFSv4.1 and fall back to NFSv3.
	Version string
}

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Conns <= 0 {
		o.Conns = 4
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = 6 // with the backoff below: rides out ~9 s of server restart
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Remote is a folder on an NFSv3 server, reached in userspace.
type Remote struct {
	rpcPool
	u     *URL
	root  []byte
	rtmax uint32
	wtmax uint32
	wbufs writeBufs // of wtmax bytes (remoteWriter)

	mountAddr  string
	export     string // the export mounted (LinkAcross: one export, one file system)
	rootMu     sync.RWMutex
	remounting atomic.Bool

	handles sync.Map // folder path -> handle
	// listed holds the handles of files the last listings returned, for
	// one use each (Link: a generation's unchanged files are linked right
	// after their folder was listed, without a LOOKUP each); nListed
	// bounds it.
	listed     sync.Map // file path -> listedFile
	nListed    atomic.Int64
	keepListed atomic.Bool
}

var _ Dest = (*Remote)(nil)

type listedFile struct {
	fh []byte
	fi FileInfo
}

// maxListed bounds the handles kept from listings (about 150 bytes each).
const maxListed = 1 << 18

// KeepListedHandles makes listings keep their files' handles for one Link
// each (on), or forgets them (off). A publish that links a whole folder
// turns it on for that; nothing else pays for the memory.
func (r *Remote) KeepListedHandles(on bool) {
	r.keepListed.Store(on)
	if !on {
		r.listed.Clear()
		r.nListed.Store(0)
	}
}

// Dial resolves the server's ports, mounts the export that holds the URL's
// path and looks the rest of the path up. The path must be a folder.
func Dial(ctx context.Context, rawURL string, opts Options) (*Remote, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return DialURL(ctx, u, opts)
}

// DialURL is Dial for a parsed URL.
func DialURL(ctx context.Context, u *URL, opts Options) (*Remote, error) {
	var err error
	opts.defaults()
	r := &Remote{u: u, rpcPool: newPool(opts)}
	r.onStale = func(ctx context.Context) {
		r.handles.Clear()
		if rerr := r.remount(ctx); rerr != nil {
			r.opts.Log.Warn("could not mount again after a stale handle", "err", rerr)
		}
	}

	nfsPort, mountPort := u.Port, u.MountPort
	if nfsPort == 0 {
		if nfsPort, err = getport(ctx, u.Host, progNFS, versNFS, opts.Timeout); err != nil {
			return nil, fmt.Errorf("%s: finding the NFS port: %w (give it in the URL, e.g. nfs://%s:2049%s, when the portmapper is firewalled)", u, err, u.Host, u.Path)
		}
	}
	r.nfsAddr = net.JoinHostPort(u.Host, strconv.Itoa(nfsPort))
	if mountPort == 0 && u.Port != 0 {
		// A server with MOUNT and NFS on one port (dagnfs serve, go-nfs) is
		// tried first: the portmapper, if any, may belong to another server.
		err := r.mount(ctx, r.nfsAddr)
		var re *RPCError
		if err == nil {
			return r, nil
		}
		if !errors.As(err, &re) {
			return nil, err
		}
	}
	if mountPort == 0 {
		if mountPort, err = getport(ctx, u.Host, progMount, versMount, opts.Timeout); err != nil {
			return nil, fmt.Errorf("%s: finding the MOUNT port: %w (give it as ?mountport=N)", u, err)
		}
	}
	if err := r.mount(ctx, net.JoinHostPort(u.Host, strconv.Itoa(mountPort))); err != nil {
		return nil, err
	}
	return r, nil
}

// remount asks the MOUNT service for the root handle again, as after a
// server restart that invalidated handles.
func (r *Remote) remount(ctx context.Context) error {
	if r.mountAddr == "" || !r.remounting.CompareAndSwap(false, true) {
		return nil
	}
	defer r.remounting.Store(false)
	return r.mount(ctx, r.mountAddr)
}

func (r *Remote) rootFH() []byte {
	r.rootMu.RLock()
	defer r.rootMu.RUnlock()
	return r.root
}

func (r *Remote) setRoot(fh []byte) {
	r.rootMu.Lock()
	r.root = fh
	r.rootMu.Unlock()
}

func (r *Remote) mount(ctx context.Context, mountAddr string) error {
	mc, err := dialRPC(ctx, mountAddr, r.opts.Timeout, r.auth, &r.calls)
	if err != nil {
		return fmt.Errorf("%s: connecting to the MOUNT service: %w (is the NFS server up, and is %s its MOUNT port? give it as ?mountport=N)", r.u, err, mountAddr)
	}
	defer mc.close()

	// Mount the export that holds the path; walk the rest with LOOKUP.
	export, rest := r.u.Path, ""
	exports, err := mc.exports(ctx)
	if err != nil && mc.broken {
		return fmt.Errorf("%s: listing exports: %w", r.u, err)
	}
	if e, re, ok := splitExport(exports, r.u.Path); ok {
		export, rest = e, re
	} else if len(exports) > 0 {
		return fmt.Errorf("%s: no export holds %s; the server exports %s", r.u, r.u.Path, strings.Join(exports, ", "))
	}
	fh, err := mc.mnt(ctx, export)
	if err != nil && len(exports) == 0 && export != "/" && errors.Is(err, fs.ErrNotExist) {
		// No export list (dagnfs serve, go-nfs): the path may be a folder
		// inside the export "/". Its walk below fails if it is not.
		export, rest = "/", strings.TrimPrefix(r.u.Path, "/")
		fh, err = mc.mnt(ctx, export)
	}
	if err != nil {
		return fmt.Errorf("%s: %w (check the export list with showmount -e %s)", r.u, err, r.u.Host)
	}
	r.mountAddr, r.export = mountAddr, export
	err = r.do(ctx, func(c *conn, _ int) error {
		info, err := c.fsinfo(ctx, fh)
		if err != nil {
			return err
		}
		r.rtmax, r.wtmax = clampIO(info.rtmax), clampIO(info.wtmax)
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", r.u, err)
	}
	if rest != "" {
		var root []byte
		err := r.do(ctx, func(c *conn, _ int) error {
			cur, walked := fh, export
			for _, name := range strings.Split(rest, "/") {
				walked = path.Join(walked, name)
				next, attr, err := c.lookup(ctx, cur, name)
				if err != nil {
					return pathErr("lookup", walked, err)
				}
				if attr.Type != 2 {
					return pathErr("lookup", walked, syscall.ENOTDIR)
				}
				cur = next
			}
			root = cur
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", r.u, err)
		}
		fh = root
	}
	r.setRoot(fh)
	return nil
}

func clampIO(n uint32) uint32 {
	const lo, hi = 8 << 10, 1 << 20
	return max(lo, min(hi, n))
}

// Caps implements Dest.
func (r *Remote) Caps() Caps {
	return Caps{HardLink: true, Chown: r.opts.UID == 0, CountsCalls: true, Protocol: "NFSv3"}
}

func (r *Remote) String() string { return r.u.String() }

// Location implements Dest.
func (r *Remote) Location() Location { return Location{URL: r.u} }

// Identity is the AUTH_UNIX identity this destination sends.
func (r *Remote) Identity() perms.Identity {
	return perms.Identity{UID: r.opts.UID, GIDs: []uint32{r.opts.GID}}
}

// checkName rejects names that are not plain relative paths.
func checkName(op, name string) error {
	if name == "" {
		return nil
	}
	for _, c := range strings.Split(name, "/") {
		if c == "" || c == "." || c == ".." || strings.ContainsRune(c, 0) {
			return pathErr(op, name, fmt.Errorf("not a clean relative path: %w", syscall.EINVAL))
		}
	}
	return nil
}

// dir returns the handle of folder name, from the cache or by LOOKUP.
func (r *Remote) dir(ctx context.Context, c *conn, name string) ([]byte, error) {
	if name == "" || name == "." {
		return r.rootFH(), nil
	}
	if fh, ok := r.handles.Load(name); ok {
		return fh.([]byte), nil
	}
	parent, err := r.dir(ctx, c, path.Dir(name))
	if err != nil {
		return nil, err
	}
	fh, attr, err := c.lookup(ctx, parent, path.Base(name))
	if err != nil {
		return nil, err
	}
	switch attr.Type {
	case gonfs.NF3Dir:
	case gonfs.NF3Lnk:
		return nil, pathErr("lookup", name, ErrSymlink) // LOOKUP never follows it; neither does dagnfs
	default:
		return nil, syscall.ENOTDIR
	}
	r.handles.Store(name, fh)
	return fh, nil
}

// split returns the parent folder's handle and the base name of name.
func (r *Remote) split(ctx context.Context, c *conn, name string) ([]byte, string, error) {
	fh, err := r.dir(ctx, c, parentOf(name))
	return fh, path.Base(name), err
}

func parentOf(name string) string {
	if d := path.Dir(name); d != "." {
		return d
	}
	return ""
}

// object looks name up and returns its handle and attributes.
func (r *Remote) object(ctx context.Context, c *conn, name string) ([]byte, FileInfo, error) {
	if name == "" {
		root := r.rootFH()
		a, err := c.getattr(ctx, root)
		if err != nil {
			return nil, FileInfo{}, err
		}
		return root, fattrInfo(".", a), nil
	}
	dir, base, err := r.split(ctx, c, name)
	if err != nil {
		return nil, FileInfo{}, err
	}
	fh, a, err := c.lookup(ctx, dir, base)
	if err != nil {
		return nil, FileInfo{}, err
	}
	return fh, fattrInfo(base, a), nil
}

// Stat implements Dest.
func (r *Remote) Stat(ctx context.Context, name string) (FileInfo, error) {
	if err := checkName("stat", name); err != nil {
		return FileInfo{}, err
	}
	var fi FileInfo
	err := r.do(ctx, func(c *conn, _ int) error {
		var err error
		_, fi, err = r.object(ctx, c, name)
		return err
	})
	return fi, pathErr("stat", name, err)
}

// ReadDir implements Dest.
func (r *Remote) ReadDir(ctx context.Context, name string) ([]FileInfo, error) {
	if err := checkName("readdir", name); err != nil {
		return nil, err
	}
	var out []FileInfo
	err := r.do(ctx, func(c *conn, _ int) error {
		fh, err := r.dir(ctx, c, name)
		if err != nil {
			return err
		}
		// Pages as large as the server reads (its rtmax, 64 KiB to 1 MiB):
		// a folder of 10,000 files is two or three calls, not thirty.
		entries, err := c.readdirplus(ctx, fh, max(64<<10, r.rtmax))
		if err != nil {
			return err
		}
		out = out[:0]
		for _, e := range entries {
			a := e.attr
			if a != nil && len(e.fh) > 0 {
				if a.Type == gonfs.NF3Dir {
					// a walk lists this folder next: no LOOKUP for it
					r.handles.Store(path.Join(name, e.name), e.fh)
				} else if a.Type == gonfs.NF3Reg && r.keepListed.Load() && r.nListed.Add(1) <= maxListed {
					r.listed.Store(path.Join(name, e.name), listedFile{e.fh, fattrInfo(e.name, a)})
				}
			}
			if a == nil {
				if _, a, err = c.lookup(ctx, fh, e.name); errors.Is(err, fs.ErrNotExist) {
					continue
				} else if err != nil {
					return err
				}
			}
			out = append(out, fattrInfo(e.name, a))
		}
		return nil
	})
	if err != nil {
		return nil, pathErr("readdir", name, err)
	}
	slices.SortFunc(out, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Open implements Dest: the file is read with READ calls of at most the
// server's rtmax into the caller's buffer.
func (r *Remote) Open(ctx context.Context, name string) (File, error) {
	if err := checkName("open", name); err != nil {
		return nil, err
	}
	var fh []byte
	var fi FileInfo
	err := r.do(ctx, func(c *conn, _ int) error {
		var err error
		fh, fi, err = r.object(ctx, c, name)
		return err
	})
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	if !fi.IsRegular() {
		return nil, pathErr("open", name, ErrNotRegular)
	}
	return &seqReader{name: name, info: fi, max: int(r.rtmax), readAt: func(off uint64, p []byte) (n int, eof bool, err error) {
		err = r.do(ctx, func(c *conn, _ int) error {
			n, eof, err = c.readAt(ctx, fh, off, p)
			return err
		})
		return n, eof, err
	}}, nil
}

// seqReader reads a file sequentially over NFS (either version): readAt
// reads at most max bytes at off into p and says whether the file ends
// there.
type seqReader struct {
	name   string
	info   FileInfo
	max    int
	off    uint64
	eof    bool
	readAt func(off uint64, p []byte) (int, bool, error)
}

func (f *seqReader) Read(p []byte) (int, error) {
	if f.eof {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, eof, err := f.readAt(f.off, p[:min(len(p), f.max)])
	if err != nil {
		return 0, pathErr("read", f.name, err)
	}
	f.off += uint64(n)
	if eof || n == 0 {
		f.eof = true
		if n == 0 {
			return 0, io.EOF
		}
	}
	return n, nil
}

func (f *seqReader) Info() FileInfo { return f.info }
func (f *seqReader) Close() error   { return nil }

// ReadFile implements Dest.
func (r *Remote) ReadFile(ctx context.Context, name string, max int64) ([]byte, error) {
	return readAll(ctx, r, name, max)
}

// Mkdir implements Dest.
func (r *Remote) Mkdir(ctx context.Context, name string, mode fs.FileMode) error {
	if err := checkName("mkdir", name); err != nil || name == "" {
		return pathErr("mkdir", name, errors.Join(err, fs.ErrExist))
	}
	err := r.do(ctx, func(c *conn, attempt int) error {
		dir, base, err := r.split(ctx, c, name)
		if err != nil {
			return err
		}
		fh, _, err := c.mkdir(ctx, dir, base, mode)
		if errors.Is(err, fs.ErrExist) && attempt > 0 {
			if fh, a, lerr := c.lookup(ctx, dir, base); lerr == nil && a.Type == 2 {
				r.handles.Store(name, fh)
				return nil // our first MKDIR worked; its reply was lost
			}
		}
		if err != nil {
			return err
		}
		r.handles.Store(name, fh)
		return nil
	})
	return pathErr("mkdir", name, err)
}

// Create implements Dest (GUARDED CREATE).
func (r *Remote) Create(ctx context.Context, name string, mode fs.FileMode) (Writer, error) {
	if err := checkName("create", name); err != nil {
		return nil, err
	}
	var fh []byte
	var attr *gonfs.Fattr
	err := r.do(ctx, func(c *conn, attempt int) error {
		dir, base, err := r.split(ctx, c, name)
		if err != nil {
			return err
		}
		fh, attr, err = c.createGuarded(ctx, dir, base, mode)
		if errors.Is(err, fs.ErrExist) && attempt > 0 {
			// The first CREATE may have worked with its reply lost: accept
			// the file if it is still empty.
			if lfh, la, lerr := c.lookup(ctx, dir, base); lerr == nil && la.Type == 1 && la.Filesize == 0 {
				fh, attr, err = lfh, la, nil
			}
		}
		return err
	})
	if err != nil {
		return nil, pathErr("create", name, err)
	}
	return &remoteWriter{r: r, ctx: ctx, fh: fh, name: name, attr: attr}, nil
}

// SetAttr implements Dest.
func (r *Remote) SetAttr(ctx context.Context, name string, a Attr) (FileInfo, error) {
	if err := checkName("setattr", name); err != nil {
		return FileInfo{}, err
	}
	var fi FileInfo
	err := r.do(ctx, func(c *conn, _ int) error {
		fh, cur, err := r.object(ctx, c, name)
		if err != nil {
			return err
		}
		if a.UID >= 0 && uint32(a.UID) == cur.UID {
			a.UID = -1
		}
		if a.GID >= 0 && uint32(a.GID) == cur.GID {
			a.GID = -1
		}
		attr, err := c.setattr(ctx, fh, a)
		if err != nil {
			return err
		}
		fi = fattrInfo(path.Base(name), attr)
		return nil
	})
	return fi, pathErr("setattr", name, err)
}

// Rename implements Dest. A retried RENAME whose first reply was lost may
// answer NOENT although the first one worked; callers that know the file id
// of what they renamed check the destination (see Pending.Commit).
func (r *Remote) Rename(ctx context.Context, from, to string) error {
	if err := errors.Join(checkName("rename", from), checkName("rename", to)); err != nil {
		return err
	}
	err := r.do(ctx, func(c *conn, _ int) error {
		fd, fb, err := r.split(ctx, c, from)
		if err != nil {
			return err
		}
		td, tb, err := r.split(ctx, c, to)
		if err != nil {
			return err
		}
		return c.rename(ctx, fd, fb, td, tb)
	})
	if err == nil {
		r.handles.Delete(from)
		r.handles.Delete(to)
	}
	return pathErr("rename", from, err)
}

// Link implements Dest.
func (r *Remote) Link(ctx context.Context, existing, newname string) error {
	return r.linkFrom(ctx, r, existing, newname)
}

// linkFrom links from's file existing as newname here (from is r, or
// another mount of the same export of the same server, whose file handles
// are valid here: LinkAcross). A LINK whose reply was lost and that is
// sent again finds its link made.
func (r *Remote) linkFrom(ctx context.Context, from *Remote, existing, newname string) error {
	if err := errors.Join(checkName("link", existing), checkName("link", newname)); err != nil {
		return err
	}
	cached, _ := from.listed.LoadAndDelete(existing)
	err := r.do(ctx, func(c *conn, attempt int) error {
		var fh []byte
		var fi FileInfo
		if lf, ok := cached.(listedFile); ok && attempt == 0 {
			fh, fi = lf.fh, lf.fi
		} else {
			var err error
			if fh, fi, err = from.object(ctx, c, existing); err != nil {
				return err
			}
		}
		dir, base, err := r.split(ctx, c, newname)
		if err != nil {
			return err
		}
		err = c.link(ctx, fh, dir, base)
		if cached != nil && attempt == 0 && (errors.Is(err, StatusStale) || errors.Is(err, StatusBadHandle)) {
			// the file changed since it was listed: look it up
			if fh, fi, err = from.object(ctx, c, existing); err != nil {
				return err
			}
			err = c.link(ctx, fh, dir, base)
		}
		if errors.Is(err, fs.ErrExist) && attempt > 0 {
			if _, a, lerr := c.lookup(ctx, dir, base); lerr == nil && a.Fileid == fi.FileID {
				return nil // the first LINK worked; its reply was lost
			}
		}
		if errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.EXDEV) {
			return errors.ErrUnsupported
		}
		return err
	})
	return pathErr("link", newname, err)
}

// Symlink implements Dest.
func (r *Remote) Symlink(ctx context.Context, target, name string) error {
	if err := checkName("symlink", name); err != nil {
		return err
	}
	err := r.do(ctx, func(c *conn, attempt int) error {
		dir, base, err := r.split(ctx, c, name)
		if err != nil {
			return err
		}
		err = c.symlink(ctx, dir, base, target)
		if errors.Is(err, fs.ErrExist) && attempt > 0 {
			if got, rerr := r.readlinkIn(ctx, c, dir, base); rerr == nil && got == target {
				return nil // the first SYMLINK worked; its reply was lost
			}
		}
		return err
	})
	return pathErr("symlink", name, err)
}

// Readlink implements Dest.
func (r *Remote) Readlink(ctx context.Context, name string) (string, error) {
	if err := checkName("readlink", name); err != nil {
		return "", err
	}
	var target string
	err := r.do(ctx, func(c *conn, _ int) error {
		dir, base, err := r.split(ctx, c, name)
		if err != nil {
			return err
		}
		target, err = r.readlinkIn(ctx, c, dir, base)
		return err
	})
	return target, pathErr("readlink", name, err)
}

func (r *Remote) readlinkIn(ctx context.Context, c *conn, dir []byte, base string) (string, error) {
	fh, a, err := c.lookup(ctx, dir, base)
	if err != nil {
		return "", err
	}
	if a.Type != gonfs.NF3Lnk {
		return "", syscall.EINVAL
	}
	return c.readlink(ctx, fh)
}

// Remove implements Dest.
func (r *Remote) Remove(ctx context.Context, name string) error {
	return r.removeProc(ctx, "remove", procRemove, name)
}

// Rmdir implements Dest.
func (r *Remote) Rmdir(ctx context.Context, name string) error {
	err := r.removeProc(ctx, "rmdir", procRmdir, name)
	if err == nil {
		r.handles.Delete(name)
	}
	return err
}

func (r *Remote) removeProc(ctx context.Context, op string, proc uint32, name string) error {
	if err := checkName(op, name); err != nil || name == "" {
		return pathErr(op, name, errors.Join(err, syscall.EINVAL))
	}
	err := r.do(ctx, func(c *conn, attempt int) error {
		dir, base, err := r.split(ctx, c, name)
		if err != nil {
			return err
		}
		err = c.remove(ctx, proc, dir, base)
		if errors.Is(err, fs.ErrNotExist) && attempt > 0 {
			return nil // the first call worked; its reply was lost
		}
		return err
	})
	return pathErr(op, name, err)
}

// CanWrite implements Dest with the server's ACCESS answer.
func (r *Remote) CanWrite(ctx context.Context, name string) (bool, error) {
	const want = accessModify | accessExtend | accessDelete | accessLookup
	var got uint32
	err := r.do(ctx, func(c *conn, _ int) error {
		fh, _, err := r.object(ctx, c, name)
		if err != nil {
			return err
		}
		got, err = c.access(ctx, fh, want)
		return err
	})
	if err != nil {
		return false, pathErr("access", name, err)
	}
	return got&want == want, nil
}

// Close implements Dest.
func (r *Remote) Close() error {
	r.closeConns()
	return nil
}

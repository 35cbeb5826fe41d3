package nfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dagnfs/dagnfs/perms"
)

// Remote4 is a folder on an NFSv4.1 server, reached in userspace: one TCP
// connection per worker to the NFS port (no portmapper, no MOUNT
// protocol), one session, the path looked up from the root of the server's
// pseudo file system.
type Remote4 struct {
	*rpcPool
	u            *URL
	cs           *clientState
	root         []byte
	rtmax, wtmax uint32
	wbufs        writeBufs // of wtmax bytes (writer4)
	handles      sync.Map  // folder path -> handle
	listed       sync.Map  // file path -> listedFile (KeepListedHandles)
	nListed      atomic.Int64
	keepListed   atomic.Bool
	lastCall     atomic.Int64 // unix nanoseconds of the last compound (lease renewal)
	stopRenew    chan struct{}
	near         bool // made by Near: the connections and session are another's
}

var _ Dest = (*Remote4)(nil)

// Operation numbers used only here.
const (
	opNverify     = 17
	opVerify      = 37
	opDelegReturn = 8
)

// dial4 connects to the server's NFS port, makes a client ID and a session
// and looks the URL's path up from the root of the pseudo file system.
func dial4(ctx context.Context, u *URL, opts Options) (*Remote4, error) {
	port := u.Port
	if port == 0 {
		port = 2049
	}
	pool := newPool(opts)
	r := &Remote4{u: u, rpcPool: &pool, cs: newClientState(), stopRenew: make(chan struct{})}
	r.nfsAddr = net.JoinHostPort(u.Host, strconv.Itoa(port))
	fa, err := r.lookupRoot(ctx)
	if err != nil {
		if errors.Is(err, errNotFolder) {
			r.endSession() // the server answers: tidy up there too
		}
		r.closeConns()
		return nil, err
	}
	r.rtmax, r.wtmax = clampIO(uint32(min(fa.maxRead, 1<<30))), clampIO(uint32(min(fa.maxWrite, 1<<30)))
	if s := r.cs.sess.Load(); s != nil {
		// A READ's or WRITE's data plus its compound must fit the session.
		r.rtmax = min(r.rtmax, clampIO(s.maxRsp-1024))
		r.wtmax = min(r.wtmax, clampIO(s.maxReq-1024))
	}
	r.cs.lease = time.Duration(fa.lease) * time.Second
	if r.cs.lease < 10*time.Second || r.cs.lease > time.Hour {
		r.cs.lease = 90 * time.Second
	}
	go r.renew(r.stopRenew)
	return r, nil
}

// lookupRoot looks the URL's path up from the root of the pseudo file
// system: r.root, and the folder's attributes.
func (r *Remote4) lookupRoot(ctx context.Context) (fattr4, error) {
	var fa fattr4
	err := r.do(ctx, func(c *conn, _ int) error {
		var err error
		r.root, fa, err = r.walk(ctx, c, nil, strings.Split(strings.Trim(r.u.Path, "/"), "/"), sessionBits)
		return err
	})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fa, fmt.Errorf("%s: the path is not in the server's NFSv4 namespace: %w (over NFSv4.1 the path is the server's pseudo file system path, as mount -t nfs4 HOST:/PATH reads it; on nfs-ganesha the export's Pseudo, which may differ from its Path; ?vers=3 names the NFSv3 export path)", r.u, err)
		}
		return fa, fmt.Errorf("%s: %w", r.u, err)
	}
	if fa.typ != nf4Dir {
		return fa, fmt.Errorf("%s: %s %w", r.u, r.u.Path, errNotFolder)
	}
	return fa, nil
}

var errNotFolder = errors.New("is not a folder")

// Near implements Neighbour: another folder of the same server, in this
// destination's session and over its connections (a share's marker above
// DEST is read without a client ID and session per folder). Its Close
// ends nothing; it is usable while this destination is open.
func (r *Remote4) Near(ctx context.Context, u *URL) (Dest, error) {
	if u.Host != r.u.Host || u.Port != r.u.Port {
		return nil, errors.ErrUnsupported
	}
	n := &Remote4{u: u, rpcPool: r.rpcPool, cs: r.cs, rtmax: r.rtmax, wtmax: r.wtmax, near: true}
	if _, err := n.lookupRoot(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

// walk looks names up from fh (nil: the root of the pseudo file system)
// and returns the last one's handle and the attributes bits asks for, in
// as few compounds as the session's operation limit allows.
func (r *Remote4) walk(ctx context.Context, c *conn, fh []byte, names []string, want [2]uint32) ([]byte, fattr4, error) {
	var fa fattr4
	names = slices.DeleteFunc(slices.Clone(names), func(s string) bool { return s == "" })
	for first := true; first || len(names) > 0; first = false {
		n := len(names)
		if s := r.cs.sess.Load(); s != nil && n > int(s.maxOps)-4 {
			n = int(s.maxOps) - 4
		}
		part := names[:n]
		names = names[n:]
		last := len(names) == 0
		rep, err := r.call(ctx, c, func(cmp *compound) {
			if fh == nil {
				cmp.op(opPutrootfh)
			} else {
				cmp.putfh(fh)
			}
			for _, name := range part {
				cmp.lookup(name)
			}
			cmp.getfh()
			if last {
				cmp.getattr(want)
			}
		})
		if err != nil {
			return nil, fa, err
		}
		if fh == nil {
			err = rep.next(opPutrootfh)
		} else {
			err = rep.next(opPutfh)
		}
		for range part {
			if err == nil {
				err = rep.next(opLookup)
			}
		}
		if err == nil {
			err = rep.next(opGetfh)
		}
		if err == nil {
			fh = append([]byte(nil), rep.d.opaque(maxV4FH)...)
		}
		if err == nil && last {
			if err = rep.next(opGetattr); err == nil {
				fa = rep.d.fattr4(want)
			}
		}
		if err == nil {
			err = rep.done()
		}
		if err != nil {
			return nil, fa, r.fault(c, err)
		}
	}
	return fh, fa, nil
}

// fault turns a reply that does not decode into a failure of its
// connection (closed, the call retried on another); the server's refusals
// stay what they are.
func (r *Remote4) fault(c *conn, err error) error {
	var oe *opError
	if errors.Is(err, ErrMalformed) && !errors.As(err, &oe) {
		c.close()
		return &TransportError{c.addr, err}
	}
	return err
}

// run sends one compound in the session on a pooled connection (retried
// as rpcPool.do says) and lets read decode its results after SEQUENCE.
func (r *Remote4) run(ctx context.Context, build func(c *conn, cmp *compound, attempt int) error, read func(c *conn, rep *v4Reply, attempt int) error) error {
	return r.do(ctx, func(c *conn, attempt int) error {
		var berr error
		rep, err := r.call(ctx, c, func(cmp *compound) { berr = build(c, cmp, attempt) })
		if err != nil {
			return err
		}
		if berr != nil {
			return berr
		}
		if err := read(c, rep, attempt); err != nil {
			return r.fault(c, err)
		}
		return r.fault(c, rep.done())
	})
}

// Caps implements Dest.
func (r *Remote4) Caps() Caps {
	return Caps{HardLink: true, Chown: r.opts.UID == 0, CountsCalls: true, Protocol: "NFSv4.1"}
}

func (r *Remote4) String() string { return r.u.String() }

// Location implements Dest.
func (r *Remote4) Location() Location { return Location{URL: r.u} }

// Identity is the AUTH_SYS identity this destination sends.
func (r *Remote4) Identity() perms.Identity {
	return perms.Identity{UID: r.opts.UID, GIDs: []uint32{r.opts.GID}}
}

// KeepListedHandles makes listings keep their files' handles for one Link
// each (on), or forgets them (off).
func (r *Remote4) KeepListedHandles(on bool) {
	r.keepListed.Store(on)
	if !on {
		r.listed.Clear()
		r.nListed.Store(0)
	}
}

// dir returns the handle of folder name, from the cache or by LOOKUP.
func (r *Remote4) dir(ctx context.Context, c *conn, name string) ([]byte, error) {
	if name == "" || name == "." {
		return r.root, nil
	}
	if fh, ok := r.handles.Load(name); ok {
		return fh.([]byte), nil
	}
	// From the deepest folder known, one compound for the rest.
	from := r.root
	rest := strings.Split(name, "/")
	for i := len(rest) - 1; i > 0; i-- {
		if fh, ok := r.handles.Load(strings.Join(rest[:i], "/")); ok {
			from, rest = fh.([]byte), rest[i:]
			break
		}
	}
	fh, fa, err := r.walk(ctx, c, from, rest, bits(attrType))
	if errors.Is(err, Status4Symlink) {
		return nil, pathErr("lookup", name, ErrSymlink)
	}
	if err != nil {
		return nil, err
	}
	switch fa.typ {
	case nf4Dir:
	case nf4Lnk:
		return nil, pathErr("lookup", name, ErrSymlink) // LOOKUP never follows it; neither does dagnfs
	default:
		return nil, syscall.ENOTDIR
	}
	r.handles.Store(name, fh)
	return fh, nil
}

// lookupIn adds PUTFH of name's folder and LOOKUP of its base name.
func (r *Remote4) lookupIn(ctx context.Context, c *conn, cmp *compound, name string) error {
	dir, err := r.dir(ctx, c, parentOf(name))
	if err != nil {
		return err
	}
	cmp.putfh(dir)
	cmp.lookup(path.Base(name))
	return nil
}

// object returns name's handle and attributes (name "" is the root).
func (r *Remote4) object(ctx context.Context, c *conn, name string) ([]byte, fattr4, error) {
	if name == "" {
		return r.walk(ctx, c, r.root, nil, statBits)
	}
	dir, err := r.dir(ctx, c, parentOf(name))
	if err != nil {
		return nil, fattr4{}, err
	}
	return r.walk(ctx, c, dir, []string{path.Base(name)}, statBits)
}

// attrs checks that the server named owners as numbers, which dagnfs needs
// to tell whether Airflow's uid can read a file.
func (a fattr4) check() error {
	if a.ownerText != "" {
		return fmt.Errorf("the server names owners as %q, not as numbers: dagnfs needs numeric owners to check what uid 50000 can read (nfs-ganesha: NFSV4 { Only_Numeric_Owners = true; }; Linux knfsd: nfs4_disable_idmapping=Y)", a.ownerText)
	}
	return nil
}

// Stat implements Dest.
func (r *Remote4) Stat(ctx context.Context, name string) (FileInfo, error) {
	if err := checkName("stat", name); err != nil {
		return FileInfo{}, err
	}
	var fi FileInfo
	err := r.do(ctx, func(c *conn, _ int) error {
		_, fa, err := r.object(ctx, c, name)
		if err == nil {
			err = fa.check()
		}
		fi = fa.info(path.Base(name))
		if name == "" {
			fi.Name = "."
		}
		return err
	})
	return fi, pathErr("stat", name, err)
}

// ReadDir implements Dest: READDIR pages as large as the session allows,
// each entry with its attributes and handle.
func (r *Remote4) ReadDir(ctx context.Context, name string) ([]FileInfo, error) {
	if err := checkName("readdir", name); err != nil {
		return nil, err
	}
	var out []FileInfo
	err := r.do(ctx, func(c *conn, _ int) error {
		fh, err := r.dir(ctx, c, name)
		if err != nil {
			return err
		}
		out = out[:0]
		maxCount := uint32(64 << 10)
		if s := r.cs.sess.Load(); s != nil {
			maxCount = min(max(64<<10, r.rtmax), s.maxRsp-512)
		}
		var cookie uint64
		var verf [8]byte
		total := 0
		for page := 0; ; page++ {
			if page == maxDirPages {
				c.close()
				return &TransportError{c.addr, fmt.Errorf("%w: READDIR did not end after %d replies", ErrMalformed, maxDirPages)}
			}
			var eof bool
			asked, n := cookie, 0
			rep, err := r.call(ctx, c, func(cmp *compound) {
				cmp.putfh(fh)
				e := cmp.op(opReaddir)
				e.u64(cookie)
				e.fixed(verf[:])
				e.u32(maxCount / 4)
				e.u32(maxCount)
				e.u32(2)
				e.u32(listBits[0])
				e.u32(listBits[1])
			})
			if err != nil {
				return err
			}
			if err = rep.next(opPutfh); err == nil {
				err = rep.next(opReaddir)
			}
			if err != nil {
				return r.fault(c, err)
			}
			d := rep.d
			copy(verf[:], d.fixed(8))
			for d.err == nil && d.bool() {
				next := d.u64()
				ename := d.str(maxName)
				fa := d.fattr4(listBits)
				if d.err != nil {
					break
				}
				n++
				total++
				if total > MaxDirEntries {
					d.fail("a folder of more than %d entries", MaxDirEntries)
					break
				}
				if next == cookie && n > 1 {
					d.fail("READDIR repeats cookie %d", next)
					break
				}
				cookie = next
				if ename == "." || ename == ".." {
					continue
				}
				if err := checkName("readdir", ename); err != nil || ename == "" || strings.ContainsRune(ename, '/') {
					d.fail("READDIR lists the name %q", ename)
					break
				}
				if fa.rdErr != Status4OK || fa.has[0]&(1<<attrType) == 0 {
					// No attributes for this entry: ask for them.
					if _, fa, err = r.walk(ctx, c, fh, []string{ename}, statBits); errors.Is(err, fs.ErrNotExist) {
						continue
					} else if err != nil {
						return err
					}
				}
				if err := fa.check(); err != nil {
					return err
				}
				p := path.Join(name, ename)
				if len(fa.fh) > 0 {
					if fa.typ == nf4Dir {
						r.handles.Store(p, fa.fh)
					} else if fa.typ == nf4Reg && r.keepListed.Load() && r.nListed.Add(1) <= maxListed {
						r.listed.Store(p, listedFile{fa.fh, fa.info(ename)})
					}
				}
				out = append(out, fa.info(ename))
			}
			eof = d.bool()
			if err := rep.done(); err != nil {
				return r.fault(c, err)
			}
			if eof {
				return nil
			}
			if n == 0 || cookie == asked {
				c.close()
				return &TransportError{c.addr, fmt.Errorf("%w: READDIR made no progress (cookie %d) and said no eof", ErrMalformed, cookie)}
			}
		}
	})
	if err != nil {
		return nil, pathErr("readdir", name, err)
	}
	slices.SortFunc(out, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Open implements Dest: the file is read with READ calls (the anonymous
// stateid: no OPEN needed) of at most the server's maxread.
func (r *Remote4) Open(ctx context.Context, name string) (File, error) {
	if err := checkName("open", name); err != nil {
		return nil, err
	}
	var fh []byte
	var fa fattr4
	err := r.do(ctx, func(c *conn, _ int) error {
		var err error
		if fh, fa, err = r.object(ctx, c, name); err == nil {
			err = fa.check()
		}
		return err
	})
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	fi := fa.info(path.Base(name))
	if !fi.IsRegular() {
		return nil, pathErr("open", name, ErrNotRegular)
	}
	return &seqReader{name: name, info: fi, max: int(r.rtmax), readAt: func(off uint64, p []byte) (n int, eof bool, err error) {
		err = r.run(ctx, func(_ *conn, cmp *compound, _ int) error {
			cmp.putfh(fh)
			e := cmp.op(opRead) // the anonymous stateid: no OPEN needed
			anonymous.encode(e)
			e.u64(off)
			e.u32(uint32(len(p)))
			return nil
		}, func(_ *conn, rep *v4Reply, _ int) error {
			err := rep.next(opPutfh)
			if err == nil {
				err = rep.next(opRead)
			}
			if err != nil {
				return err
			}
			eof = rep.d.bool()
			n = copy(p, rep.d.opaque(len(p)))
			return nil
		})
		return n, eof, err
	}}, nil
}

// ReadFile implements Dest.
func (r *Remote4) ReadFile(ctx context.Context, name string, max int64) ([]byte, error) {
	return readAll(ctx, r, name, max)
}

// create adds CREATE of a folder or symlink name in the current folder.
func createOp(cmp *compound, typ uint32, target, name string, mode fs.FileMode) {
	e := cmp.op(opCreate)
	e.u32(typ)
	if typ == nf4Lnk {
		e.str(target)
	}
	e.str(name)
	setattrs(e, Attr{Mode: mode, UID: -1, GID: -1}, typ != nf4Lnk)
}

func readCreate(rep *v4Reply) error {
	if err := rep.next(opCreate); err != nil {
		return err
	}
	rep.d.skipChangeInfo()
	rep.d.skipBitmap()
	return nil
}

// Mkdir implements Dest.
func (r *Remote4) Mkdir(ctx context.Context, name string, mode fs.FileMode) error {
	if err := checkName("mkdir", name); err != nil || name == "" {
		return pathErr("mkdir", name, errors.Join(err, fs.ErrExist))
	}
	var fh []byte
	err := r.run(ctx, func(c *conn, cmp *compound, _ int) error {
		dir, err := r.dir(ctx, c, parentOf(name))
		if err != nil {
			return err
		}
		cmp.putfh(dir)
		createOp(cmp, nf4Dir, "", path.Base(name), mode)
		cmp.getfh()
		return nil
	}, func(c *conn, rep *v4Reply, attempt int) error {
		err := rep.next(opPutfh)
		if err == nil {
			err = readCreate(rep)
		}
		if errors.Is(err, fs.ErrExist) && attempt > 0 {
			if dir, derr := r.dir(ctx, c, name); derr == nil {
				fh = dir
				return errDone // our first CREATE worked; its reply was lost
			}
		}
		if err == nil {
			err = rep.next(opGetfh)
			fh = append([]byte(nil), rep.d.opaque(maxV4FH)...)
		}
		return err
	})
	if errors.Is(err, errDone) {
		err = nil
	}
	if err == nil {
		r.handles.Store(name, fh)
	}
	return pathErr("mkdir", name, err)
}

// errDone ends a compound's reading early: what it asked is known to be
// done (a retried call whose first reply was lost).
var errDone = errors.New("done")

// Create implements Dest: one compound opens name exclusively (GUARDED)
// with its mode and returns its handle and attributes; the writer sends
// the content, commits and closes in one more.
func (r *Remote4) Create(ctx context.Context, name string, mode fs.FileMode) (Writer, error) {
	if err := checkName("create", name); err != nil {
		return nil, err
	}
	w := &writer4{r: r, ctx: ctx, name: name}
	err := r.run(ctx, func(c *conn, cmp *compound, _ int) error {
		dir, err := r.dir(ctx, c, parentOf(name))
		if err != nil {
			return err
		}
		cmp.putfh(dir)
		r.openCreate(cmp, path.Base(name), mode)
		cmp.getfh()
		cmp.getattr(statBits)
		return nil
	}, func(c *conn, rep *v4Reply, attempt int) error {
		err := rep.next(opPutfh)
		if err == nil {
			err = rep.next(opOpen)
		}
		if errors.Is(err, fs.ErrExist) && attempt > 0 && w.adoptMade(ctx, c, 0) {
			return errDone // the first OPEN worked; its reply was lost
		}
		if err != nil {
			return err
		}
		d := rep.d
		w.st, w.deleg = readOpen(d)
		if err = rep.next(opGetfh); err != nil {
			return err
		}
		w.fh = append([]byte(nil), d.opaque(maxV4FH)...)
		if err = rep.next(opGetattr); err != nil {
			return err
		}
		w.fa = d.fattr4(statBits)
		w.open = true
		return nil
	})
	if errors.Is(err, errDone) {
		err = nil
	}
	if err != nil {
		return nil, pathErr("create", name, err)
	}
	return w, nil
}

// CreateFresh implements FreshCreator: the file is made by the compound
// that first writes it (PUTFH OPEN GETFH WRITE, with CLOSE and GETATTR
// when that is all: a small file in one round trip instead of two).
func (r *Remote4) CreateFresh(ctx context.Context, name string, mode fs.FileMode) (Writer, error) {
	if err := checkName("create", name); err != nil {
		return nil, err
	}
	return &writer4{r: r, ctx: ctx, name: name, mode: mode}, nil
}

// openCreate adds an OPEN that creates name in the current folder, failing
// when it exists (GUARDED4), with mode.
func (r *Remote4) openCreate(cmp *compound, name string, mode fs.FileMode) {
	e := cmp.op(opOpen)
	e.u32(0) // seqid: unused in 4.1
	e.u32(2) // OPEN4_SHARE_ACCESS_WRITE
	e.u32(0) // deny none
	e.u64(r.cs.clientID)
	e.str("dagnfs") // one open owner: NFSv4.1 orders nothing by it
	e.u32(1)        // OPEN4_CREATE
	e.u32(1)        // GUARDED4: fail when it exists
	setattrs(e, Attr{Mode: mode, UID: -1, GID: -1}, true)
	e.u32(0) // CLAIM_NULL
	e.str(name)
}

// readOpen reads OPEN's result after its status: the open's stateid and
// the delegation granted with it, if any.
func readOpen(d *xdrDec) (stateid, *stateid) {
	st := d.stateid()
	d.skipChangeInfo()
	d.u32() // result flags
	d.skipBitmap()
	return st, readDelegation(d)
}

// readDelegation reads an open_delegation4 and returns the stateid of a
// delegation granted (dagnfs asks for none; one granted is returned at
// CLOSE).
func readDelegation(d *xdrDec) *stateid {
	switch t := d.u32(); t {
	case 0: // none
	case 1, 2: // read, write
		st := d.stateid()
		d.bool() // recall
		if t == 2 {
			switch d.u32() { // space limit
			case 1:
				d.u64()
			case 2:
				d.u32()
				d.u32()
			default:
				d.fail("a space limit of unknown kind")
			}
		}
		d.u32() // ace type, flag, mask, who
		d.u32()
		d.u32()
		d.opaque(maxV4Opaque)
		return &st
	case 3: // none, with a reason
		if why := d.u32(); why == 7 || why == 8 {
			d.bool()
		}
	default:
		d.fail("delegation type %d", t)
	}
	return nil
}

// writer4 buffers a file's content up to the server's maxwrite: a file
// that fits is sent by Commit in one FILE_SYNC WRITE, with the CLOSE and
// the attributes in the same compound; a larger one is sent in UNSTABLE
// WRITEs as the buffer fills and committed, its write verifiers compared.
type writer4 struct {
	r      *Remote4
	ctx    context.Context
	name   string
	fh     []byte // nil until the file is made (CreateFresh)
	mode   fs.FileMode
	fa     fattr4
	st     stateid
	deleg  *stateid
	open   bool
	buf    []byte
	off    uint64
	verf   []byte // of the first UNSTABLE WRITE
	closed bool
}

func (w *writer4) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if w.buf == nil {
			w.buf = w.r.wbufs.get(w.r.wtmax)
		}
		k := min(len(p), int(w.r.wtmax)-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == int(w.r.wtmax) && len(p) > 0 {
			if err := w.flush(w.ctx, false); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

// flush sends the buffer: UNSTABLE (more follows), or, with last, FILE_SYNC
// when nothing was sent before, followed by COMMIT, CLOSE and GETATTR.
func (w *writer4) flush(ctx context.Context, last bool) error {
	err := w.flushOnce(ctx, last)
	if errors.Is(err, errMadeBefore) {
		err = w.flushOnce(ctx, last) // now by its handle
	}
	if lostState(err) && (w.open || w.deleg != nil) {
		// The server restarted since the OPEN: its open is gone with it,
		// and the anonymous stateid writes without one (a restart between
		// UNSTABLE WRITEs is still found by their verifiers).
		w.st, w.open, w.deleg = anonymous, false, nil
		err = w.flushOnce(ctx, last)
	}
	return err
}

// errMadeBefore: a retried compound that creates a file found the file
// made by the first try, whose reply was lost; it is written by handle.
var errMadeBefore = errors.New("made by the first try")

// current is the special stateid that stands for the one the compound's
// previous operation returned (RFC 8881 16.2.3.1.2): the OPEN's, for the
// WRITE and CLOSE in the compound that creates a file.
var current = stateid{seq: 1}

func (w *writer4) flushOnce(ctx context.Context, last bool) error {
	data := w.buf
	stable := uint32(0) // UNSTABLE4
	if last && w.off == 0 {
		stable = 2 // FILE_SYNC4: one WRITE, nothing to commit
	}
	// What this compound holds, the same for sending and reading.
	create := w.fh == nil
	st := w.st
	if create {
		st = current
	}
	writes := len(data) > 0 || w.off == 0
	closes := last && (w.open || create)
	returns := last && w.deleg != nil
	var fa fattr4
	err := w.r.run(ctx, func(c *conn, cmp *compound, _ int) error {
		if create {
			dir, err := w.r.dir(ctx, c, parentOf(w.name))
			if err != nil {
				return err
			}
			cmp.putfh(dir)
			w.r.openCreate(cmp, path.Base(w.name), w.mode)
			cmp.getfh()
		} else {
			cmp.putfh(w.fh)
		}
		if writes {
			cmp.write(st, w.off, stable, data)
		}
		if last {
			if stable != 2 {
				e := cmp.op(opCommit)
				e.u64(0)
				e.u32(0)
			}
			if closes {
				e := cmp.op(opClose)
				e.u32(0)
				st.encode(e)
			}
			if returns {
				w.deleg.encode(cmp.op(opDelegReturn))
			}
			cmp.getattr(statBits)
		}
		return nil
	}, func(c *conn, rep *v4Reply, attempt int) error {
		d := rep.d
		if err := rep.next(opPutfh); err != nil {
			return err
		}
		if create {
			err := rep.next(opOpen)
			if errors.Is(err, fs.ErrExist) && attempt > 0 && w.adoptMade(ctx, c, w.off+uint64(len(data))) {
				return errMadeBefore // the first try ran; its reply was lost
			}
			if err != nil {
				return err
			}
			w.st, w.deleg = readOpen(d)
			if err := rep.next(opGetfh); err != nil {
				return err
			}
			w.fh = append([]byte(nil), d.opaque(maxV4FH)...)
			w.open = true
		}
		if writes {
			if err := rep.next(opWrite); err != nil {
				return err
			}
			count, committed := d.u32(), d.u32()
			verf := d.fixed(8)
			if d.err == nil && int(count) != len(data) {
				return fmt.Errorf("the server wrote %d of %d bytes", count, len(data)) // dagnfs sends at most maxwrite
			}
			if stable == 2 && committed != 2 && d.err == nil {
				return fmt.Errorf("the server did not commit a FILE_SYNC WRITE (committed %d)", committed)
			}
			if stable == 0 {
				if w.verf == nil {
					w.verf = append([]byte(nil), verf...)
				} else if string(verf) != string(w.verf) {
					return fmt.Errorf("the server restarted while the file was written (write verifier changed); publish again")
				}
			}
		}
		if last {
			if stable != 2 {
				if err := rep.next(opCommit); err != nil {
					return err
				}
				if verf := d.fixed(8); d.err == nil && w.verf != nil && string(verf) != string(w.verf) {
					return fmt.Errorf("the server restarted before the file was committed (write verifier changed); publish again")
				}
			}
			if closes {
				if err := rep.next(opClose); err != nil {
					return err
				}
				d.stateid()
			}
			if returns {
				if err := rep.next(opDelegReturn); err != nil {
					return err
				}
			}
			if err := rep.next(opGetattr); err != nil {
				return err
			}
			fa = d.fattr4(statBits)
		}
		return nil
	})
	if errors.Is(err, errMadeBefore) {
		return err
	}
	if err != nil {
		return pathErr("write", w.name, err)
	}
	w.off += uint64(len(data))
	w.buf = w.buf[:0]
	if last {
		if create && w.deleg != nil {
			w.returnDelegation(ctx) // granted by this compound's OPEN, after its CLOSE
		}
		w.release()
		w.open, w.deleg, w.closed = false, nil, true
		w.fa = fa
		return fa.check()
	}
	return nil
}

// adoptMade, after a retried OPEN that creates the file answered EXIST,
// takes the file as the one the first try made (its reply lost) when it is
// a regular file of at most most bytes (what that try may have written).
// Its open stays with the session; the anonymous stateid writes it.
func (w *writer4) adoptMade(ctx context.Context, c *conn, most uint64) bool {
	fh, fa, err := w.r.object(ctx, c, w.name)
	if err != nil || fa.typ != nf4Reg || fa.size > most {
		return false
	}
	w.fh, w.fa, w.st, w.open = fh, fa, anonymous, false
	return true
}

// returnDelegation gives back a delegation the server granted unasked,
// best effort (it recalls what is not returned).
func (w *writer4) returnDelegation(ctx context.Context) {
	_ = w.r.run(ctx, func(_ *conn, cmp *compound, _ int) error {
		cmp.putfh(w.fh)
		w.deleg.encode(cmp.op(opDelegReturn))
		return nil
	}, func(_ *conn, rep *v4Reply, _ int) error {
		if err := rep.next(opPutfh); err != nil {
			return err
		}
		return rep.next(opDelegReturn)
	})
}

// release gives the buffer back to the pool once the writer is done.
func (w *writer4) release() {
	if w.buf != nil {
		w.r.wbufs.put(w.buf, w.r.wtmax)
		w.buf = nil
	}
}

// lostState: the server no longer knows the file's open (it restarted,
// or the lease expired): the content is written without it.
func lostState(err error) bool {
	var oe *opError
	if !errors.As(err, &oe) {
		return false
	}
	switch oe.Status {
	case Status4StaleStateID, Status4BadStateID, Status4Expired, 10047 /* ADMIN_REVOKED */, 10087 /* DELEG_REVOKED */ :
		return true
	}
	return false
}

// Commit implements Writer.
func (w *writer4) Commit(ctx context.Context) (FileInfo, error) {
	if w.closed {
		return w.fa.info(path.Base(w.name)), nil
	}
	if err := w.flush(ctx, true); err != nil {
		return FileInfo{}, err
	}
	fi := w.fa.info(path.Base(w.name))
	if fi.Size != int64(w.off) {
		return fi, pathErr("commit", w.name, fmt.Errorf("the server reports %d bytes, %d were written", fi.Size, w.off))
	}
	return fi, nil
}

// SetAttr implements Writer.
func (w *writer4) SetAttr(ctx context.Context, a Attr) (FileInfo, error) {
	if w.fh == nil { // CreateFresh's file, not made yet
		if err := w.flush(ctx, false); err != nil {
			return FileInfo{}, err
		}
	}
	fa, err := w.r.setattr(ctx, func(_ *conn, cmp *compound) error { cmp.putfh(w.fh); return nil }, a)
	if err != nil {
		return FileInfo{}, pathErr("setattr", w.name, err)
	}
	w.fa = fa
	return fa.info(path.Base(w.name)), nil
}

// Close implements Writer: a file never committed is closed on the server.
func (w *writer4) Close() error {
	w.release()
	if !w.open {
		return nil
	}
	w.open = false
	ctx, cancel := context.WithTimeout(context.Background(), min(w.r.opts.Timeout, 2*time.Second))
	defer cancel()
	return w.r.run(ctx, func(_ *conn, cmp *compound, _ int) error {
		cmp.putfh(w.fh)
		e := cmp.op(opClose)
		e.u32(0)
		w.st.encode(e)
		return nil
	}, func(_ *conn, rep *v4Reply, _ int) error {
		err := rep.next(opPutfh)
		if err == nil {
			err = rep.next(opClose)
			rep.d.stateid()
		}
		return err
	})
}

// setattr sets a on the object that at puts current (PUTFH, or PUTFH and
// LOOKUP) and returns its attributes afterwards.
func (r *Remote4) setattr(ctx context.Context, at func(c *conn, cmp *compound) error, a Attr) (fattr4, error) {
	var fa fattr4
	var ops []uint32
	err := r.run(ctx, func(c *conn, cmp *compound, _ int) error {
		if err := at(c, cmp); err != nil {
			return err
		}
		ops = slices.Clone(cmp.ops[1:])
		e := cmp.op(opSetattr)
		anonymous.encode(e)
		setattrs(e, a, true)
		cmp.getattr(statBits)
		return nil
	}, func(_ *conn, rep *v4Reply, _ int) error {
		for _, op := range ops {
			if err := rep.next(op); err != nil {
				return err
			}
		}
		if err := rep.next(opSetattr); err != nil {
			return err
		}
		rep.d.skipBitmap()
		if err := rep.next(opGetattr); err != nil {
			return err
		}
		fa = rep.d.fattr4(statBits)
		return nil
	})
	if err == nil {
		err = fa.check()
	}
	return fa, err
}

// SetAttr implements Dest.
func (r *Remote4) SetAttr(ctx context.Context, name string, a Attr) (FileInfo, error) {
	if err := checkName("setattr", name); err != nil {
		return FileInfo{}, err
	}
	fa, err := r.setattr(ctx, func(c *conn, cmp *compound) error {
		if name == "" {
			cmp.putfh(r.root)
			return nil
		}
		return r.lookupIn(ctx, c, cmp, name)
	}, a)
	if err != nil {
		return FileInfo{}, pathErr("setattr", name, err)
	}
	return fa.info(path.Base(name)), nil
}

// Rename implements Dest. A retried RENAME whose first reply was lost may
// answer NOENT although the first one worked; callers that know the file
// id of what they renamed check the destination (see Pending.Commit).
func (r *Remote4) Rename(ctx context.Context, from, to string) error {
	if err := errors.Join(checkName("rename", from), checkName("rename", to)); err != nil {
		return err
	}
	err := r.run(ctx, func(c *conn, cmp *compound, _ int) error {
		fd, err := r.dir(ctx, c, parentOf(from))
		if err != nil {
			return err
		}
		td, err := r.dir(ctx, c, parentOf(to))
		if err != nil {
			return err
		}
		cmp.putfh(fd)
		cmp.op(opSavefh)
		cmp.putfh(td)
		e := cmp.op(opRename)
		e.str(path.Base(from))
		e.str(path.Base(to))
		return nil
	}, func(_ *conn, rep *v4Reply, _ int) error {
		for _, op := range []uint32{opPutfh, opSavefh, opPutfh, opRename} {
			if err := rep.next(op); err != nil {
				return err
			}
		}
		rep.d.skipChangeInfo()
		rep.d.skipChangeInfo()
		return nil
	})
	if err == nil {
		r.handles.Delete(from)
		r.handles.Delete(to)
	}
	return pathErr("rename", from, err)
}

// Link implements Dest.
func (r *Remote4) Link(ctx context.Context, existing, newname string) error {
	return r.linkFrom(ctx, r, existing, newname, false)
}

// linkFrom links from's file existing as newname here (from is r, or
// another destination on the same server, whose handles are valid here).
func (r *Remote4) linkFrom(ctx context.Context, from *Remote4, existing, newname string, maybeMade bool) error {
	if err := errors.Join(checkName("link", existing), checkName("link", newname)); err != nil {
		return err
	}
	cached, _ := from.listed.LoadAndDelete(existing)
	var fileID uint64
	err := r.run(ctx, func(c *conn, cmp *compound, attempt int) error {
		var fh []byte
		if lf, ok := cached.(listedFile); ok && attempt == 0 {
			fh, fileID = lf.fh, lf.fi.FileID
		} else {
			f, fa, err := from.object(ctx, c, existing)
			if err != nil {
				return err
			}
			fh, fileID = f, fa.fileid
		}
		dir, err := r.dir(ctx, c, parentOf(newname))
		if err != nil {
			return err
		}
		cmp.putfh(fh)
		cmp.op(opSavefh)
		cmp.putfh(dir)
		cmp.op(opLink).str(path.Base(newname))
		return nil
	}, func(c *conn, rep *v4Reply, attempt int) error {
		var err error
		for _, op := range []uint32{opPutfh, opSavefh, opPutfh, opLink} {
			if err = rep.next(op); err != nil {
				break
			}
		}
		if errors.Is(err, fs.ErrExist) && (attempt > 0 || maybeMade) {
			if _, fa, lerr := r.object(ctx, c, newname); lerr == nil && fa.fileid == fileID {
				return errDone // the first LINK worked; its reply was lost
			}
		}
		if errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.EXDEV) {
			return errors.ErrUnsupported
		}
		if err == nil {
			rep.d.skipChangeInfo()
		}
		return err
	})
	if errors.Is(err, errDone) {
		err = nil
	}
	return pathErr("link", newname, err)
}

// Symlink implements Dest.
func (r *Remote4) Symlink(ctx context.Context, target, name string) error {
	if err := checkName("symlink", name); err != nil {
		return err
	}
	err := r.run(ctx, func(c *conn, cmp *compound, _ int) error {
		dir, err := r.dir(ctx, c, parentOf(name))
		if err != nil {
			return err
		}
		cmp.putfh(dir)
		createOp(cmp, nf4Lnk, target, path.Base(name), 0)
		return nil
	}, func(c *conn, rep *v4Reply, attempt int) error {
		err := rep.next(opPutfh)
		if err == nil {
			err = readCreate(rep)
		}
		if errors.Is(err, fs.ErrExist) && attempt > 0 {
			if got, rerr := r.readlink(ctx, c, name); rerr == nil && got == target {
				return errDone // the first CREATE worked; its reply was lost
			}
		}
		return err
	})
	if errors.Is(err, errDone) {
		err = nil
	}
	return pathErr("symlink", name, err)
}

// Readlink implements Dest.
func (r *Remote4) Readlink(ctx context.Context, name string) (string, error) {
	if err := checkName("readlink", name); err != nil {
		return "", err
	}
	var target string
	err := r.do(ctx, func(c *conn, _ int) error {
		var err error
		target, err = r.readlink(ctx, c, name)
		return err
	})
	return target, pathErr("readlink", name, err)
}

func (r *Remote4) readlink(ctx context.Context, c *conn, name string) (string, error) {
	dir, err := r.dir(ctx, c, parentOf(name))
	if err != nil {
		return "", err
	}
	rep, err := r.call(ctx, c, func(cmp *compound) {
		cmp.putfh(dir)
		cmp.lookup(path.Base(name))
		cmp.getattr(bits(attrType))
		cmp.op(opReadlink)
	})
	if err != nil {
		return "", err
	}
	err = rep.next(opPutfh)
	if err == nil {
		err = rep.next(opLookup)
	}
	if err == nil {
		err = rep.next(opGetattr)
	}
	if err != nil {
		return "", r.fault(c, err)
	}
	fa := rep.d.fattr4(bits(attrType))
	err = rep.next(opReadlink)
	if err != nil && fa.typ != nf4Lnk {
		return "", syscall.EINVAL
	}
	if err != nil {
		return "", r.fault(c, err)
	}
	target := rep.d.str(maxPath)
	return target, r.fault(c, rep.done())
}

// Remove implements Dest: a file or symlink, never a folder (NFSv4's
// REMOVE takes both; NVERIFY of the type refuses a folder in the same
// compound).
func (r *Remote4) Remove(ctx context.Context, name string) error {
	return r.remove(ctx, "remove", name, false, false)
}

// Rmdir implements Dest.
func (r *Remote4) Rmdir(ctx context.Context, name string) error {
	err := r.remove(ctx, "rmdir", name, true, false)
	if err == nil {
		r.handles.Delete(name)
	}
	return err
}

// removeOps adds the removal of name in the folder dir: LOOKUP, the type
// check (NVERIFY not a folder, or VERIFY a folder), REMOVE.
func removeOps(cmp *compound, dir []byte, base string, folder bool) {
	check := uint32(opNverify)
	if folder {
		check = opVerify
	}
	cmp.putfh(dir)
	cmp.lookup(base)
	e := cmp.op(check)
	e.u32(1)
	e.u32(1 << attrType)
	e.u32(4)
	e.u32(nf4Dir)
	cmp.putfh(dir)
	cmp.op(opRemove).str(base)
}

// readRemove reads removeOps' results; a name not found where an earlier
// call may have removed it (maybeDone) counts as removed.
func readRemove(rep *v4Reply, folder, maybeDone bool) error {
	check := uint32(opNverify)
	if folder {
		check = opVerify
	}
	err := rep.next(opPutfh)
	if err == nil {
		err = rep.next(opLookup)
	}
	if errors.Is(err, fs.ErrNotExist) && maybeDone {
		return errDone // the first call worked; its reply was lost
	}
	if err == nil {
		err = rep.next(check)
	}
	var oe *opError
	if errors.As(err, &oe) && oe.Op == check {
		if folder {
			return syscall.ENOTDIR
		}
		return syscall.EISDIR
	}
	if err == nil {
		err = rep.next(opPutfh)
	}
	if err == nil {
		err = rep.next(opRemove)
	}
	if err == nil {
		rep.d.skipChangeInfo()
	}
	return err
}

func (r *Remote4) remove(ctx context.Context, op, name string, folder, maybeDone bool) error {
	if err := checkName(op, name); err != nil || name == "" {
		return pathErr(op, name, errors.Join(err, syscall.EINVAL))
	}
	err := r.run(ctx, func(c *conn, cmp *compound, _ int) error {
		dir, err := r.dir(ctx, c, parentOf(name))
		if err != nil {
			return err
		}
		removeOps(cmp, dir, path.Base(name), folder)
		return nil
	}, func(_ *conn, rep *v4Reply, attempt int) error {
		return readRemove(rep, folder, maybeDone || attempt > 0)
	})
	if errors.Is(err, errDone) {
		err = nil
	}
	return pathErr(op, name, err)
}

// CanWrite implements Dest with the server's ACCESS answer.
func (r *Remote4) CanWrite(ctx context.Context, name string) (bool, error) {
	const want = accessModify | accessExtend | accessDelete | accessLookup
	var got uint32
	err := r.run(ctx, func(c *conn, cmp *compound, _ int) error {
		if name == "" {
			cmp.putfh(r.root)
		} else {
			fh, err := r.dir(ctx, c, name)
			if err != nil {
				return err
			}
			cmp.putfh(fh)
		}
		cmp.op(opAccess).u32(want)
		return nil
	}, func(_ *conn, rep *v4Reply, _ int) error {
		err := rep.next(opPutfh)
		if err == nil {
			err = rep.next(opAccess)
		}
		rep.d.u32() // supported
		got = rep.d.u32()
		return err
	})
	if err != nil {
		return false, pathErr("access", name, err)
	}
	return got&want == want, nil
}

// Close implements Dest: the session and client ID are destroyed, so the
// server frees what they held at once instead of at the lease's end.
func (r *Remote4) Close() error {
	if r.near || r.closed.Load() {
		return nil
	}
	close(r.stopRenew)
	r.endSession()
	r.closeConns()
	return nil
}

package nfs

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"time"

	gonfs "github.com/vmware/go-nfs-client/nfs"
)

// NFSv3 procedures (RFC 1813).
const (
	procGetattr     = 1
	procSetattr     = 2
	procLookup      = 3
	procAccess      = 4
	procReadlink    = 5
	procRead        = 6
	procWrite       = 7
	procCreate      = 8
	procMkdir       = 9
	procSymlink     = 10
	procRemove      = 12
	procRmdir       = 13
	procRename      = 14
	procLink        = 15
	procReaddirplus = 17
	procFSInfo      = 19
	procCommit      = 21

	mountProcMnt    = 1
	mountProcExport = 5
)

// ACCESS3 bits.
const (
	accessRead    = 0x01
	accessLookup  = 0x02
	accessModify  = 0x04
	accessExtend  = 0x08
	accessDelete  = 0x10
	accessExecute = 0x20
)

// stable_how of WRITE.
const (
	unstable = 0
	fileSync = 2
)

// nfsCall sends an NFS procedure and checks its status. A non-OK status is
// returned as a Status; transport failures and replies that do not decode
// as *TransportError.
func (c *conn) nfsCall(ctx context.Context, proc uint32, args interface{}) (*xdrDec, error) {
	return c.nfsCallData(ctx, proc, args, nil)
}

// nfsCallData is nfsCall with an opaque sent after args without a copy.
func (c *conn) nfsCallData(ctx context.Context, proc uint32, args interface{}, data []byte) (*xdrDec, error) {
	d, err := c.callData(ctx, progNFS, versNFS, proc, args, data)
	if err != nil {
		return nil, err
	}
	st := d.u32()
	if err := c.done(d); err != nil {
		return nil, err
	}
	if st != 0 {
		return nil, Status(st)
	}
	return d, nil
}

// done checks that a reply decoded; a malformed one breaks the connection.
func (c *conn) done(d *xdrDec) error {
	if d.err != nil {
		c.close()
		return &TransportError{c.addr, d.err}
	}
	return nil
}

// fileSize converts a size from the wire; anything beyond int64 is reported
// as the largest size, which no limit accepts.
func fileSize(n uint64) int64 {
	if n > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}

func fattrInfo(name string, a *gonfs.Fattr) FileInfo {
	mode := fs.FileMode(a.FileMode & 0o777)
	if a.FileMode&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	if a.FileMode&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if a.FileMode&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	switch a.Type {
	case gonfs.NF3Dir:
		mode |= fs.ModeDir
	case gonfs.NF3Lnk:
		mode |= fs.ModeSymlink
	case gonfs.NF3Reg:
	case gonfs.NF3FIFO:
		mode |= fs.ModeNamedPipe
	case gonfs.NF3Sock:
		mode |= fs.ModeSocket
	default:
		mode |= fs.ModeDevice
	}
	return FileInfo{
		Name:    name,
		Size:    fileSize(a.Filesize),
		Mode:    mode,
		UID:     a.UID,
		GID:     a.GID,
		ModTime: time.Unix(int64(a.Mtime.Seconds), int64(min(a.Mtime.Nseconds, 999999999))),
		FileID:  a.Fileid,
		Nlink:   a.Nlink,
	}
}

func (c *conn) lookup(ctx context.Context, dir []byte, name string) ([]byte, *gonfs.Fattr, error) {
	d, err := c.nfsCall(ctx, procLookup, gonfs.Diropargs3{FH: dir, Filename: name})
	if err != nil {
		return nil, nil, err
	}
	fh := d.fh()
	attr := d.postOpAttr()
	d.postOpAttr()
	if err := c.done(d); err != nil {
		return nil, nil, err
	}
	if attr == nil {
		a, err := c.getattr(ctx, fh)
		if err != nil {
			return nil, nil, err
		}
		return fh, a, nil
	}
	return fh, attr, nil
}

func (c *conn) getattr(ctx context.Context, fh []byte) (*gonfs.Fattr, error) {
	d, err := c.nfsCall(ctx, procGetattr, struct{ FH []byte }{fh})
	if err != nil {
		return nil, err
	}
	a := d.fattr()
	if err := c.done(d); err != nil {
		return nil, err
	}
	return &a, nil
}

func sattr(a Attr) gonfs.Sattr3 {
	s := gonfs.Sattr3{Mode: gonfs.SetMode{SetIt: true, Mode: uint32(a.Mode.Perm())}}
	if a.UID >= 0 {
		s.UID = gonfs.SetUID{SetIt: true, UID: uint32(a.UID)}
	}
	if a.GID >= 0 {
		s.GID = gonfs.SetUID{SetIt: true, UID: uint32(a.GID)}
	}
	if !a.ModTime.IsZero() {
		s.Mtime = gonfs.SetTime{SetIt: gonfs.SetToClientTime, Time: gonfs.NFS3Time{
			Seconds: uint32(a.ModTime.Unix()), Nseconds: uint32(a.ModTime.Nanosecond())}}
	}
	return s
}

func (c *conn) setattr(ctx context.Context, fh []byte, a Attr) (*gonfs.Fattr, error) {
	type guard struct {
		Check bool           `xdr:"union"`
		Ctime gonfs.NFS3Time `xdr:"unioncase=1"`
	}
	d, err := c.nfsCall(ctx, procSetattr, struct {
		FH    []byte
		Attr  gonfs.Sattr3
		Guard guard
	}{fh, sattr(a), guard{}})
	if err != nil {
		return nil, err
	}
	after := d.wcc()
	if err := c.done(d); err != nil {
		return nil, err
	}
	if after != nil {
		return after, nil
	}
	return c.getattr(ctx, fh)
}

func (c *conn) access(ctx context.Context, fh []byte, mask uint32) (uint32, error) {
	d, err := c.nfsCall(ctx, procAccess, struct {
		FH     []byte
		Access uint32
	}{fh, mask})
	if err != nil {
		return 0, err
	}
	d.postOpAttr()
	got := d.u32()
	return got, c.done(d)
}

// readAt reads up to count bytes at off into p (len(p) >= count); n is how
// many, eof reports the end of the file. A reply with more data than asked,
// or a count that disagrees with its data, is malformed.
func (c *conn) readAt(ctx context.Context, fh []byte, off uint64, p []byte) (n int, eof bool, err error) {
	d, err := c.nfsCall(ctx, procRead, struct {
		FH     []byte
		Offset uint64
		Count  uint32
	}{fh, off, uint32(len(p))})
	if err != nil {
		return 0, false, err
	}
	d.postOpAttr()
	count := d.u32()
	eof = d.bool()
	data := d.opaque(len(p))
	if d.err == nil && int(count) != len(data) {
		d.fail("READ count %d with %d bytes of data", count, len(data))
	}
	if err := c.done(d); err != nil {
		return 0, false, err
	}
	return copy(p, data), eof, nil
}

type writeRes struct {
	after     *gonfs.Fattr
	count     uint32
	committed uint32
	verf      [8]byte
}

// writeAt writes p at off. The server's count is checked against len(p).
func (c *conn) writeAt(ctx context.Context, fh []byte, off uint64, p []byte, stable uint32) (writeRes, error) {
	// The data goes as it is, after the encoded arguments (writev).
	if p == nil {
		p = []byte{} // an opaque of no bytes, not none
	}
	d, err := c.nfsCallData(ctx, procWrite, struct {
		FH     []byte
		Offset uint64
		Count  uint32
		Stable uint32
	}{fh, off, uint32(len(p)), stable}, p)
	if err != nil {
		return writeRes{}, err
	}
	var res writeRes
	res.after = d.wcc()
	res.count, res.committed = d.u32(), d.u32()
	copy(res.verf[:], d.fixed(8))
	if d.err == nil && (int64(res.count) > int64(len(p)) || res.committed > fileSync) {
		d.fail("WRITE of %d bytes answered count %d, committed %d", len(p), res.count, res.committed)
	}
	return res, c.done(d)
}

type commitRes struct {
	after *gonfs.Fattr
	verf  [8]byte
}

func (c *conn) commit(ctx context.Context, fh []byte) (commitRes, error) {
	d, err := c.nfsCall(ctx, procCommit, struct {
		FH     []byte
		Offset uint64
		Count  uint32
	}{fh, 0, 0})
	if err != nil {
		return commitRes{}, err
	}
	var res commitRes
	res.after = d.wcc()
	copy(res.verf[:], d.fixed(8))
	return res, c.done(d)
}

// createGuarded creates name in dir, failing with NFS3ERR_EXIST if it exists.
func (c *conn) createGuarded(ctx context.Context, dir []byte, name string, mode fs.FileMode) ([]byte, *gonfs.Fattr, error) {
	d, err := c.nfsCall(ctx, procCreate, struct {
		Where gonfs.Diropargs3
		How   uint32
		Attr  gonfs.Sattr3
	}{gonfs.Diropargs3{FH: dir, Filename: name}, 1, sattr(Attr{Mode: mode, UID: -1, GID: -1})})
	if err != nil {
		return nil, nil, err
	}
	return c.newObject(ctx, d, dir, name)
}

func (c *conn) mkdir(ctx context.Context, dir []byte, name string, mode fs.FileMode) ([]byte, *gonfs.Fattr, error) {
	d, err := c.nfsCall(ctx, procMkdir, struct {
		Where gonfs.Diropargs3
		Attr  gonfs.Sattr3
	}{gonfs.Diropargs3{FH: dir, Filename: name}, sattr(Attr{Mode: mode, UID: -1, GID: -1})})
	if err != nil {
		return nil, nil, err
	}
	return c.newObject(ctx, d, dir, name)
}

// newObject decodes the reply of CREATE or MKDIR; where the server left out
// the handle or attributes it looks them up.
func (c *conn) newObject(ctx context.Context, d *xdrDec, dir []byte, name string) ([]byte, *gonfs.Fattr, error) {
	fh := d.postOpFH()
	attr := d.postOpAttr()
	d.wcc()
	if err := c.done(d); err != nil {
		return nil, nil, err
	}
	if fh == nil || attr == nil {
		return c.lookup(ctx, dir, name)
	}
	return fh, attr, nil
}

func (c *conn) remove(ctx context.Context, proc uint32, dir []byte, name string) error {
	_, err := c.nfsCall(ctx, proc, gonfs.Diropargs3{FH: dir, Filename: name})
	return err
}

func (c *conn) rename(ctx context.Context, fromDir []byte, from string, toDir []byte, to string) error {
	_, err := c.nfsCall(ctx, procRename, struct {
		From gonfs.Diropargs3
		To   gonfs.Diropargs3
	}{gonfs.Diropargs3{FH: fromDir, Filename: from}, gonfs.Diropargs3{FH: toDir, Filename: to}})
	return err
}

func (c *conn) symlink(ctx context.Context, dir []byte, name, target string) error {
	d, err := c.nfsCall(ctx, procSymlink, struct {
		Where  gonfs.Diropargs3
		Attr   gonfs.Sattr3
		Target string
	}{gonfs.Diropargs3{FH: dir, Filename: name}, gonfs.Sattr3{Mode: gonfs.SetMode{SetIt: true, Mode: 0o777}}, target})
	if err != nil {
		return err
	}
	d.postOpFH()
	d.postOpAttr()
	d.wcc()
	return c.done(d)
}

func (c *conn) readlink(ctx context.Context, fh []byte) (string, error) {
	d, err := c.nfsCall(ctx, procReadlink, fh)
	if err != nil {
		return "", err
	}
	d.postOpAttr()
	target := d.str(maxPath)
	return target, c.done(d)
}

func (c *conn) link(ctx context.Context, file []byte, dir []byte, name string) error {
	_, err := c.nfsCall(ctx, procLink, struct {
		File []byte
		Link gonfs.Diropargs3
	}{file, gonfs.Diropargs3{FH: dir, Filename: name}})
	return err
}

type dirEntry struct {
	name string
	fh   []byte
	attr *gonfs.Fattr
}

// Bounds on listing one folder: a server that never says eof, repeats its
// cookies or lists without end is an error, not a loop.
const (
	MaxDirEntries = 1 << 20
	maxDirPages   = 1 << 16
)

// readdirplus lists a folder with attributes and handles, asking for up to
// maxCount bytes per reply.
func (c *conn) readdirplus(ctx context.Context, dir []byte, maxCount uint32) ([]dirEntry, error) {
	var (
		cookie uint64
		verf   [8]byte
		out    []dirEntry
	)
	for range maxDirPages {
		asked := cookie
		d, err := c.nfsCall(ctx, procReaddirplus, struct {
			FH       []byte
			Cookie   uint64
			Verf     [8]byte
			DirCount uint32
			MaxCount uint32
		}{dir, cookie, verf, maxCount / 4, maxCount})
		if err != nil {
			return nil, err
		}
		d.postOpAttr()
		copy(verf[:], d.fixed(8))
		n := 0
		for d.err == nil && d.bool() {
			d.u64() // fileid
			name := d.str(maxName)
			next := d.u64()
			attr := d.postOpAttr()
			fh := d.postOpFH()
			if d.err != nil {
				break
			}
			n++
			if len(out) >= MaxDirEntries {
				d.fail("a folder of more than %d entries", MaxDirEntries)
				break
			}
			if next == cookie && n > 1 {
				d.fail("READDIRPLUS repeats cookie %d", next)
				break
			}
			cookie = next
			if name == "." || name == ".." {
				continue
			}
			if err := checkName("readdir", name); err != nil || len(name) == 0 || strings.ContainsRune(name, '/') {
				d.fail("READDIRPLUS lists the name %q", name)
				break
			}
			out = append(out, dirEntry{name: name, fh: fh, attr: attr})
		}
		eof := d.bool()
		if err := c.done(d); err != nil {
			return nil, err
		}
		if eof {
			return out, nil
		}
		if n == 0 || cookie == asked {
			c.close()
			return nil, &TransportError{c.addr, fmt.Errorf("%w: READDIRPLUS made no progress (cookie %d) and said no eof", ErrMalformed, cookie)}
		}
	}
	c.close()
	return nil, &TransportError{c.addr, fmt.Errorf("%w: READDIRPLUS did not end after %d replies", ErrMalformed, maxDirPages)}
}

type fsInfo struct{ rtmax, wtmax uint32 }

func (c *conn) fsinfo(ctx context.Context, root []byte) (fsInfo, error) {
	d, err := c.nfsCall(ctx, procFSInfo, struct{ FH []byte }{root})
	if err != nil {
		return fsInfo{}, err
	}
	d.postOpAttr()
	var fi fsInfo
	fi.rtmax = d.u32()
	d.u32()
	d.u32()
	fi.wtmax = d.u32()
	return fi, c.done(d)
}

// MountError is a MOUNT protocol failure (mountstat3).
type MountError struct {
	Path   string
	Status uint32
}

func (e *MountError) Error() string {
	names := map[uint32]string{1: "MNT3ERR_PERM", 2: "MNT3ERR_NOENT", 5: "MNT3ERR_IO", 13: "MNT3ERR_ACCES",
		20: "MNT3ERR_NOTDIR", 22: "MNT3ERR_INVAL", 63: "MNT3ERR_NAMETOOLONG", 10004: "MNT3ERR_NOTSUPP", 10006: "MNT3ERR_SERVERFAULT"}
	n, ok := names[e.Status]
	if !ok {
		n = fmt.Sprintf("status %d", e.Status)
	}
	return fmt.Sprintf("mount %s: %s", e.Path, n)
}

// Unwrap maps the mount status onto the NFS one, which unwraps to an errno.
func (e *MountError) Unwrap() error { return Status(e.Status) }

// mnt asks the MOUNT service for the root handle of an exported path.
func (c *conn) mnt(ctx context.Context, dirpath string) ([]byte, error) {
	d, err := c.call(ctx, progMount, versMount, mountProcMnt, struct{ Path string }{dirpath})
	if err != nil {
		return nil, err
	}
	st := d.u32()
	if err := c.done(d); err != nil {
		return nil, err
	}
	if st != 0 {
		return nil, &MountError{Path: dirpath, Status: st}
	}
	fh := d.fh()
	return fh, c.done(d)
}

// Bounds on the export list.
const (
	maxExports      = 4096
	maxExportGroups = 4096
)

// exports asks the MOUNT service for its export list.
func (c *conn) exports(ctx context.Context) ([]string, error) {
	d, err := c.call(ctx, progMount, versMount, mountProcExport, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	groups := 0
	for d.bool() {
		if len(out) >= maxExports {
			d.fail("more than %d exports", maxExports)
			break
		}
		out = append(out, d.str(maxPath))
		for d.bool() {
			if groups++; groups > maxExportGroups {
				d.fail("more than %d export groups", maxExportGroups)
				break
			}
			d.str(maxPath)
		}
	}
	return out, c.done(d)
}

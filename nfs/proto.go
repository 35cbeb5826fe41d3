package nfs

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"time"

	gonfs "github.com/vmware/go-nfs-client/nfs"
)

// NFSv3 procedures (RFC 1813).
const (
	procGetattr     = 1
	procSetattr     = 2
	procLookup      = 3
	procAccess      = 4
	procRead        = 6
	procWrite       = 7
	procCreate      = 8
	procMkdir       = 9
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

// status reads the nfsstat3 that starts every NFSv3 reply.
func status(r io.Reader) error {
	var s uint32
	if err := decode(r, &s); err != nil {
		return err
	}
	if s != 0 {
		return Status(s)
	}
	return nil
}

// nfsCall sends an NFS procedure and checks its status. A non-OK status is
// returned as a Status; transport failures as *TransportError.
func (c *conn) nfsCall(ctx context.Context, proc uint32, args interface{}) (io.ReadSeeker, error) {
	res, err := c.call(ctx, progNFS, versNFS, proc, args)
	if err != nil {
		return nil, err
	}
	if err := status(res); err != nil {
		if _, ok := err.(Status); !ok {
			c.close()
			return nil, &TransportError{c.addr, err}
		}
		return nil, err
	}
	return res, nil
}

// reply decodes an OK reply's body, treating a malformed one as a transport
// failure.
func (c *conn) reply(res io.Reader, v interface{}) error {
	if err := decode(res, v); err != nil {
		c.close()
		return &TransportError{c.addr, err}
	}
	return nil
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
		Size:    int64(a.Filesize),
		Mode:    mode,
		UID:     a.UID,
		GID:     a.GID,
		ModTime: time.Unix(int64(a.Mtime.Seconds), int64(a.Mtime.Nseconds)),
		FileID:  a.Fileid,
		Nlink:   a.Nlink,
	}
}

func (c *conn) lookup(ctx context.Context, dir []byte, name string) ([]byte, *gonfs.Fattr, error) {
	res, err := c.nfsCall(ctx, procLookup, gonfs.Diropargs3{FH: dir, Filename: name})
	if err != nil {
		return nil, nil, err
	}
	var ok struct {
		FH      []byte
		Attr    gonfs.PostOpAttr
		DirAttr gonfs.PostOpAttr
	}
	if err := c.reply(res, &ok); err != nil {
		return nil, nil, err
	}
	if !ok.Attr.IsSet {
		a, err := c.getattr(ctx, ok.FH)
		if err != nil {
			return nil, nil, err
		}
		return ok.FH, a, nil
	}
	return ok.FH, &ok.Attr.Attr, nil
}

func (c *conn) getattr(ctx context.Context, fh []byte) (*gonfs.Fattr, error) {
	res, err := c.nfsCall(ctx, procGetattr, struct{ FH []byte }{fh})
	if err != nil {
		return nil, err
	}
	var a gonfs.Fattr
	if err := c.reply(res, &a); err != nil {
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
	return s
}

func (c *conn) setattr(ctx context.Context, fh []byte, a Attr) (*gonfs.Fattr, error) {
	type guard struct {
		Check bool           `xdr:"union"`
		Ctime gonfs.NFS3Time `xdr:"unioncase=1"`
	}
	res, err := c.nfsCall(ctx, procSetattr, struct {
		FH    []byte
		Attr  gonfs.Sattr3
		Guard guard
	}{fh, sattr(a), guard{}})
	if err != nil {
		return nil, err
	}
	var wcc gonfs.WccData
	if err := c.reply(res, &wcc); err != nil {
		return nil, err
	}
	if wcc.After.IsSet {
		return &wcc.After.Attr, nil
	}
	return c.getattr(ctx, fh)
}

func (c *conn) access(ctx context.Context, fh []byte, mask uint32) (uint32, error) {
	res, err := c.nfsCall(ctx, procAccess, struct {
		FH     []byte
		Access uint32
	}{fh, mask})
	if err != nil {
		return 0, err
	}
	var ok struct {
		Attr   gonfs.PostOpAttr
		Access uint32
	}
	if err := c.reply(res, &ok); err != nil {
		return 0, err
	}
	return ok.Access, nil
}

// readAt reads up to count bytes at off; eof reports the end of the file.
func (c *conn) readAt(ctx context.Context, fh []byte, off uint64, count uint32) ([]byte, bool, error) {
	res, err := c.nfsCall(ctx, procRead, struct {
		FH     []byte
		Offset uint64
		Count  uint32
	}{fh, off, count})
	if err != nil {
		return nil, false, err
	}
	var ok struct {
		Attr  gonfs.PostOpAttr
		Count uint32
		EOF   bool
		Data  []byte
	}
	if err := c.reply(res, &ok); err != nil {
		return nil, false, err
	}
	return ok.Data, ok.EOF, nil
}

type writeRes struct {
	Wcc       gonfs.WccData
	Count     uint32
	Committed uint32
	Verf      [8]byte
}

// writeAt writes p at off.
func (c *conn) writeAt(ctx context.Context, fh []byte, off uint64, p []byte, stable uint32) (writeRes, error) {
	res, err := c.nfsCall(ctx, procWrite, struct {
		FH     []byte
		Offset uint64
		Count  uint32
		Stable uint32
		Data   []byte
	}{fh, off, uint32(len(p)), stable, p})
	if err != nil {
		return writeRes{}, err
	}
	var ok writeRes
	if err := c.reply(res, &ok); err != nil {
		return writeRes{}, err
	}
	return ok, nil
}

type commitRes struct {
	Wcc  gonfs.WccData
	Verf [8]byte
}

func (c *conn) commit(ctx context.Context, fh []byte) (commitRes, error) {
	res, err := c.nfsCall(ctx, procCommit, struct {
		FH     []byte
		Offset uint64
		Count  uint32
	}{fh, 0, 0})
	if err != nil {
		return commitRes{}, err
	}
	var ok commitRes
	if err := c.reply(res, &ok); err != nil {
		return commitRes{}, err
	}
	return ok, nil
}

// createGuarded creates name in dir, failing with NFS3ERR_EXIST if it exists.
func (c *conn) createGuarded(ctx context.Context, dir []byte, name string, mode fs.FileMode) ([]byte, *gonfs.Fattr, error) {
	res, err := c.nfsCall(ctx, procCreate, struct {
		Where gonfs.Diropargs3
		How   uint32
		Attr  gonfs.Sattr3
	}{gonfs.Diropargs3{FH: dir, Filename: name}, 1, sattr(Attr{Mode: mode, UID: -1, GID: -1})})
	if err != nil {
		return nil, nil, err
	}
	return c.newObject(ctx, res, dir, name)
}

func (c *conn) mkdir(ctx context.Context, dir []byte, name string, mode fs.FileMode) ([]byte, *gonfs.Fattr, error) {
	res, err := c.nfsCall(ctx, procMkdir, struct {
		Where gonfs.Diropargs3
		Attr  gonfs.Sattr3
	}{gonfs.Diropargs3{FH: dir, Filename: name}, sattr(Attr{Mode: mode, UID: -1, GID: -1})})
	if err != nil {
		return nil, nil, err
	}
	return c.newObject(ctx, res, dir, name)
}

// newObject decodes the reply of CREATE or MKDIR; where the server left out
// the handle or attributes it looks them up.
func (c *conn) newObject(ctx context.Context, res io.Reader, dir []byte, name string) ([]byte, *gonfs.Fattr, error) {
	var ok struct {
		FH   gonfs.PostOpFH3
		Attr gonfs.PostOpAttr
		Wcc  gonfs.WccData
	}
	if err := c.reply(res, &ok); err != nil {
		return nil, nil, err
	}
	if !ok.FH.IsSet || !ok.Attr.IsSet {
		return c.lookup(ctx, dir, name)
	}
	return ok.FH.FH, &ok.Attr.Attr, nil
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

// readdirplus lists a folder with attributes and handles, asking for up to
// maxCount bytes per reply.
func (c *conn) readdirplus(ctx context.Context, dir []byte, maxCount uint32) ([]dirEntry, error) {
	var (
		cookie uint64
		verf   [8]byte
		out    []dirEntry
	)
	for {
		res, err := c.nfsCall(ctx, procReaddirplus, struct {
			FH       []byte
			Cookie   uint64
			Verf     [8]byte
			DirCount uint32
			MaxCount uint32
		}{dir, cookie, verf, maxCount / 4, maxCount})
		if err != nil {
			return nil, err
		}
		var head struct {
			DirAttr gonfs.PostOpAttr
			Verf    [8]byte
		}
		if err := c.reply(res, &head); err != nil {
			return nil, err
		}
		verf = head.Verf
		for {
			var item struct {
				IsSet bool            `xdr:"union"`
				Entry gonfs.EntryPlus `xdr:"unioncase=1"`
			}
			if err := c.reply(res, &item); err != nil {
				return nil, err
			}
			if !item.IsSet {
				break
			}
			e := item.Entry
			cookie = e.Cookie
			if e.FileName == "." || e.FileName == ".." {
				continue
			}
			d := dirEntry{name: e.FileName}
			if e.Handle.IsSet {
				d.fh = e.Handle.FH
			}
			if e.Attr.IsSet {
				a := e.Attr.Attr
				d.attr = &a
			}
			out = append(out, d)
		}
		var eof bool
		if err := c.reply(res, &eof); err != nil {
			return nil, err
		}
		if eof {
			return out, nil
		}
	}
}

func (c *conn) fsinfo(ctx context.Context, root []byte) (*gonfs.FSInfo, error) {
	res, err := c.nfsCall(ctx, procFSInfo, struct{ FH []byte }{root})
	if err != nil {
		return nil, err
	}
	var fi gonfs.FSInfo
	if err := c.reply(res, &fi); err != nil {
		return nil, err
	}
	return &fi, nil
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
	res, err := c.call(ctx, progMount, versMount, mountProcMnt, struct{ Path string }{dirpath})
	if err != nil {
		return nil, err
	}
	var st uint32
	if err := c.reply(res, &st); err != nil {
		return nil, err
	}
	if st != 0 {
		return nil, &MountError{Path: dirpath, Status: st}
	}
	var fh []byte
	if err := c.reply(res, &fh); err != nil {
		return nil, err
	}
	return fh, nil
}

// exports asks the MOUNT service for its export list.
func (c *conn) exports(ctx context.Context) ([]string, error) {
	res, err := c.call(ctx, progMount, versMount, mountProcExport, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for {
		var more bool
		if err := c.reply(res, &more); err != nil {
			return nil, err
		}
		if !more {
			return out, nil
		}
		var dir string
		if err := c.reply(res, &dir); err != nil {
			return nil, err
		}
		out = append(out, dir)
		for { // the export's groups
			if err := c.reply(res, &more); err != nil {
				return nil, err
			}
			if !more {
				break
			}
			var group string
			if err := c.reply(res, &group); err != nil {
				return nil, err
			}
		}
	}
}

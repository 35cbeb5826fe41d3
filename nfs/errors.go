package nfs

import (
	"fmt"
	"io/fs"
	"syscall"
)

// Status is an NFSv3 status code (RFC 1813, nfsstat3) returned by a server.
// It unwraps to the matching syscall.Errno, so errors.Is(err, fs.ErrNotExist)
// and friends work for NFS errors as they do for local ones.
type Status uint32

// NFSv3 status codes used by dagnfs.
const (
	StatusOK          Status = 0
	StatusPerm        Status = 1
	StatusNoEnt       Status = 2
	StatusIO          Status = 5
	StatusNXIO        Status = 6
	StatusAcces       Status = 13
	StatusExist       Status = 17
	StatusXDev        Status = 18
	StatusNoDev       Status = 19
	StatusNotDir      Status = 20
	StatusIsDir       Status = 21
	StatusInval       Status = 22
	StatusFBig        Status = 27
	StatusNoSpc       Status = 28
	StatusROFS        Status = 30
	StatusMLink       Status = 31
	StatusNameTooLong Status = 63
	StatusNotEmpty    Status = 66
	StatusDQuot       Status = 69
	StatusStale       Status = 70
	StatusRemote      Status = 71
	StatusBadHandle   Status = 10001
	StatusNotSync     Status = 10002
	StatusBadCookie   Status = 10003
	StatusNotSupp     Status = 10004
	StatusTooSmall    Status = 10005
	StatusServerFault Status = 10006
	StatusBadType     Status = 10007
	StatusJukebox     Status = 10008
)

var statusInfo = map[Status]struct {
	name  string
	errno syscall.Errno
}{
	StatusPerm:        {"NFS3ERR_PERM", syscall.EPERM},
	StatusNoEnt:       {"NFS3ERR_NOENT", syscall.ENOENT},
	StatusIO:          {"NFS3ERR_IO", syscall.EIO},
	StatusNXIO:        {"NFS3ERR_NXIO", syscall.ENXIO},
	StatusAcces:       {"NFS3ERR_ACCES", syscall.EACCES},
	StatusExist:       {"NFS3ERR_EXIST", syscall.EEXIST},
	StatusXDev:        {"NFS3ERR_XDEV", syscall.EXDEV},
	StatusNoDev:       {"NFS3ERR_NODEV", syscall.ENODEV},
	StatusNotDir:      {"NFS3ERR_NOTDIR", syscall.ENOTDIR},
	StatusIsDir:       {"NFS3ERR_ISDIR", syscall.EISDIR},
	StatusInval:       {"NFS3ERR_INVAL", syscall.EINVAL},
	StatusFBig:        {"NFS3ERR_FBIG", syscall.EFBIG},
	StatusNoSpc:       {"NFS3ERR_NOSPC", syscall.ENOSPC},
	StatusROFS:        {"NFS3ERR_ROFS", syscall.EROFS},
	StatusMLink:       {"NFS3ERR_MLINK", syscall.EMLINK},
	StatusNameTooLong: {"NFS3ERR_NAMETOOLONG", syscall.ENAMETOOLONG},
	StatusNotEmpty:    {"NFS3ERR_NOTEMPTY", syscall.ENOTEMPTY},
	StatusDQuot:       {"NFS3ERR_DQUOT", syscall.EDQUOT},
	StatusStale:       {"NFS3ERR_STALE", syscall.ESTALE},
	StatusRemote:      {"NFS3ERR_REMOTE", syscall.EREMOTE},
	StatusBadHandle:   {"NFS3ERR_BADHANDLE", syscall.ESTALE},
	StatusNotSync:     {"NFS3ERR_NOT_SYNC", syscall.EIO},
	StatusBadCookie:   {"NFS3ERR_BAD_COOKIE", syscall.EIO},
	StatusNotSupp:     {"NFS3ERR_NOTSUPP", syscall.EOPNOTSUPP},
	StatusTooSmall:    {"NFS3ERR_TOOSMALL", syscall.EIO},
	StatusServerFault: {"NFS3ERR_SERVERFAULT", syscall.EIO},
	StatusBadType:     {"NFS3ERR_BADTYPE", syscall.EINVAL},
	StatusJukebox:     {"NFS3ERR_JUKEBOX", syscall.EAGAIN},
}

func (s Status) Error() string {
	if i, ok := statusInfo[s]; ok {
		return i.name + " (" + i.errno.Error() + ")"
	}
	return fmt.Sprintf("NFS3 status %d", uint32(s))
}

// Unwrap returns the errno that a local file system would give.
func (s Status) Unwrap() error {
	if i, ok := statusInfo[s]; ok {
		return i.errno
	}
	return syscall.EIO
}

func pathErr(op, name string, err error) error {
	if err == nil {
		return nil
	}
	if name == "" {
		name = "."
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

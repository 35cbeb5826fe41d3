package nfs

import (
	"context"
	"errors"

	"golang.org/x/sys/unix"
)

// LinkAcross makes toName in to a hard link to fromName in from, where both
// are on one file system: two folders of this machine, or two folders of
// one export of one NFS server. Anywhere else (other servers, exports or
// file systems, a server without links) it fails with errors.ErrUnsupported
// and the caller copies. A link shares the file: its mode, owner and
// content are the original's.
func LinkAcross(ctx context.Context, from Dest, fromName string, to Dest, toName string) error {
	from, fromName = unwrapSub(from, fromName)
	to, toName = unwrapSub(to, toName)
	unsupported := pathErr("link", toName, errors.ErrUnsupported)
	switch f := from.(type) {
	case *Local:
		t, ok := to.(*Local)
		if !ok {
			return unsupported
		}
		return f.linkTo(ctx, fromName, t, toName)
	case *Remote:
		t, ok := to.(*Remote)
		if !ok || f.nfsAddr != t.nfsAddr || f.export == "" || f.export != t.export {
			return unsupported
		}
		return t.linkFrom(ctx, f, fromName, toName)
	case *Remote4:
		// One server: its handles are valid in every folder it serves; a
		// link across its file systems is refused (XDEV) and copied.
		t, ok := to.(*Remote4)
		if !ok || f.nfsAddr != t.nfsAddr {
			return unsupported
		}
		return t.linkFrom(ctx, f, fromName, toName, false)
	}
	return unsupported
}

// unwrapSub is d's name as the destination that d is a folder of sees it.
func unwrapSub(d Dest, name string) (Dest, string) {
	for {
		s, ok := d.(sub)
		if !ok {
			return d, name
		}
		d, name = s.d, s.in(name)
	}
}

// linkTo links l's file name as newname in to (l itself for Link): a
// symlink is linked, not followed; a link the file system refuses is
// errors.ErrUnsupported.
func (l *Local) linkTo(ctx context.Context, name string, to *Local, newname string) error {
	epfd, ebase, edone, err := l.parent(ctx, "link", name)
	if err != nil {
		return err
	}
	defer edone()
	npfd, nbase, ndone, err := to.parent(ctx, "link", newname)
	if err != nil {
		return err
	}
	defer ndone()
	err = unix.Linkat(epfd, ebase, npfd, nbase, 0) // 0: a symlink is linked, not followed
	if errors.Is(err, unix.EXDEV) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EOPNOTSUPP) {
		return pathErr("link", newname, errors.ErrUnsupported)
	}
	if err == nil {
		to.mu.Lock()
		to.dirty[parentOf(newname)] = true // durable at the next Flush, as a rename
		to.mu.Unlock()
	}
	return pathErr("link", newname, err)
}

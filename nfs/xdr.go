package nfs

import (
	"encoding/binary"
	"fmt"

	gonfs "github.com/vmware/go-nfs-client/nfs"
)

// xdrDec decodes XDR (RFC 4506) from one reply. Every variable length is
// checked against a maximum and against what is left of the reply before
// anything is allocated; the first problem sticks in err and every later
// read returns zero values.
type xdrDec struct {
	b   []byte
	off int
	err error
}

func (d *xdrDec) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
}

func (d *xdrDec) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.fail("truncated at byte %d (%d more bytes expected)", d.off, n)
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *xdrDec) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

func (d *xdrDec) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

func (d *xdrDec) bool() bool {
	switch v := d.u32(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail("boolean %d", v)
		return false
	}
}

// fixed reads n bytes of fixed-length opaque data (with padding).
func (d *xdrDec) fixed(n int) []byte {
	p := d.take(n)
	d.take((4 - n%4) % 4)
	return p
}

// opaque reads variable-length opaque data of at most max bytes. The result
// aliases the reply.
func (d *xdrDec) opaque(max int) []byte {
	n := d.u32()
	if d.err != nil {
		return nil
	}
	if int64(n) > int64(max) {
		d.fail("a length of %d where at most %d fits", n, max)
		return nil
	}
	return d.fixed(int(n))
}

func (d *xdrDec) str(max int) string { return string(d.opaque(max)) }

// Protocol limits (RFC 1813): handles are at most 64 bytes; names are
// bounded well above any file system's NAME_MAX.
const (
	maxFH   = 64
	maxName = 1024
	maxPath = 4096
)

func (d *xdrDec) fh() []byte {
	b := d.opaque(maxFH)
	return append([]byte(nil), b...) // kept beyond the reply
}

func (d *xdrDec) time3() gonfs.NFS3Time {
	return gonfs.NFS3Time{Seconds: d.u32(), Nseconds: d.u32()}
}

func (d *xdrDec) fattr() gonfs.Fattr {
	var a gonfs.Fattr
	a.Type, a.FileMode, a.Nlink, a.UID, a.GID = d.u32(), d.u32(), d.u32(), d.u32(), d.u32()
	a.Filesize, a.Used = d.u64(), d.u64()
	a.SpecData = [2]uint32{d.u32(), d.u32()}
	a.FSID, a.Fileid = d.u64(), d.u64()
	a.Atime, a.Mtime, a.Ctime = d.time3(), d.time3(), d.time3()
	if d.err == nil && (a.Type < 1 || a.Type > 7) {
		d.fail("file type %d", a.Type)
	}
	return a
}

// postOpAttr returns the attributes, or nil when the server sent none.
func (d *xdrDec) postOpAttr() *gonfs.Fattr {
	if !d.bool() {
		return nil
	}
	a := d.fattr()
	if d.err != nil {
		return nil
	}
	return &a
}

// wcc skips the before attributes and returns the after ones (or nil).
func (d *xdrDec) wcc() *gonfs.Fattr {
	if d.bool() {
		d.u64()
		d.time3()
		d.time3()
	}
	return d.postOpAttr()
}

// postOpFH returns the handle, or nil when the server sent none.
func (d *xdrDec) postOpFH() []byte {
	if !d.bool() {
		return nil
	}
	return d.fh()
}

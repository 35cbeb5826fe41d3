package server

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
)

// go-nfs decodes a LINK call's arguments as a SYMLINK's (an attribute set
// and a target path where LINK3args has a file handle and a name): it reads
// a length out of the file name and allocates that much, up to 4 GiB per
// call, before it fails. The listener below hides LINK from it: the call's
// procedure number is changed, on its way in, to one go-nfs does not serve,
// so the client gets PROC_UNAVAIL at once and copies instead (dagnfs
// does; so does any client that meets a server without hard links).

// Where an RPC call's header fields are, from the start of its record's
// first fragment (after the record mark): xid, message type, RPC version,
// program, version, procedure.
const (
	offProg  = 12
	offVers  = 16
	offProc  = 20
	callHead = 24

	progNFS  = 100003
	procLink = 15
	// procHidden is a procedure number no NFSv3 server serves.
	procHidden = 0xffff
)

type linkFilterListener struct{ net.Listener }

func (l linkFilterListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &linkFilterConn{Conn: c, r: bufio.NewReader(c)}, nil
}

// linkFilterConn passes on what the client sends, fragment by fragment,
// and rewrites the procedure of an NFSv3 LINK call on the way: the
// stream's length and framing are unchanged.
type linkFilterConn struct {
	net.Conn
	r        *bufio.Reader
	buf      [4 + callHead]byte
	out      []byte // a record mark (and a call's header) not yet passed on
	left     uint32 // bytes of the current fragment still to pass on
	inRecord bool   // the next fragment continues a record
}

func (c *linkFilterConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.out) > 0 {
		n := copy(p, c.out)
		c.out = c.out[n:]
		return n, nil
	}
	if c.left > 0 {
		n, err := c.r.Read(p[:min(uint32(len(p)), c.left)])
		c.left -= uint32(n)
		return n, err
	}
	// A record mark: the last-fragment flag and the fragment's length.
	if _, err := io.ReadFull(c.r, c.buf[:4]); err != nil {
		return 0, err
	}
	h := binary.BigEndian.Uint32(c.buf[:4])
	c.left = h & 0x7fffffff
	c.out = c.buf[:4]
	if !c.inRecord && c.left >= callHead {
		// A call's first fragment: its header, read whole to be checked.
		if _, err := io.ReadFull(c.r, c.buf[4:]); err != nil {
			return 0, err
		}
		head := c.buf[4:]
		if binary.BigEndian.Uint32(head[offProg:]) == progNFS && binary.BigEndian.Uint32(head[offVers:]) == 3 &&
			binary.BigEndian.Uint32(head[offProc:]) == procLink {
			binary.BigEndian.PutUint32(head[offProc:], procHidden)
		}
		c.out = c.buf[:]
		c.left -= callHead
	}
	c.inRecord = h&(1<<31) == 0
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

package server

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The filter changes only a LINK call's procedure, whatever the reads and
// fragments look like: a LINK in two fragments, then a READ, read a few
// bytes at a time.
func TestLinkFilterRewritesOnlyLinkCalls(t *testing.T) {
	call := func(xid, proc uint32, body string) []byte {
		b := binary.BigEndian.AppendUint32(nil, xid)
		for _, v := range []uint32{0, 2, progNFS, 3, proc} {
			b = binary.BigEndian.AppendUint32(b, v)
		}
		return append(b, body...)
	}
	frag := func(last bool, b []byte) []byte {
		h := uint32(len(b))
		if last {
			h |= 1 << 31
		}
		return append(binary.BigEndian.AppendUint32(nil, h), b...)
	}
	link := call(1, procLink, "file handle, folder handle and a name")
	read := call(2, 6, "a file handle, an offset and a count")
	var in bytes.Buffer
	in.Write(frag(false, link[:30]))
	in.Write(frag(true, link[30:]))
	in.Write(frag(true, read))
	want := bytes.Clone(in.Bytes())
	binary.BigEndian.PutUint32(want[4+offProc:], procHidden)

	client, server := net.Pipe()
	go func() { client.Write(in.Bytes()); client.Close() }()
	c := &linkFilterConn{Conn: server, r: bufio.NewReader(server)}
	var got []byte
	buf := make([]byte, 3)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	assert.Equal(t, want, got)
	assert.Equal(t, uint32(procHidden), binary.BigEndian.Uint32(got[4+offProc:]), "LINK hidden")
	readAt := len(frag(false, link[:30])) + len(frag(true, link[30:]))
	assert.Equal(t, uint32(6), binary.BigEndian.Uint32(got[readAt+4+offProc:]), "READ untouched")
}

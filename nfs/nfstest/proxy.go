package nfstest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// Call is what the proxy saw of one RPC call.
type Call struct {
	Xid, Prog, Vers, Proc uint32
}

// Tamper decides what the client receives for one call. reply is the
// upstream's reply record body (without its record mark); the result is
// written to the client as it is, record marks included (see Record and
// Fragments), so a tamperer can send anything: an oversized record header,
// a truncated reply, or nothing at all (nil closes the connection; Silence
// keeps it open and never answers).
type Tamper func(c Call, reply []byte) []byte

// Silence, returned by a Tamper, makes the proxy never answer that call.
var Silence = []byte{}

// Proxy forwards RPC calls to upstream and passes every reply through
// tamper: a hostile or broken server built from a working one. It stops
// when the test ends.
func Proxy(t testing.TB, upstream string, tamper Tamper) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", upstream)
			if err != nil {
				client.Close()
				continue
			}
			track(client)
			track(server)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer client.Close()
				defer server.Close()
				for {
					call, err := readRecord(client)
					if err != nil {
						return
					}
					if _, err := server.Write(Record(call)); err != nil {
						return
					}
					reply, err := readRecord(server)
					if err != nil {
						return
					}
					out := tamper(parseCall(call), reply)
					if out == nil {
						return
					}
					if len(out) == 0 {
						continue // Silence
					}
					if _, err := client.Write(out); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// Passthrough is a Tamper that changes nothing.
func Passthrough(_ Call, reply []byte) []byte { return Record(reply) }

// Record frames body as one record (last-fragment bit set).
func Record(body []byte) []byte {
	out := make([]byte, 4, 4+len(body))
	binary.BigEndian.PutUint32(out, 1<<31|uint32(len(body)))
	return append(out, body...)
}

// Fragments frames body as n fragments (n >= 1), as servers may.
func Fragments(body []byte, n int) []byte {
	var out []byte
	size := (len(body) + n - 1) / n
	for i := 0; i < n; i++ {
		part := body[min(i*size, len(body)):min((i+1)*size, len(body))]
		hdr := make([]byte, 4)
		mark := uint32(len(part))
		if i == n-1 {
			mark |= 1 << 31
		}
		binary.BigEndian.PutUint32(hdr, mark)
		out = append(append(out, hdr...), part...)
	}
	return out
}

// ReplyHeaderLen is the length of an accepted reply's header with an
// AUTH_NONE verifier (xid, type, status, verifier, accept status); an NFS
// procedure's status follows it.
const ReplyHeaderLen = 24

func parseCall(b []byte) Call {
	u := func(i int) uint32 {
		if len(b) < 4*i+4 {
			return 0
		}
		return binary.BigEndian.Uint32(b[4*i:])
	}
	return Call{Xid: u(0), Prog: u(3), Vers: u(4), Proc: u(5)}
}

func readRecord(r io.Reader) ([]byte, error) {
	var out []byte
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, err
		}
		h := binary.BigEndian.Uint32(hdr[:])
		n := int(h & 0x7fffffff)
		if n > 16<<20 {
			return nil, errors.New("record too large for the test proxy")
		}
		start := len(out)
		out = append(out, make([]byte, n)...)
		if _, err := io.ReadFull(r, out[start:]); err != nil {
			return nil, err
		}
		if h&(1<<31) != 0 {
			return out, nil
		}
	}
}

// EndlessListing is a READDIRPLUS reply, built on the header of reply,
// that lists one entry and says neither "no more entries" nor "end of
// folder", with the same cookie every time: a folder listing without end.
func EndlessListing(reply []byte) []byte {
	out := append([]byte(nil), reply[:ReplyHeaderLen]...)
	w := func(v ...uint32) {
		for _, x := range v {
			out = binary.BigEndian.AppendUint32(out, x)
		}
	}
	w(0, 0)    // NFS3_OK, no folder attributes
	w(0, 0)    // cookie verifier
	w(1, 0, 7) // an entry: fileid 7
	w(1)       // name "x"
	out = append(out, 'x', 0, 0, 0)
	w(0, 5)    // cookie 5, every time
	w(0, 0, 0) // no attributes, no handle, no more entries
	w(0)       // and never eof
	return Record(out)
}

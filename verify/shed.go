package verify

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// stalled is how long a connection may sit in a request before it counts as
// stalled (a slow client, or one that never finishes its headers): the
// agent's handlers answer in milliseconds.
const stalled = time.Second

// shedder keeps the agent's connections to MaxConns by closing the least
// useful one when another arrives: an idle keep-alive connection first
// (oldest first), then one that has sent nothing yet, then one stalled in a
// request. So a kubelet's probe is served at once however many scrapers,
// scanners or slow clients hold connections open. Beyond twice MaxConns of
// requests all in progress, a new connection is closed.
type shedder struct {
	mu    sync.Mutex
	conns map[net.Conn]connState
}

type connState struct {
	state http.ConnState
	since time.Time
}

func newShedder() *shedder { return &shedder{conns: map[net.Conn]connState{}} }

// track is the server's ConnState hook.
func (s *shedder) track(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	default:
		s.conns[c] = connState{st, time.Now()}
	}
}

// makeRoom closes a connection when MaxConns are open; it reports whether
// a new one may be served.
func (s *shedder) makeRoom() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) < MaxConns {
		return true
	}
	var victim net.Conn
	rank := func(cs connState) int {
		switch {
		case cs.state == http.StateIdle:
			return 0
		case cs.state == http.StateNew:
			return 1
		case time.Since(cs.since) > stalled:
			return 2
		}
		return 3 // a request being answered: kept
	}
	best := 3
	var bestSince time.Time
	for c, cs := range s.conns {
		if r := rank(cs); r < best || (r == best && r < 3 && cs.since.Before(bestSince)) {
			victim, best, bestSince = c, r, cs.since
		}
	}
	if victim != nil {
		delete(s.conns, victim)
		victim.Close()
		return true
	}
	return len(s.conns) < 2*MaxConns
}

// shedListener makes room for each connection it accepts.
type shedListener struct {
	net.Listener
	s *shedder
}

func (l shedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || l.s.makeRoom() {
			return c, err
		}
		c.Close()
	}
}

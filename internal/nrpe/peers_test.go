package nrpe

// The real peers: Debian's nrpe daemon and check_nrpe client
// (ARCHITECTURE.md convention 10, started by internal/testutil/peers), a
// recording TCP proxy between them, and a one-shot Go server that check_nrpe
// can query.

import (
	"bytes"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/testutil/peers"
)

const peerTimeout = 20 * time.Second

// nrpeCommands are the commands of the daemon TestRealPeers starts (no TLS,
// arguments refused: dont_blame_nrpe=0). They need only the shell and
// coreutils, as nrpe runs each line with /bin/sh -c.
var nrpeCommands = map[string]string{
	"ok":   "/bin/echo OK: all good",
	"crit": "echo CRITICAL: disk full; exit 2",
	"long": "/usr/bin/seq -s , 1 1000",
}

// checkNRPE runs check_nrpe without TLS against addr and returns its
// output (without the final newline) and exit code.
func checkNRPE(t *testing.T, addr string, args ...string) (string, int) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	out, rc := peers.CheckNRPE(t, append([]string{"-n", "-H", host, "-p", port, "-t", "10"}, args...)...)
	return strings.TrimSuffix(out, "\n"), rc
}

// exchange is what one connection carried each way.
type exchange struct {
	seq             int
	query, response []byte
}

// recorder is a TCP proxy in front of target that keeps every connection's
// bytes, so the real client's queries and the real daemon's answers can be
// stored as golden files.
type recorder struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	seq    int
	active sync.WaitGroup
	done   []exchange
}

func startRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{ln: ln, target: target}
	var loop sync.WaitGroup
	loop.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.seq++
			seq := r.seq
			r.active.Add(1)
			r.mu.Unlock()
			go r.relay(seq, c)
		}
	})
	t.Cleanup(func() { ln.Close(); loop.Wait(); r.active.Wait() })
	return r
}

func (r *recorder) addr() string { return r.ln.Addr().String() }

func (r *recorder) relay(seq int, c net.Conn) {
	defer r.active.Done()
	defer c.Close()
	ex := exchange{seq: seq}
	defer func() { r.mu.Lock(); r.done = append(r.done, ex); r.mu.Unlock() }()
	s, err := net.DialTimeout("tcp", r.target, peerTimeout)
	if err != nil {
		return
	}
	defer s.Close()
	deadline := time.Now().Add(peerTimeout)
	_ = c.SetDeadline(deadline)
	_ = s.SetDeadline(deadline)
	var q, resp bytes.Buffer
	var up sync.WaitGroup
	up.Go(func() {
		// The recording comes first: a write to a daemon that has already
		// hung up fails, and the bytes must be kept all the same.
		_, _ = io.Copy(io.MultiWriter(&q, s), c)
		_ = s.(*net.TCPConn).CloseWrite()
	})
	_, _ = io.Copy(io.MultiWriter(&resp, c), s)
	_ = c.(*net.TCPConn).CloseWrite()
	up.Wait()
	ex.query, ex.response = q.Bytes(), resp.Bytes()
}

// take waits for the connections in flight and returns those finished
// since the last call, in the order they were accepted.
func (r *recorder) take() []exchange {
	r.active.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.done
	r.done = nil
	slices.SortFunc(out, func(a, b exchange) int { return a.seq - b.seq })
	return out
}

// serveOnce answers one query on a fresh listener with respond(query) and
// reports the query it decoded (or the error) on the returned channel.
func serveOnce(t *testing.T, respond func(Packet) Packet) (string, <-chan Packet) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan Packet, 1)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(peerTimeout))
		q, err := Decode(c, 0)
		if err != nil {
			t.Errorf("decode check_nrpe's query: %v", err)
			return
		}
		got <- q
		b, err := Encode(respond(q))
		if err != nil {
			t.Errorf("encode response: %v", err)
			return
		}
		if _, err := c.Write(b); err != nil {
			t.Errorf("write response: %v", err)
		}
		// Drain what the client still sends (the 3 trailer bytes of a v3
		// query) so that closing does not reset the connection under the
		// answer, then close.
		_ = c.(*net.TCPConn).CloseWrite()
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, _ = io.Copy(io.Discard, c)
	})
	return ln.Addr().String(), got
}

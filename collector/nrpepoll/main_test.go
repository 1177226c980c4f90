package nrpepoll

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigilmon/vigil/internal/nrpe"
	"github.com/vigilmon/vigil/internal/testutil/testpki"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeDaemon is an in-process NRPE daemon built on internal/nrpe. answer
// returns the response to a query, or ok false to hang up without one, as
// nrpe does for a query it refuses.
type fakeDaemon struct {
	ln     net.Listener
	answer func(q nrpe.Packet) (resp nrpe.Packet, ok bool)
	wg     sync.WaitGroup

	mu       sync.Mutex
	versions []int // of every query decoded, in order
}

func startFake(t testing.TB, tlsConfig *tls.Config, answer func(nrpe.Packet) (nrpe.Packet, bool)) *fakeDaemon {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	d := &fakeDaemon{ln: ln, answer: answer}
	d.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d.wg.Go(func() { d.serve(c) })
		}
	})
	t.Cleanup(func() { ln.Close(); d.wg.Wait() })
	return d
}

func (d *fakeDaemon) addr() string { return d.ln.Addr().String() }

func (d *fakeDaemon) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	q, err := nrpe.Decode(c, 0)
	if err != nil {
		return
	}
	d.mu.Lock()
	d.versions = append(d.versions, q.Version)
	d.mu.Unlock()
	resp, ok := d.answer(q)
	if !ok {
		return
	}
	b, err := nrpe.Encode(resp)
	if err != nil {
		panic(err)
	}
	// The whole query has been read (v2 is 1036 bytes, and v4 queries are
	// exactly 16 + buffer_length), so closing now does not reset the
	// connection under the answer.
	_, _ = c.Write(b)
}

func (d *fakeDaemon) seen() []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]int(nil), d.versions...)
}

// answerOK answers every query in its own version with OK and perfdata.
func answerOK(q nrpe.Packet) (nrpe.Packet, bool) {
	return nrpe.Packet{Version: q.Version, Type: nrpe.ResponsePacket, ResultCode: nrpe.StateOK,
		Buffer: []byte("OK: " + string(q.Buffer) + " | time=5ms;1;2 size=1KB")}, true
}

// v2Only is a daemon that knows no v4: it hangs up on anything but v2.
func v2Only(q nrpe.Packet) (nrpe.Packet, bool) {
	if q.Version != nrpe.Version2 {
		return nrpe.Packet{}, false
	}
	return answerOK(q)
}

// testPKI is a CA and a server certificate for 127.0.0.1 and localhost,
// written as PEM files into a directory the nagios user can read.
type testPKI struct {
	dir                       string
	caFile, certFile, keyFile string
	serverCert                tls.Certificate
}

func newPKI(t testing.TB) *testPKI {
	t.Helper()
	dir := t.TempDir()
	// nrpe reads the files as the nagios user: t.TempDir is 0700, and so
	// is its parent.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ca := testpki.NewCA(t, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	p := &testPKI{dir: dir, caFile: ca.WriteCA(t, dir, "ca.pem")}
	p.serverCert = ca.Issue(t, testpki.Leaf{CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: testpki.Loopback})
	p.certFile, p.keyFile = testpki.WritePair(t, dir, "server", p.serverCert)
	return p
}

// clientTLS is the poller's TLS config for a target at 127.0.0.1 that
// trusts the test CA.
func (p *testPKI) clientTLS(t testing.TB) *tls.Config {
	t.Helper()
	c, err := TLSConfig{CAFile: p.caFile}.Build("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

package nrpe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/vigilmon/vigil/internal/nagios"
	"github.com/vigilmon/vigil/internal/nrpe"
	"github.com/vigilmon/vigil/internal/testutil/testpki"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// longOutput is what `seq -s , 1 1000` prints: 3892 bytes, more than a v2
// answer carries.
var longOutput = func() string {
	var b strings.Builder
	for i := 1; i <= 1000; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		b.WriteString(big.NewInt(int64(i)).String())
	}
	return b.String()
}()

// testChecks are the checks the test servers resolve commands to; those
// compared with stock nrpe have a twin command line in stockCommands.
func testChecks() map[string]RunFunc {
	return map[string]RunFunc{
		"ok": func(context.Context, []string) nagios.Result {
			return nagios.Result{State: nagios.OK, Output: "OK: fine"}
		},
		"crit": func(context.Context, []string) nagios.Result {
			return nagios.Result{State: nagios.Critical, Output: "CRITICAL: disk full"}
		},
		"long": func(context.Context, []string) nagios.Result {
			return nagios.Result{State: nagios.OK, Output: longOutput}
		},
		// slow runs until its context ends (command timeout or Stop), as
		// the check runner does when it kills the plugin.
		"slow": func(ctx context.Context, _ []string) nagios.Result {
			<-ctx.Done()
			return nagios.Result{State: nagios.Unknown, Output: "killed"}
		},
		"echo": func(_ context.Context, args []string) nagios.Result {
			return nagios.Result{State: nagios.OK, Output: "OK: args " + strings.Join(args, " ")}
		},
		"perf": func(context.Context, []string) nagios.Result {
			return nagios.Result{State: nagios.Warning, Output: "WARNING: a|b", LongOutput: "line 2",
				Perf: []nagios.Perf{{Label: "load1", Value: 1.5}}}
		},
		"panic": func(context.Context, []string) nagios.Result { panic("boom") },
	}
}

// stockCommands are testChecks as nrpe.cfg command lines.
var stockCommands = map[string]string{
	"ok":   "/usr/lib/nagios/plugins/check_dummy 0 fine",
	"crit": "/usr/lib/nagios/plugins/check_dummy 2 'disk full'",
	"long": "/usr/bin/seq -s , 1 1000",
	"slow": "/bin/sleep 30",
}

// baseConfig is a plaintext loopback server with one command per test check.
func baseConfig() Config {
	cfg := defaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Plaintext = true
	cfg.CommandTimeout = time.Second
	cfg.Commands = map[string]CommandConfig{}
	for name := range testChecks() {
		cfg.Commands[name] = CommandConfig{Check: name}
	}
	return cfg
}

// testServer is a running Server with its metrics and log.
type testServer struct {
	*Server
	reg *prometheus.Registry
	log *syncBuffer
}

// start runs a server for cfg with testChecks until the test ends.
func start(t testing.TB, cfg Config) *testServer {
	t.Helper()
	return startChecks(t, cfg, testChecks())
}

func startChecks(t testing.TB, cfg Config, checks map[string]RunFunc) *testServer {
	t.Helper()
	ts := &testServer{reg: prometheus.NewRegistry(), log: &syncBuffer{}}
	s, err := New(cfg, Options{
		Checks:     func(name string) (RunFunc, bool) { f, ok := checks[name]; return f, ok },
		Logger:     slog.New(slog.NewTextHandler(ts.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: ts.reg,
		Version:    "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = s
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background()) }()
	t.Cleanup(func() {
		s.Stop()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", ts.log.String())
		}
	})
	return ts
}

func (ts *testServer) addr() string { return ts.Addr().String() }

// refusals is vigil_agent_nrpe_refusals_total{reason}.
func (ts *testServer) refusals(reason string) float64 {
	return testutil.ToFloat64(ts.m.refusals.WithLabelValues(reason))
}

func (ts *testServer) requests(result string) float64 {
	return testutil.ToFloat64(ts.m.requests.WithLabelValues(result))
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// ask sends one query of version v to addr (over TLS when conf is not nil)
// and decodes the answer.
func ask(addr string, conf *tls.Config, v int, query string) (nrpe.Packet, error) {
	b, err := nrpe.Encode(nrpe.Packet{Version: v, Type: nrpe.QueryPacket, Buffer: []byte(query)})
	if err != nil {
		return nrpe.Packet{}, err
	}
	return exchange(addr, conf, b)
}

// exchange writes raw bytes and decodes the answer.
func exchange(addr string, conf *tls.Config, b []byte) (nrpe.Packet, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	var c net.Conn
	var err error
	if conf != nil {
		c, err = tls.DialWithDialer(d, "tcp", addr, conf)
	} else {
		c, err = d.Dial("tcp", addr)
	}
	if err != nil {
		return nrpe.Packet{}, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(b); err != nil {
		return nrpe.Packet{}, err
	}
	p, err := nrpe.Decode(c, 0)
	if err != nil {
		return nrpe.Packet{}, err
	}
	return p, p.Expect(nrpe.ResponsePacket)
}

// pki is a CA, a server certificate for 127.0.0.1 and a client certificate,
// as PEM files in a directory the nagios user (stock nrpe) can read.
type pki struct {
	dir                                              string
	caFile, certFile, keyFile, clientCert, clientKey string
	pool                                             *x509.CertPool
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	dir, err := os.MkdirTemp("", "vigil-nrpe-tls")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ca := testpki.NewCA(t, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	p := &pki{dir: dir, pool: ca.Pool, caFile: ca.WriteCA(t, dir, "ca.pem")}
	p.certFile, p.keyFile = testpki.WritePair(t, dir, "server", ca.Issue(t, testpki.Leaf{CommonName: "127.0.0.1", IPs: testpki.Loopback}))
	p.clientCert, p.clientKey = testpki.WritePair(t, dir, "client", ca.Issue(t, testpki.Leaf{CommonName: "nagios", Client: true}))
	return p
}

// tlsConfig is a Go client that trusts the test CA.
func (p *pki) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: p.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// withTLS turns cfg into a TLS server with p's certificate.
func (p *pki) withTLS(cfg Config) Config {
	cfg.Plaintext = false
	cfg.TLS = TLSConfig{CertFile: p.certFile, KeyFile: p.keyFile}
	return cfg
}

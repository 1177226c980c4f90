package nrpe

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/internal/nagios"
	"github.com/vigilmon/vigil/internal/nrpe"
)

func TestAnswersInTheQueryVersion(t *testing.T) {
	p := newPKI(t)
	plain := start(t, baseConfig())
	secure := start(t, p.withTLS(baseConfig()))
	for _, tc := range []struct {
		name string
		ts   *testServer
		tls  bool
	}{{"plaintext", plain, false}, {"tls", secure, true}} {
		for _, v := range []int{nrpe.Version2, nrpe.Version3, nrpe.Version4} {
			conf := p.tlsConfig()
			if !tc.tls {
				conf = nil
			}
			got, err := ask(tc.ts.addr(), conf, v, "long")
			if err != nil {
				t.Fatalf("%s v%d: %v", tc.name, v, err)
			}
			want := longOutput[:min(len(longOutput), nrpe.MaxText(v))]
			if got.Version != v || got.ResultCode != 0 || string(got.Buffer) != want {
				t.Errorf("%s v%d: answer v%d code %d %d bytes, want v%d code 0 %d bytes", tc.name, v, got.Version, got.ResultCode, len(got.Buffer), v, len(want))
			}
		}
	}
	if got := plain.requests("ok"); got != 3 {
		t.Errorf("requests{ok} = %v, want 3", got)
	}
}

// send writes raw bytes, half-closes and returns whatever comes back until
// the server closes.
func send(t *testing.T, addr string, b []byte) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	// The server may hang up before it has read everything; the write
	// error is then part of the behaviour under test, not a failure.
	_, _ = c.Write(b)
	_ = c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		t.Fatalf("read answer: %v", err)
	}
	return got
}

func isReset(err error) bool { return strings.Contains(err.Error(), "connection reset") }

func query(t *testing.T, v int, q string) []byte {
	t.Helper()
	b, err := nrpe.Encode(nrpe.Packet{Version: v, Type: nrpe.QueryPacket, Buffer: []byte(q)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recrc sets the CRC of a v4 packet whose header was edited.
func recrc(b []byte) []byte {
	binary.BigEndian.PutUint32(b[nrpe.OffCRC:], 0)
	binary.BigEndian.PutUint32(b[nrpe.OffCRC:], crc32.ChecksumIEEE(b))
	return b
}

func TestBadPacketsAreDroppedAndCounted(t *testing.T) {
	ts := start(t, baseConfig())
	badCRC := query(t, nrpe.Version4, "ok")
	badCRC[nrpe.OffCRC] ^= 1
	v1 := query(t, nrpe.Version2, "ok")
	binary.BigEndian.PutUint16(v1[nrpe.OffVersion:], 1)
	response, _ := nrpe.Encode(nrpe.Packet{Version: nrpe.Version4, Type: nrpe.ResponsePacket, Buffer: []byte("ok")})
	huge := query(t, nrpe.Version4, "ok")
	binary.BigEndian.PutUint32(huge[nrpe.OffBufferLength:], 70000)
	negative := query(t, nrpe.Version4, "ok")
	binary.BigEndian.PutUint32(negative[nrpe.OffBufferLength:], 0xffffffff)
	for _, tc := range []struct {
		name   string
		packet []byte
		reason string
	}{
		{"bad crc", badCRC, reasonBadCRC},
		{"version 1", v1, reasonBadVersion},
		{"response packet", response, reasonBadType},
		{"buffer too large", recrc(huge[:nrpe.V3HeaderLen]), reasonTooLarge},
		{"negative buffer", recrc(negative[:nrpe.V3HeaderLen]), reasonBadLength},
		{"truncated", query(t, nrpe.Version2, "ok")[:500], reasonShortRead},
		{"nothing", nil, reasonShortRead},
		{"empty query", query(t, nrpe.Version4, ""), reasonEmptyQuery},
		{"tls hello to plaintext", []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), reasonBadVersion},
	} {
		before := ts.refusals(tc.reason)
		if got := send(t, ts.addr(), tc.packet); len(got) != 0 {
			t.Errorf("%s: server answered %d bytes, want none", tc.name, len(got))
		}
		// The count is taken before the server closes, and send has seen
		// the close.
		if got := ts.refusals(tc.reason) - before; got != 1 {
			t.Errorf("%s: refusals{%s} went up by %v, want 1", tc.name, tc.reason, got)
		}
		if !strings.Contains(ts.log.String(), "reason="+tc.reason) {
			t.Errorf("%s: no log line with reason=%s", tc.name, tc.reason)
		}
	}
	if p, err := ask(ts.addr(), nil, nrpe.Version4, "ok"); err != nil || string(p.Buffer) != "OK: fine" {
		t.Errorf("after the garbage: %q, %v", p.Buffer, err)
	}
}

// TestGarbage throws random bytes and mutated queries at the server: it must
// neither answer nonsense nor stop answering.
func TestGarbage(t *testing.T) {
	ts := start(t, baseConfig())
	rng := rand.New(rand.NewPCG(1, 2))
	valid := [][]byte{query(t, nrpe.Version2, "ok"), query(t, nrpe.Version3, "crit"), query(t, nrpe.Version4, "long")}
	for i := range 300 {
		var b []byte
		if i%2 == 0 {
			b = make([]byte, rng.IntN(2100))
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
		} else {
			b = append([]byte(nil), valid[rng.IntN(len(valid))]...)
			for range 1 + rng.IntN(4) {
				b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
			}
		}
		if got := send(t, ts.addr(), b); len(got) != 0 {
			if _, err := nrpe.DecodeBytes(got); err != nil {
				t.Fatalf("input %d: the server answered %d bytes that do not decode: %v", i, len(got), err)
			}
		}
	}
	if p, err := ask(ts.addr(), nil, nrpe.Version2, "ok"); err != nil || string(p.Buffer) != "OK: fine" {
		t.Errorf("after the garbage: %q, %v", p.Buffer, err)
	}
}

// FuzzServer checks what a client can send: any answer is one well-formed
// response in the version the client used.
func FuzzServer(f *testing.F) {
	for _, v := range []int{nrpe.Version2, nrpe.Version3, nrpe.Version4} {
		for _, q := range []string{"ok", "nosuch", "_NRPE_CHECK", "ok!x", "a|b", ""} {
			b, _ := nrpe.Encode(nrpe.Packet{Version: v, Type: nrpe.QueryPacket, Buffer: []byte(q)})
			f.Add(b)
		}
	}
	cfg := baseConfig()
	cfg.ConnectionTimeout = 100 * time.Millisecond
	ts := start(f, cfg)
	f.Fuzz(func(t *testing.T, b []byte) {
		got := send(t, ts.addr(), b)
		if len(got) == 0 {
			return
		}
		p, err := nrpe.DecodeBytes(got)
		if err != nil {
			t.Fatalf("answer does not decode: %v", err)
		}
		if err := p.Expect(nrpe.ResponsePacket); err != nil {
			t.Fatal(err)
		}
		if want := int(binary.BigEndian.Uint16(b)); p.Version != want {
			t.Fatalf("answered v%d to a v%d query", p.Version, want)
		}
	})
}

func TestConnectionTimeout(t *testing.T) {
	cfg := baseConfig()
	cfg.ConnectionTimeout = 100 * time.Millisecond
	ts := start(t, cfg)
	c, err := net.Dial("tcp", ts.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = c.Write([]byte{0, 2, 0, 1}) // a header begun, never finished
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("read: %d bytes, %v; want the server to hang up", n, err)
	}
	if got := ts.refusals(reasonReadTimeout); got != 1 {
		t.Errorf("refusals{read_timeout} = %v, want 1", got)
	}
}

// blocking is a check that reports when it starts and runs until its
// context ends.
func blocking(started chan<- struct{}) RunFunc {
	return func(ctx context.Context, _ []string) nagios.Result {
		started <- struct{}{}
		<-ctx.Done()
		return nagios.Result{State: nagios.Unknown, Output: "stopped"}
	}
}

func TestMaxConnections(t *testing.T) {
	cfg := baseConfig()
	cfg.MaxConnections = 1
	cfg.CommandTimeout = time.Minute
	cfg.Commands = map[string]CommandConfig{"block": {Check: "block"}}
	started := make(chan struct{}, 1)
	ts := startChecks(t, cfg, map[string]RunFunc{"block": blocking(started)})

	first := make(chan error, 1)
	go func() { _, err := ask(ts.addr(), nil, nrpe.Version4, "block"); first <- err }()
	<-started
	if _, err := ask(ts.addr(), nil, nrpe.Version4, "block"); err == nil {
		t.Error("second connection answered, want it closed")
	}
	if got := ts.refusals(reasonTooMany); got != 1 {
		t.Errorf("refusals{too_many_connections} = %v, want 1", got)
	}
	// Stop cancels the running command and aborts its connection.
	ts.Stop()
	if err := <-first; err == nil {
		t.Error("first connection answered after Stop, want it aborted")
	}
	ts.Stop() // idempotent
}

func TestStopBeforeServe(t *testing.T) {
	cfg := baseConfig()
	s, err := New(cfg, Options{Checks: func(name string) (RunFunc, bool) { f, ok := testChecks()[name]; return f, ok }})
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()
	s.Stop()
	if err := s.Serve(context.Background()); err != nil {
		t.Errorf("Serve after Stop: %v", err)
	}
}

func TestServeEndsWithContext(t *testing.T) {
	s, err := New(baseConfig(), Options{Checks: func(name string) (RunFunc, bool) { f, ok := testChecks()[name]; return f, ok }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	if _, err := ask(s.Addr().String(), nil, nrpe.Version4, "ok"); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	s.Stop()
}

func TestNew(t *testing.T) {
	checks := func(name string) (RunFunc, bool) { f, ok := testChecks()[name]; return f, ok }
	t.Run("unknown check", func(t *testing.T) {
		cfg := baseConfig()
		cfg.Commands["check_disk"] = CommandConfig{Check: "disk_root"}
		if _, err := New(cfg, Options{Checks: checks}); err == nil || !strings.Contains(err.Error(), `no check named "disk_root"`) {
			t.Errorf("New: %v, want no check named disk_root", err)
		}
	})
	t.Run("invalid config", func(t *testing.T) {
		cfg := baseConfig()
		cfg.Plaintext = false
		if _, err := New(cfg, Options{Checks: checks}); err == nil || !strings.Contains(err.Error(), "tls: a certificate is required") {
			t.Errorf("New: %v, want the certificate error", err)
		}
	})
	t.Run("missing certificate", func(t *testing.T) {
		cfg := baseConfig()
		cfg.Plaintext, cfg.TLS = false, TLSConfig{CertFile: "/nonexistent/cert.pem", KeyFile: "/nonexistent/key.pem"}
		if _, err := New(cfg, Options{Checks: checks}); err == nil || !strings.Contains(err.Error(), "load nrpe certificate") {
			t.Errorf("New: %v, want load nrpe certificate", err)
		}
	})
	t.Run("metrics survive a new server", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		for range 2 {
			s, err := New(baseConfig(), Options{Checks: checks, Registerer: reg})
			if err != nil {
				t.Fatal(err)
			}
			s.Stop()
		}
	})
}

// Arguments may carry credentials: refusals log the reason, never the value.
func TestArgumentsNeverLogged(t *testing.T) {
	cfg := baseConfig()
	cfg.AllowArguments = true
	cfg.Commands["db"] = CommandConfig{Check: "echo", Params: []ParamConfig{
		{Name: "user", Type: TypeString, Pattern: "[a-z]+"}, {Name: "password", Type: TypeString, Pattern: "[a-z]+"},
	}}
	ts := start(t, cfg)
	for _, q := range []string{"db!admin!Hunter2", "db!admin!hunter", "db!admin"} {
		if _, err := ask(ts.addr(), nil, nrpe.Version4, q); err != nil {
			t.Fatal(err)
		}
	}
	if log := ts.log.String(); strings.Contains(strings.ToLower(log), "hunter") {
		t.Errorf("an argument value reached the log:\n%s", log)
	}
}

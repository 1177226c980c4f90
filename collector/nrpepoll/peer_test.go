package nrpepoll

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/nagios"
	"github.com/vigilmon/vigil/internal/nrpe"
	"github.com/vigilmon/vigil/internal/testutil/peers"
)

// peerCommands are the command[...] lines of the real daemons. nrpe runs
// each with /bin/sh -c.
var peerCommands = map[string]string{
	"ok":      peers.PluginDir + `/check_dummy 0 "all good"`,
	"warn":    peers.PluginDir + `/check_dummy 1 "load high"`,
	"crit":    peers.PluginDir + `/check_dummy 2 "disk full"`,
	"unknown": peers.PluginDir + `/check_dummy 3 "no idea"`,
	"load":    peers.PluginDir + `/check_load -w 1000,1000,1000 -c 2000,2000,2000`,
	"perf":    `echo "DISK WARNING - /var 91% | '/var used'=9100MB;8000;9000;0;10000 time=5ms"; echo "second line"; exit 1`,
	"long":    `/usr/bin/seq -s , 1 1000`,
}

type peerCase struct {
	command string
	args    []string
	state   nagios.State
	output  string // prefix
	perf    []string
}

var peerCases = []peerCase{
	{"ok", nil, nagios.OK, "OK: all good", nil},
	{"warn", nil, nagios.Warning, "WARNING: load high", nil},
	{"crit", nil, nagios.Critical, "CRITICAL: disk full", nil},
	{"unknown", nil, nagios.Unknown, "UNKNOWN: no idea", nil},
	{"load", nil, nagios.OK, "LOAD OK - total load average:", []string{"load1", "load5", "load15"}},
	{"perf", nil, nagios.Warning, "DISK WARNING - /var 91%", []string{"/var used", "time"}},
	{"nosuch", nil, nagios.Unknown, "NRPE: Command 'nosuch' not defined", nil},
	// v4 carries more than v2's 1023 bytes.
	{"long", nil, nagios.OK, "1,2,3,", nil},
}

func TestRealNRPEPlaintext(t *testing.T) {
	d := peers.NRPE(t, peers.NRPEOptions{Plain: true, Commands: peerCommands})
	runPeerCases(t, NewClient(d.Addr, nil, 10*time.Second, nil))
}

// TestRealNRPETLS: Debian's nrpe with a certificate offers certificate
// suites (TLS 1.3), which Go's crypto/tls handshakes with and verifies.
func TestRealNRPETLS(t *testing.T) {
	pki := newPKI(t)
	d := peers.NRPE(t, peers.NRPEOptions{CertFile: pki.certFile, KeyFile: pki.keyFile, Commands: peerCommands})
	runPeerCases(t, NewClient(d.Addr, pki.clientTLS(t), 10*time.Second, nil))

	t.Run("negotiated", func(t *testing.T) {
		conn, err := tls.Dial("tcp", d.Addr, pki.clientTLS(t))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		st := conn.ConnectionState()
		t.Logf("nrpe negotiated %s %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	})
	t.Run("plaintext client", func(t *testing.T) {
		// The daemon waits for a TLS ClientHello and drops a bare packet.
		_, err := NewClient(d.Addr, nil, 2*time.Second, nil).Query(t.Context(), "ok")
		if err == nil {
			t.Fatal("plaintext query to a TLS daemon succeeded")
		}
		res, reason := failure(err)
		t.Logf("plaintext client against TLS nrpe: %s: %s", reason, res.Output)
		if res.State != nagios.Unknown {
			t.Errorf("state %v, want UNKNOWN", res.State)
		}
	})
}

func runPeerCases(t *testing.T, c *Client) {
	t.Helper()
	for _, pc := range peerCases {
		t.Run(pc.command, func(t *testing.T) {
			resp, err := c.Query(t.Context(), pc.command, pc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Version != nrpe.Version4 || resp.State != pc.state || !strings.HasPrefix(resp.Output, pc.output) || resp.PerfErr != nil {
				t.Errorf("got v%d %v %q (perf error %v), want v4 %v %q...", resp.Version, resp.State, resp.Output, resp.PerfErr, pc.state, pc.output)
			}
			var labels []string
			for _, p := range resp.Perf {
				labels = append(labels, p.Label)
			}
			if strings.Join(labels, ",") != strings.Join(pc.perf, ",") {
				t.Errorf("perf labels %q, want %q", labels, pc.perf)
			}
		})
	}
	t.Run("long output", func(t *testing.T) {
		resp, err := c.Query(t.Context(), "long")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(resp.Output, ",999,1000") {
			t.Errorf("output of %d bytes ends %q, want all of seq 1 1000", len(resp.Output), resp.Output[max(0, len(resp.Output)-20):])
		}
	})
	t.Run("perfdata units and long output", func(t *testing.T) {
		resp, err := c.Query(t.Context(), "perf")
		if err != nil {
			t.Fatal(err)
		}
		if resp.LongOutput != "second line" || resp.Perf[0].Value != 9100<<20 || resp.Perf[0].Unit != "B" || resp.Perf[1].Value != 0.005 {
			t.Errorf("got %+v", resp)
		}
	})
	t.Run("arguments refused", func(t *testing.T) {
		// dont_blame_nrpe=0: nrpe drops a query with '!' in v4 and in v2.
		_, err := c.Query(t.Context(), "ok", "x")
		if res, reason := failure(err); reason != resultNoAnswer || res.State != nagios.Unknown {
			t.Errorf("got %v: %s %+v, want no_answer UNKNOWN", err, reason, res)
		}
		if c.Version() != nrpe.Version4 {
			t.Errorf("a query refused in both versions changed the version to %d", c.Version())
		}
	})
}

// TestPollerRealNRPE runs the poller against the real daemon and checks the
// batch that reaches the sink.
func TestPollerRealNRPE(t *testing.T) {
	d := peers.NRPE(t, peers.NRPEOptions{Plain: true, Commands: peerCommands})
	got := make(chan *model.Batch, 1)
	targets := Targets{{Host: "web01", Address: d.Addr, Plaintext: true, Timeout: 10 * time.Second,
		Interval: time.Second, RetryInterval: time.Second, MaxAttempts: 2,
		Commands: []Command{{Name: "disk", Command: "crit"}, {Name: "perf", Command: "perf"}, {Name: "missing", Command: "nosuch"}}}}
	p, err := New(targets, Options{Version: "test", Sink: func(_ context.Context, b *model.Batch) error {
		select {
		case got <- b:
		default:
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- p.Run(t.Context()) }()
	defer func() { p.Stop(); <-done }()

	var b *model.Batch
	select {
	case b = <-got:
	case <-time.After(30 * time.Second): // a failsafe, not a synchronisation
		t.Fatal("no batch from the poller within 30s")
	}
	want := []struct {
		name, output string
		state        int
	}{
		{"disk", "CRITICAL: disk full", model.StateCritical},
		{"perf", "DISK WARNING - /var 91%", model.StateWarning},
		{"missing", "NRPE: Command 'nosuch' not defined", model.StateUnknown},
	}
	if len(b.Checks) != len(want) {
		t.Fatalf("checks %+v", b.Checks)
	}
	for i, w := range want {
		cr := b.Checks[i]
		if cr.Name != w.name || cr.Output != w.output || cr.State != w.state || cr.StateType != model.StateTypeSoft || cr.Attempt != 1 || cr.DurationUS <= 0 {
			t.Errorf("check %d: %+v", i, cr)
		}
	}
	if len(b.Events) != 1 || b.Events[0].Values["vigil.check.perfdata._var_used"] != 9100<<20 || b.Events[0].Dims["vigil.check.name"] != "perf" {
		t.Errorf("events %+v", b.Events)
	}
}

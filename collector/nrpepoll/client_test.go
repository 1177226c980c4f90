package nrpepoll

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
	"github.com/vigilmon/vigil/internal/nrpe"
)

func TestQueryV4(t *testing.T) {
	d := startFake(t, nil, answerOK)
	c := NewClient(d.addr(), nil, 5*time.Second, nil)
	resp, err := c.Query(t.Context(), "check_disk", "20%", "10%")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Version != nrpe.Version4 || resp.State != nagios.OK || resp.Output != "OK: check_disk!20%!10%" || len(resp.Perf) != 2 || resp.PerfErr != nil {
		t.Errorf("got %+v", resp)
	}
	if got := d.seen(); !slices.Equal(got, []int{4}) {
		t.Errorf("daemon saw versions %v, want [4]", got)
	}
}

func TestQueryFallsBackToV2(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := startFake(t, nil, v2Only)
	c := NewClient(d.addr(), nil, 5*time.Second, func() time.Time { return now })
	query := func() {
		t.Helper()
		resp, err := c.Query(t.Context(), "ok")
		if err != nil {
			t.Fatal(err)
		}
		if resp.Version != nrpe.Version2 || resp.State != nagios.OK || resp.Output != "OK: ok" {
			t.Fatalf("got %+v", resp)
		}
	}
	query()
	if c.Version() != nrpe.Version2 {
		t.Errorf("after the fallback Version() = %d, want 2", c.Version())
	}
	query() // remembered: v2 at once
	now = now.Add(reprobeAfter)
	query() // an hour later v4 is tried again, and refused again
	query()
	if got, want := d.seen(), []int{4, 2, 2, 4, 2, 2}; !slices.Equal(got, want) {
		t.Errorf("daemon saw versions %v, want %v", got, want)
	}
}

// TestQueryNSClientVersionError: NSClient++ answers a query version it does
// not know with a v2 packet saying so; check_nrpe then asks in v2.
func TestQueryNSClientVersionError(t *testing.T) {
	d := startFake(t, nil, func(q nrpe.Packet) (nrpe.Packet, bool) {
		if q.Version != nrpe.Version2 {
			return nrpe.Packet{Version: nrpe.Version2, Type: nrpe.ResponsePacket, ResultCode: nrpe.StateUnknown, Buffer: []byte("Invalid packet version.4")}, true
		}
		return answerOK(q)
	})
	resp, err := NewClient(d.addr(), nil, 5*time.Second, nil).Query(t.Context(), "x")
	if err != nil || resp.Version != nrpe.Version2 || resp.State != nagios.OK {
		t.Fatalf("got %+v, %v", resp, err)
	}
}

func TestQueryTLS(t *testing.T) {
	pki := newPKI(t)
	d := startFake(t, &tls.Config{Certificates: []tls.Certificate{pki.serverCert}, MinVersion: tls.VersionTLS12}, answerOK)
	resp, err := NewClient(d.addr(), pki.clientTLS(t), 5*time.Second, nil).Query(t.Context(), "ok")
	if err != nil || resp.State != nagios.OK {
		t.Fatalf("got %+v, %v", resp, err)
	}
	// Without the CA the certificate is not trusted: a TLS connect failure.
	untrusted, err := TLSConfig{}.Build("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewClient(d.addr(), untrusted, 5*time.Second, nil).Query(t.Context(), "ok")
	var ce *ConnectError
	if !errors.As(err, &ce) || !ce.TLS {
		t.Fatalf("untrusted certificate: got %v, want a TLS ConnectError", err)
	}
	if res, reason := failure(err); res.State != nagios.Unknown || reason != resultTLS {
		t.Errorf("failure(%v) = %+v, %s", err, res, reason)
	}
}

// TestQueryFailures covers what becomes of a query without an answer.
func TestQueryFailures(t *testing.T) {
	refused := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	// A listener that never accepts: the kernel completes the handshake
	// and the query sits in the backlog, unanswered.
	silent := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		return ln.Addr().String()
	}
	hangsUp := func(t *testing.T) string {
		return startFake(t, nil, func(nrpe.Packet) (nrpe.Packet, bool) { return nrpe.Packet{}, false }).addr()
	}
	for _, tc := range []struct {
		name   string
		addr   func(*testing.T) string
		state  nagios.State
		reason string
		output string
	}{
		{"connection refused", refused, nagios.Critical, resultRefused, "NRPE: connection refused by 127.0.0.1:"},
		{"timeout", silent, nagios.Unknown, resultTimeout, "NRPE: no answer within the timeout"},
		{"hang up in v4 and v2", hangsUp, nagios.Unknown, resultNoAnswer, "NRPE: the daemon refused the query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewClient(tc.addr(t), nil, 300*time.Millisecond, nil).Query(t.Context(), "ok")
			if err == nil {
				t.Fatal("query succeeded")
			}
			res, reason := failure(err)
			if res.State != tc.state || reason != tc.reason || !strings.HasPrefix(res.Output, tc.output) {
				t.Errorf("failure(%v) = %v %q (%s), want %v %q... (%s)", err, res.State, res.Output, reason, tc.state, tc.output, tc.reason)
			}
		})
	}
}

func TestQueryCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		_, err := NewClient(ln.Addr().String(), nil, time.Hour, nil).Query(ctx, "ok")
		done <- err
	}()
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled query succeeded")
	}
}

func TestQueryRefusesBadArguments(t *testing.T) {
	_, err := NewClient("127.0.0.1:1", nil, time.Second, nil).Query(t.Context(), "check", "")
	if !errors.Is(err, nrpe.ErrQuery) {
		t.Fatalf("empty argument: got %v, want nrpe.ErrQuery", err)
	}
}

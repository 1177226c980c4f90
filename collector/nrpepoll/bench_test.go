package nrpepoll

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/testutil/peers"
)

// BenchmarkQuery measures whole queries (connect, exchange, parse) against
// Debian's nrpe running check_dummy 0, and against the in-process fake
// daemon, which shows the client's own cost. Each reports req/s.
func BenchmarkQuery(b *testing.B) {
	pki := newPKI(b)
	cmds := map[string]string{"ok": peers.PluginDir + `/check_dummy 0 "all good"`}
	bench := func(b *testing.B, c *Client) {
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			if _, err := c.Query(b.Context(), "ok"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	}
	b.Run("nrpe/plaintext", func(b *testing.B) {
		d := peers.NRPE(b, peers.NRPEOptions{Plain: true, Commands: cmds})
		bench(b, NewClient(d.Addr, nil, 10*time.Second, nil))
	})
	b.Run("nrpe/tls", func(b *testing.B) {
		d := peers.NRPE(b, peers.NRPEOptions{CertFile: pki.certFile, KeyFile: pki.keyFile, Commands: cmds})
		bench(b, NewClient(d.Addr, pki.clientTLS(b), 10*time.Second, nil))
	})
	b.Run("fake/plaintext", func(b *testing.B) {
		bench(b, NewClient(startFake(b, nil, answerOK).addr(), nil, 10*time.Second, nil))
	})
	b.Run("fake/tls", func(b *testing.B) {
		d := startFake(b, &tls.Config{Certificates: []tls.Certificate{pki.serverCert}, MinVersion: tls.VersionTLS12}, answerOK)
		bench(b, NewClient(d.addr(), pki.clientTLS(b), 10*time.Second, nil))
	})
}

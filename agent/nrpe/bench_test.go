package nrpe

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/nrpe"
	"github.com/vigilmon/vigil/internal/testutil/peers"
)

// Requests per second, one connection per request as NRPE does, from
// GOMAXPROCS parallel Go clients over loopback. BenchmarkServer measures
// ours with an in-memory command; BenchmarkStockNRPE the same load against
// Debian's nrpe running check_dummy (make bench prints them side by side:
// go test -run xxx -bench . ./agent/nrpe/).

func BenchmarkServer(b *testing.B) {
	p := newPKI(b)
	cfg := baseConfig()
	cfg.MaxConnections = 256
	plain := start(b, cfg)
	secure := start(b, p.withTLS(cfg))
	b.Run("v4-plaintext", func(b *testing.B) { load(b, plain.addr(), nil, nrpe.Version4, "ok") })
	b.Run("v2-plaintext", func(b *testing.B) { load(b, plain.addr(), nil, nrpe.Version2, "ok") })
	b.Run("v4-tls", func(b *testing.B) { load(b, secure.addr(), p.tlsConfig(), nrpe.Version4, "ok") })
}

func BenchmarkStockNRPE(b *testing.B) {
	p := newPKI(b)
	plain := peers.NRPE(b, peers.NRPEOptions{Plain: true, Commands: stockCommands})
	secure := peers.NRPE(b, peers.NRPEOptions{CertFile: p.certFile, KeyFile: p.keyFile, Commands: stockCommands})
	b.Run("v4-plaintext", func(b *testing.B) { load(b, plain.Addr, nil, nrpe.Version4, "ok") })
	b.Run("v2-plaintext", func(b *testing.B) { load(b, plain.Addr, nil, nrpe.Version2, "ok") })
	b.Run("v4-tls", func(b *testing.B) { load(b, secure.Addr, p.tlsConfig(), nrpe.Version4, "ok") })
}

// load sends the query b.N times from parallel clients and reports req/s.
func load(b *testing.B, addr string, conf *tls.Config, v int, q string) {
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p, err := ask(addr, conf, v, q)
			if err != nil {
				b.Error(err)
				return
			}
			if p.ResultCode != nrpe.StateOK {
				b.Errorf("answer %d %q", p.ResultCode, p.Buffer)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

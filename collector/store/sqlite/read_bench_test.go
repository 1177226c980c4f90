package sqlite

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/store"
)

var readHosts = flag.Int("read-hosts", 20, "hosts in the BenchmarkRead database (each 1 day of 153 series at 10 s)")

// BenchmarkRead measures the API reads on a database of -read-hosts hosts
// with one day of history at a 10 s interval (20 hosts: 26M samples). The
// database is built once for all sub-benchmarks; building it dominates the
// run time.
func BenchmarkRead(b *testing.B) {
	dir, err := os.MkdirTemp("", "vigil-read-bench")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s := openAt(b, filepath.Join(dir, "read.db"), Options{})
	ctx := context.Background()
	// One round at t0 through the write path creates the series (and their
	// last block); prefill adds the day before it.
	f := newFleet(*readHosts, *readHosts)
	bs, _ := f.batches()
	if _, err := s.WriteBatches(ctx, bs, t0); err != nil {
		b.Fatal(err)
	}
	prefill(b, s, 8640)
	host := f.hosts[*readHosts/2].batch.Host.Name

	day, hour := store.SeriesQuery{Host: host, From: t0.Add(-24 * time.Hour), To: t0}, store.SeriesQuery{Host: host, From: t0.Add(-time.Hour), To: t0}
	tests := []struct {
		name  string
		query store.SeriesQuery
		field string
		limit int
	}{
		{name: "cpu/1h", query: hour, field: "system.cpu.total.norm.pct"},
		{name: "cpu/24h", query: day, field: "system.cpu.total.norm.pct"},
		{name: "cpu/24h/limit=100", query: day, field: "system.cpu.total.norm.pct", limit: 100},
		{name: "cpu/all", query: store.SeriesQuery{Host: host}, field: "system.cpu.total.norm.pct"},
		{name: "filesystem/1h", query: hour, field: "system.filesystem.used.pct"},
		{name: "filesystem/24h", query: day, field: "system.filesystem.used.pct"},
	}
	b.Run("Hosts", func(b *testing.B) {
		for b.Loop() {
			if hs, err := s.Hosts(ctx); err != nil || len(hs) != *readHosts {
				b.Fatalf("Hosts = %d, %v", len(hs), err)
			}
		}
	})
	b.Run("Host", func(b *testing.B) {
		for b.Loop() {
			if d, err := s.Host(ctx, host); err != nil || len(d.Metrics) != 153 {
				b.Fatalf("Host = %d metrics, %v", len(d.Metrics), err)
			}
		}
	})
	for _, tt := range tests {
		b.Run("Series/"+tt.name, func(b *testing.B) {
			q := tt.query
			q.Field, q.Limit = tt.field, tt.limit
			points := 0
			for b.Loop() {
				got, err := s.Series(ctx, q)
				if err != nil || len(got) == 0 {
					b.Fatalf("Series = %d, %v", len(got), err)
				}
				points = 0
				for _, g := range got {
					points += len(g.Points)
				}
			}
			b.ReportMetric(float64(points), "points")
		})
	}
}

package checkrun

import (
	"path/filepath"
	"testing"

	"github.com/vigilmon/vigil/internal/nagios"
	"github.com/vigilmon/vigil/internal/testutil/peers"
)

func benchPlugin(b *testing.B, c CheckConfig) {
	p := newPlugin(b, c)
	for b.Loop() {
		if o := p.Run(b.Context(), nil); o.Result.State != nagios.OK {
			b.Fatalf("outcome = %+v", o)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}

// A real plugin, start to parsed result.
func BenchmarkRunPlugin(b *testing.B) {
	benchPlugin(b, CheckConfig{Name: "dummy", Command: []string{filepath.Join(peers.Plugins(b), "check_dummy"), "0", "fine"}})
}

// The floor: the smallest programs, so the runner's own cost shows.
func BenchmarkRunFakePlugin(b *testing.B) {
	b.Run("sh-exit-0", func(b *testing.B) {
		benchPlugin(b, CheckConfig{Name: "sh", Command: []string{"/bin/sh", "-c", "echo OK"}})
	})
	b.Run("test-binary", func(b *testing.B) {
		benchPlugin(b, fake(b, "print", "0", "OK"))
	})
}

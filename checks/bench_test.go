package checks

import (
	"testing"

	"github.com/vigilmon/vigil/internal/nagios"
)

// The benchmarks run on the real host: what one scheduled run of a
// built-in check costs the agent, against ~0.9 ms to fork and exec a C
// plugin.

func benchmarkCheck(b *testing.B, argv ...string) {
	c, err := New(argv)
	if err != nil {
		b.Fatal(err)
	}
	if r := c.Run(b.Context()); r.State == nagios.Unknown {
		b.Fatalf("%s", r.Output)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Run(b.Context())
	}
}

func BenchmarkDisk(b *testing.B)    { benchmarkCheck(b, "disk", "-w", "10%", "-c", "5%", "-p", "/") }
func BenchmarkDiskAll(b *testing.B) { benchmarkCheck(b, "disk", "-w", "10%", "-c", "5%") }
func BenchmarkLoad(b *testing.B)    { benchmarkCheck(b, "load", "-r", "-w", "2,1.5,1", "-c", "4,3,2") }
func BenchmarkMemory(b *testing.B)  { benchmarkCheck(b, "memory", "-w", "80", "-c", "90") }
func BenchmarkProcs(b *testing.B)   { benchmarkCheck(b, "procs", "-C", "bash", "-c", "1:") }
func BenchmarkProcsArgs(b *testing.B) {
	benchmarkCheck(b, "procs", "-a", "vigil", "-c", "0:")
}

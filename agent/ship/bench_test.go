package ship

import (
	"syscall"
	"testing"
	"time"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSpoolCycle is the spool's share of one collection cycle: encode and
// write a ~100-sample batch durably, then record its ack and delete it.
func BenchmarkSpoolCycle(b *testing.B) {
	s, err := OpenSpool(SpoolOptions{Dir: b.TempDir(), MaxBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	c0 := cpuNow()
	for i := 0; i < b.N; i++ {
		if err := s.Append(testBatch(100)); err != nil {
			b.Fatal(err)
		}
		seg, _, _ := s.Oldest()
		if err := s.Ack(seg.Seq); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuNow()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func BenchmarkEncodeBatch(b *testing.B) {
	s, err := OpenSpool(SpoolOptions{Dir: b.TempDir(), MaxBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	batch := testBatch(100)
	b.ReportAllocs()
	c0 := cpuNow()
	for i := 0; i < b.N; i++ {
		if _, err := s.encode(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuNow()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

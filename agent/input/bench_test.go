package input

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shirou/gopsutil/v4/disk"
)

// cpuTime is the process's user+system CPU time: what a cycle really costs the
// host, kernel work on /proc included, which ns/op (wall time) hides.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCycle runs every real input on this machine through a Runner, as
// the agent does each interval. cpu-ns/op is the number to hold under 1 ms.
func BenchmarkCycle(b *testing.B) {
	inputs, err := New(Names(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	r := NewRunner(inputs, 10*time.Second, reg, nil)
	defer r.Stop(context.Background())
	ctx := context.Background()
	r.Run(ctx, time.Now()) // first cycle: baselines for cpu and network
	if evs := r.Run(ctx, time.Now()); len(evs) == 0 {
		b.Fatal("no events")
	}
	for _, in := range inputs {
		if v := successOf(r, in.Name()); v != 1 {
			b.Fatalf("input %s failed on this machine", in.Name())
		}
	}
	b.ReportAllocs()
	n := 0
	start := cpuTime(b)
	for b.Loop() {
		r.Run(ctx, time.Now())
		n++
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(n), "cpu-ns/op")
}

// BenchmarkInput measures each input alone, to find the expensive one.
func BenchmarkInput(b *testing.B) {
	for _, name := range Names() {
		b.Run(name, func(b *testing.B) {
			inputs, err := New([]string{name}, Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer closeAll(inputs)
			in, ctx := inputs[0], context.Background()
			_, _ = in.Collect(ctx, time.Now())
			b.ReportAllocs()
			n := 0
			start := cpuTime(b)
			for b.Loop() {
				if _, err := in.Collect(ctx, time.Now()); err != nil && err != ErrNoData {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(cpuTime(b)-start)/float64(n), "cpu-ns/op")
		})
	}
}

// BenchmarkDiskIO compares gopsutil's disk.IOCounters with our /proc/diskstats
// parser (see the diskio input's comment for why we have one).
func BenchmarkDiskIO(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, f func() error) {
		b.ReportAllocs()
		n := 0
		start := cpuTime(b)
		for b.Loop() {
			if err := f(); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(cpuTime(b)-start)/float64(n), "cpu-ns/op")
	}
	b.Run("gopsutil", func(b *testing.B) {
		run(b, func() error { _, err := disk.IOCountersWithContext(ctx); return err })
	})
	b.Run("diskstats", func(b *testing.B) {
		d, _ := newDiskIO(Options{})
		run(b, func() error { _, err := d.Collect(ctx, time.Now()); return err })
	})
}

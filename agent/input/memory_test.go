package input

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/mem"
)

func TestMemoryValues(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		name string
		vm   mem.VirtualMemoryStat
		want map[string]float64
	}{
		{
			name: "with swap",
			vm: mem.VirtualMemoryStat{Total: 16 * gib, Free: 2 * gib, Available: 12 * gib,
				Cached: 9 * gib, Sreclaimable: 1 * gib, SwapTotal: 4 * gib, SwapFree: 3 * gib},
			want: map[string]float64{
				"system.memory.total":             16 * gib,
				"system.memory.free":              2 * gib,
				"system.memory.used.bytes":        14 * gib,
				"system.memory.used.pct":          0.875,
				"system.memory.actual.free":       12 * gib,
				"system.memory.actual.used.bytes": 4 * gib,
				"system.memory.actual.used.pct":   0.25,
				"system.memory.cached":            8 * gib,
				"system.memory.swap.total":        4 * gib,
				"system.memory.swap.free":         3 * gib,
				"system.memory.swap.used.bytes":   1 * gib,
				"system.memory.swap.used.pct":     0.25,
			},
		},
		{
			name: "without swap",
			vm:   mem.VirtualMemoryStat{Total: 4 * gib, Free: 1 * gib, Available: 2 * gib, Cached: 1 * gib},
			want: map[string]float64{
				"system.memory.used.pct":        0.75,
				"system.memory.actual.used.pct": 0.5,
				"system.memory.cached":          1 * gib,
				"system.memory.swap.total":      0,
				"system.memory.swap.free":       0,
				"system.memory.swap.used.bytes": 0,
				"system.memory.swap.used.pct":   0,
			},
		},
		{
			// Counters read at slightly different moments must not wrap.
			name: "free above total",
			vm:   mem.VirtualMemoryStat{Total: 1 * gib, Free: 2 * gib, Available: 2 * gib, SwapTotal: 1, SwapFree: 2},
			want: map[string]float64{
				"system.memory.used.bytes":        0,
				"system.memory.actual.used.bytes": 0,
				"system.memory.swap.used.pct":     0,
			},
		},
		{name: "all zero", vm: mem.VirtualMemoryStat{}, want: map[string]float64{"system.memory.used.pct": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := memoryValues(&tt.vm)
			if len(got) != 12 {
				t.Errorf("got %d fields, want 12", len(got))
			}
			for k, v := range got {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("%s = %v", k, v)
				}
			}
			for k, w := range tt.want {
				if g, ok := got[k]; !ok || g != w {
					t.Errorf("%s = %v (present %v), want %v", k, g, ok, w)
				}
			}
		})
	}
}

func TestMemoryCollect(t *testing.T) {
	m := &memoryInput{virtual: func(context.Context) (*mem.VirtualMemoryStat, error) {
		return &mem.VirtualMemoryStat{Total: 100, Free: 50, Available: 60}, nil
	}}
	now := time.UnixMilli(42)
	evs, err := m.Collect(context.Background(), now)
	if err != nil || len(evs) != 1 || evs[0].Dataset != "system.memory" || evs[0].Timestamp != 42 {
		t.Fatalf("Collect = %+v, %v", evs, err)
	}
	boom := errors.New("boom")
	m.virtual = func(context.Context) (*mem.VirtualMemoryStat, error) { return nil, boom }
	if _, err := m.Collect(context.Background(), now); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

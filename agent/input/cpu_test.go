package input

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
)

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"0\n", 1, false},
		{"0-3\n", 4, false},
		{"0-3,8,10-11\n", 7, false},
		{"", 0, false},
		{"0-", 0, true},
		{"3-1", 0, true},
		{"a", 0, true},
	}
	for _, tt := range tests {
		got, err := parseCPUList(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseCPUList(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCPUValues(t *testing.T) {
	base := cpu.TimesStat{User: 100, System: 50, Nice: 10, Idle: 1000, Iowait: 20, Irq: 1, Softirq: 2, Steal: 3, Guest: 40}
	tests := []struct {
		name  string
		prev  cpu.TimesStat
		cur   cpu.TimesStat
		cores int
		want  map[string]float64 // subset checked
		ok    bool
	}{
		{
			// 4 CPUs for 10 s = 40 s of CPU time: 10 user, 2 system, 24 idle,
			// 4 iowait. Guest time (already inside user) must not add to the total.
			name:  "busy",
			prev:  base,
			cur:   cpu.TimesStat{User: 110, System: 52, Nice: 10, Idle: 1024, Iowait: 24, Irq: 1, Softirq: 2, Steal: 3, Guest: 45},
			cores: 4,
			want: map[string]float64{
				"system.cpu.cores":           4,
				"system.cpu.user.pct":        1.0,
				"system.cpu.user.norm.pct":   0.25,
				"system.cpu.system.pct":      0.2,
				"system.cpu.system.norm.pct": 0.05,
				"system.cpu.idle.pct":        2.4,
				"system.cpu.idle.norm.pct":   0.6,
				"system.cpu.iowait.norm.pct": 0.1,
				"system.cpu.steal.pct":       0,
				"system.cpu.total.pct":       1.2,
				"system.cpu.total.norm.pct":  0.3,
				"host.cpu.usage":             0.3,
			},
			ok: true,
		},
		{
			name:  "all idle",
			prev:  base,
			cur:   cpu.TimesStat{User: 100, System: 50, Nice: 10, Idle: 1008, Iowait: 20, Irq: 1, Softirq: 2, Steal: 3},
			cores: 8,
			want:  map[string]float64{"system.cpu.total.pct": 0, "system.cpu.idle.pct": 8, "system.cpu.idle.norm.pct": 1},
			ok:    true,
		},
		{name: "no time elapsed", prev: base, cur: base, cores: 2, ok: false},
		{name: "counter reset", prev: base, cur: cpu.TimesStat{User: 1, System: 1, Idle: 5}, cores: 2, ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cpuValues(tt.prev, tt.cur, tt.cores)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if len(got) != 2*8+4 {
				t.Errorf("got %d fields, want %d", len(got), 2*8+4)
			}
			for k, w := range tt.want {
				if g, present := got[k]; !present || math.Abs(g-w) > 1e-9 {
					t.Errorf("%s = %v (present %v), want %v", k, g, present, w)
				}
			}
		})
	}
}

func TestCPUCollect(t *testing.T) {
	samples := []cpu.TimesStat{
		{User: 10, Idle: 90},
		{User: 20, Idle: 170}, // +10 user, +80 idle
		{User: 5, Idle: 30},   // reset (e.g. VM restored)
		{User: 15, Idle: 40},  // +10 user, +10 idle from the new baseline
	}
	i := 0
	c := &cpuInput{
		times: func(context.Context) (cpu.TimesStat, error) { s := samples[i]; i++; return s, nil },
		cores: func() (int, error) { return 2, nil },
	}
	now := time.UnixMilli(1_700_000_000_000)
	wantTotal := []float64{-1, 10.0 / 90, -1, 0.5} // -1: ErrNoData
	for cycle, want := range wantTotal {
		evs, err := c.Collect(context.Background(), now)
		if want < 0 {
			if !errors.Is(err, ErrNoData) || evs != nil {
				t.Fatalf("cycle %d: got %v, %v; want ErrNoData", cycle, evs, err)
			}
			continue
		}
		if err != nil || len(evs) != 1 {
			t.Fatalf("cycle %d: got %v, %v", cycle, evs, err)
		}
		ev := evs[0]
		if ev.Dataset != "system.cpu" || ev.Timestamp != now.UnixMilli() || ev.Dims != nil {
			t.Errorf("cycle %d: event header = %q %d %v", cycle, ev.Dataset, ev.Timestamp, ev.Dims)
		}
		if g := ev.Values["system.cpu.total.norm.pct"]; math.Abs(g-want) > 1e-9 {
			t.Errorf("cycle %d: total.norm.pct = %v, want %v", cycle, g, want)
		}
	}
}

func TestCPUCollectError(t *testing.T) {
	boom := errors.New("boom")
	c := &cpuInput{
		times: func(context.Context) (cpu.TimesStat, error) { return cpu.TimesStat{}, boom },
		cores: func() (int, error) { return 1, nil },
	}
	if _, err := c.Collect(context.Background(), time.Now()); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if c.havePrev {
		t.Error("a failed read became the baseline")
	}
}

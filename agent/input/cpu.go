package input

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"

	"github.com/vigilmon/vigil/internal/model"
)

func init() { Register("cpu", newCPU) }

// cpuInput reports CPU time shares since the previous cycle (system.cpu).
type cpuInput struct {
	// times returns the aggregate CPU times since boot, in seconds.
	times func(ctx context.Context) (cpu.TimesStat, error)
	// cores returns the number of online CPUs.
	cores func() (int, error)

	prev     cpu.TimesStat
	havePrev bool
}

func newCPU(Options) (Input, error) {
	return &cpuInput{times: cpuTimes, cores: onlineCPUs()}, nil
}

func (*cpuInput) Name() string { return "cpu" }

func (c *cpuInput) Collect(ctx context.Context, now time.Time) ([]model.Event, error) {
	cur, err := c.times(ctx)
	if err != nil {
		return nil, err
	}
	cores, err := c.cores()
	if err != nil {
		return nil, err
	}
	prev, had := c.prev, c.havePrev
	c.prev, c.havePrev = cur, true
	if !had {
		return nil, ErrNoData // rates need two samples
	}
	values, ok := cpuValues(prev, cur, cores)
	if !ok {
		// A counter went backwards (reset, e.g. after a VM restore) or no tick
		// elapsed: cur is the new baseline, and there is no honest rate now.
		return nil, ErrNoData
	}
	return []model.Event{event(now, "system.cpu", nil, values)}, nil
}

// cpuValues turns two cumulative samples into Metricbeat's system.cpu fields:
// .pct is a share of one CPU (0..cores), .norm.pct a share of the host (0..1).
// ok is false when any counter decreased or no time elapsed.
func cpuValues(prev, cur cpu.TimesStat, cores int) (values map[string]float64, ok bool) {
	// Full field names are spelled out so building the event allocates no strings.
	states := [...]struct {
		pct, norm string
		prev, cur float64
	}{
		{"system.cpu.user.pct", "system.cpu.user.norm.pct", prev.User, cur.User},
		{"system.cpu.system.pct", "system.cpu.system.norm.pct", prev.System, cur.System},
		{"system.cpu.nice.pct", "system.cpu.nice.norm.pct", prev.Nice, cur.Nice},
		{"system.cpu.idle.pct", "system.cpu.idle.norm.pct", prev.Idle, cur.Idle},
		{"system.cpu.iowait.pct", "system.cpu.iowait.norm.pct", prev.Iowait, cur.Iowait},
		{"system.cpu.irq.pct", "system.cpu.irq.norm.pct", prev.Irq, cur.Irq},
		{"system.cpu.softirq.pct", "system.cpu.softirq.norm.pct", prev.Softirq, cur.Softirq},
		{"system.cpu.steal.pct", "system.cpu.steal.norm.pct", prev.Steal, cur.Steal},
	}
	// Guest and guest_nice are left out of the total on purpose: the kernel
	// already counts them in user and nice.
	var deltas [len(states)]float64
	var total float64
	for i, s := range states {
		if s.cur < s.prev {
			return nil, false
		}
		deltas[i] = s.cur - s.prev
		total += deltas[i]
	}
	if total <= 0 {
		return nil, false
	}
	n := float64(cores)
	values = make(map[string]float64, 2*len(states)+4)
	values["system.cpu.cores"] = n
	for i, s := range states {
		share := deltas[i] / total
		values[s.pct] = share * n
		values[s.norm] = share
	}
	busy := (total - deltas[3] - deltas[4]) / total // not idle, not iowait
	values["system.cpu.total.pct"] = busy * n
	values["system.cpu.total.norm.pct"] = busy
	values["host.cpu.usage"] = busy // ECS (specs.md §4.2)
	return values, true
}

func cpuTimes(ctx context.Context) (cpu.TimesStat, error) {
	ts, err := cpu.TimesWithContext(ctx, false)
	if err != nil {
		return cpu.TimesStat{}, fmt.Errorf("read cpu times: %w", err)
	}
	// gopsutil returns an empty slice and no error when /proc/stat is
	// unreadable, which must not look like an idle machine.
	if len(ts) == 0 {
		return cpu.TimesStat{}, fmt.Errorf("read cpu times: no aggregate cpu line in /proc/stat")
	}
	return ts[0], nil
}

// onlineCPUs returns a counter of the online CPUs, read from sysfs like
// Metricbeat's numcpu. Not gopsutil's cpu.Counts: it parses all of
// /proc/cpuinfo (hundreds of KiB on big hosts) every call. runtime.NumCPU
// only sees the agent's affinity mask, so it is just the fallback when sysfs
// is not mounted.
func onlineCPUs() func() (int, error) {
	var buf []byte
	return func() (int, error) {
		b, err := readProcFile("/sys/devices/system/cpu/online", buf)
		if err != nil {
			return runtime.NumCPU(), nil
		}
		buf = b
		n, err := parseCPUList(string(b))
		if err != nil || n == 0 {
			return runtime.NumCPU(), nil
		}
		return n, nil
	}
}

// parseCPUList counts the CPUs in a kernel cpu list such as "0-3,8,10-11".
func parseCPUList(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n := 0
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return 0, fmt.Errorf("parse cpu list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return 0, fmt.Errorf("parse cpu list %q: %w", s, err)
			}
		}
		if b < a {
			return 0, fmt.Errorf("parse cpu list %q: range %s is reversed", s, part)
		}
		n += b - a + 1
	}
	return n, nil
}

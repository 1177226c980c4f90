package checks

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigilmon/vigil/internal/nagios"
)

// memory checks used memory as a percentage of MemTotal, where used is
// MemTotal - MemAvailable: the kernel's estimate of what can be had without
// swapping, so page cache does not count as used (Metricbeat's
// system.memory.actual.used.pct). -w/-c are Nagios ranges on that percent
// ("90" alerts above 90%).
type memory struct {
	procRoot   string
	thresholds nagios.Thresholds
}

func memoryFlags(fs *flag.FlagSet, env Env) func() (Check, error) {
	warn := fs.String("w", "", "warning `range` on used percent (e.g. 80)")
	crit := fs.String("c", "", "critical `range` on used percent (e.g. 90)")
	return func() (Check, error) {
		t, err := parseRanges("-w", *warn, "-c", *crit)
		if err != nil {
			return nil, err
		}
		return &memory{procRoot: env.ProcRoot, thresholds: t}, nil
	}
}

func (m *memory) Run(context.Context) nagios.Result {
	info, err := readMeminfo(m.procRoot)
	if err != nil {
		return unknown("MEMORY", err)
	}
	total, okT := info["MemTotal"]
	avail, okA := info["MemAvailable"]
	if !okT || !okA || total == 0 {
		// MemAvailable exists since Linux 3.14; guessing it from MemFree
		// and Cached would report a number the kernel does not stand for.
		return unknown("MEMORY", fmt.Errorf("read meminfo: no MemTotal or MemAvailable"))
	}
	used := float64(total) - float64(min(avail, total))
	pct := used / float64(total) * 100
	state := m.thresholds.Evaluate(pct)
	text := fmt.Sprintf("%.1f%% used (%s of %s, %s available)", pct, humanBytes(used), humanBytes(float64(total)), humanBytes(float64(avail)))
	return result("MEMORY", state, text, nil, []nagios.Perf{
		perf("used_pct", round(pct, 2), "%", m.thresholds, ptr(0), ptr(100)),
		perf("used", used, "B", nagios.Thresholds{}, ptr(0), ptr(float64(total))),
	})
}

func readMeminfo(procRoot string) (map[string]uint64, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, "meminfo"))
	if err != nil {
		return nil, fmt.Errorf("read meminfo: %w", err)
	}
	return parseMeminfo(b)
}

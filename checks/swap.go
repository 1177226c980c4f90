package checks

import (
	"context"
	"flag"
	"fmt"

	"github.com/vigilmon/vigil/internal/nagios"
)

// swap checks used swap as a percentage of SwapTotal. Unlike check_swap,
// whose -w 20% means "free below 20%", -w/-c are Nagios ranges on the USED
// percent ("80" alerts above 80% used), the same as the memory check, so
// the two read alike. A host without swap is OK: there is nothing to fill.
type swap struct {
	procRoot   string
	thresholds nagios.Thresholds
}

func swapFlags(fs *flag.FlagSet, env Env) func() (Check, error) {
	warn := fs.String("w", "", "warning `range` on used percent (e.g. 50)")
	crit := fs.String("c", "", "critical `range` on used percent (e.g. 80)")
	return func() (Check, error) {
		t, err := parseRanges("-w", *warn, "-c", *crit)
		if err != nil {
			return nil, err
		}
		return &swap{procRoot: env.ProcRoot, thresholds: t}, nil
	}
}

func (s *swap) Run(context.Context) nagios.Result {
	info, err := readMeminfo(s.procRoot)
	if err != nil {
		return unknown("SWAP", err)
	}
	total, okT := info["SwapTotal"]
	free, okF := info["SwapFree"]
	if !okT || !okF {
		return unknown("SWAP", fmt.Errorf("read meminfo: no SwapTotal or SwapFree"))
	}
	if total == 0 {
		return result("SWAP", nagios.OK, "no swap configured", nil, nil)
	}
	used := float64(total) - float64(min(free, total))
	pct := used / float64(total) * 100
	state := s.thresholds.Evaluate(pct)
	text := fmt.Sprintf("%.1f%% used (%s of %s)", pct, humanBytes(used), humanBytes(float64(total)))
	return result("SWAP", state, text, nil, []nagios.Perf{
		perf("used_pct", round(pct, 2), "%", s.thresholds, ptr(0), ptr(100)),
		perf("used", used, "B", nagios.Thresholds{}, ptr(0), ptr(float64(total))),
	})
}

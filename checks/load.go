package checks

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigilmon/vigil/internal/nagios"
)

// load is check_load: -w/-c "W1,W5,W15" (or one value for all three), each
// a Nagios range ("15" alerts above 15). With -r the thresholds apply to
// the load per online CPU; the perfdata stays the raw load, with the
// thresholds scaled by the CPU count, so graphs of one host keep their
// meaning whatever the flags.
type load struct {
	procRoot   string
	perCPU     bool
	thresholds [3]nagios.Thresholds
}

func loadFlags(fs *flag.FlagSet, env Env) func() (Check, error) {
	warn := fs.String("w", "", "warning load `W1,W5,W15` (Nagios ranges; one value sets all three)")
	crit := fs.String("c", "", "critical load `C1,C5,C15`")
	perCPU := fs.Bool("r", false, "divide the load by the number of online CPUs before comparing")
	return func() (Check, error) {
		l := &load{procRoot: env.ProcRoot, perCPU: *perCPU}
		ws, err := splitTriple("-w", *warn)
		if err != nil {
			return nil, err
		}
		cs, err := splitTriple("-c", *crit)
		if err != nil {
			return nil, err
		}
		for i := range l.thresholds {
			if l.thresholds[i], err = parseRanges("-w", ws[i], "-c", cs[i]); err != nil {
				return nil, err
			}
		}
		return l, nil
	}
}

// splitTriple splits "1,2,3" and repeats a single value, as check_load.
func splitTriple(name, s string) ([3]string, error) {
	if s == "" {
		return [3]string{}, nil
	}
	f := strings.Split(s, ",")
	switch len(f) {
	case 1:
		return [3]string{f[0], f[0], f[0]}, nil
	case 3:
		return [3]string{f[0], f[1], f[2]}, nil
	}
	return [3]string{}, fmt.Errorf("parse %s %q: want one value or three separated by commas", name, s)
}

func (l *load) Run(context.Context) nagios.Result {
	b, err := os.ReadFile(filepath.Join(l.procRoot, "loadavg"))
	if err != nil {
		return unknown("LOAD", fmt.Errorf("read load average: %w", err))
	}
	avg, err := parseLoadavg(b)
	if err != nil {
		return unknown("LOAD", err)
	}
	cpus := 1
	if l.perCPU {
		stat, err := os.ReadFile(filepath.Join(l.procRoot, "stat"))
		if err != nil {
			return unknown("LOAD", fmt.Errorf("read cpu count: %w", err))
		}
		if cpus, err = countCPUs(stat); err != nil {
			return unknown("LOAD", err)
		}
	}
	state := nagios.OK
	vals := make([]string, 3)
	perfs := make([]nagios.Perf, 3)
	for i, minutes := range []string{"1", "5", "15"} {
		v := avg[i] / float64(cpus)
		state = nagios.Worse(state, l.thresholds[i].Evaluate(v))
		vals[i] = strconv.FormatFloat(v, 'f', 2, 64)
		perfs[i] = perf("load"+minutes, avg[i], "", scaleThresholds(l.thresholds[i], float64(cpus)), ptr(0), nil)
	}
	text := "load average: " + strings.Join(vals, ", ")
	if l.perCPU {
		text = fmt.Sprintf("load average per CPU: %s (%d CPUs)", strings.Join(vals, ", "), cpus)
	}
	return result("LOAD", state, text, nil, perfs)
}

// scaleThresholds multiplies both ranges' bounds by n (> 0).
func scaleThresholds(t nagios.Thresholds, n float64) nagios.Thresholds {
	scale := func(r *nagios.Range) *nagios.Range {
		if r == nil {
			return nil
		}
		return &nagios.Range{Start: r.Start * n, End: r.End * n, Inside: r.Inside}
	}
	return nagios.Thresholds{Warn: scale(t.Warn), Crit: scale(t.Crit)}
}

package nagios

import "github.com/vigilmon/vigil/internal/model"

// WirePerf converts parsed perfdata into the wire form carried in
// model.CheckResult, ranges as Nagios range text.
func WirePerf(perfs []Perf) []model.PerfValue {
	if len(perfs) == 0 {
		return nil
	}
	out := make([]model.PerfValue, len(perfs))
	for i, p := range perfs {
		out[i] = model.PerfValue{Label: p.Label, Value: p.Value, Unit: p.Unit, Min: p.Min, Max: p.Max}
		if p.Warn != nil {
			out[i].Warn = p.Warn.String()
		}
		if p.Crit != nil {
			out[i].Crit = p.Crit.String()
		}
	}
	return out
}

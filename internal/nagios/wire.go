package nagios

import (
	"math"

	"github.com/vigilmon/vigil/internal/model"
)

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

// PerfField is the metric field a perfdata label becomes:
// "vigil.check.perfdata." + the label lowercased, every run of characters
// outside [a-z0-9_] replaced by one '_' ("/var/lib" → "_var_lib",
// "Time (ms)" → "time_ms_"). Values keep the normalised unit (seconds,
// bytes, percent as printed 0..100, counts).
func PerfField(label string) string {
	const prefix = "vigil.check.perfdata."
	b := make([]byte, 0, len(prefix)+len(label))
	b = append(b, prefix...)
	under := false
	for i := 0; i < len(label); i++ {
		c := label[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		default:
			if !under {
				b = append(b, '_')
			}
			under = true
			continue
		}
		b = append(b, c)
		under = false
	}
	return string(b)
}

// maxPerfField is the collector's limit on a metric field name: a longer
// one would get the whole batch refused.
const maxPerfField = 256

// PerfEvent is the metric event of one check result's perfdata: dataset
// "vigil.check", dimension vigil.check.name, one value per item. Two labels
// that map to one field keep the first, so a value never silently changes
// meaning between runs; items whose field would be too long, and
// non-finite values, are left out. ok is false when nothing is left.
func PerfEvent(ts int64, check string, perfs []model.PerfValue) (ev model.Event, ok bool) {
	if len(perfs) == 0 {
		return model.Event{}, false
	}
	ev = model.Event{Timestamp: ts, Dataset: "vigil.check", Dims: map[string]string{"vigil.check.name": check},
		Values: make(map[string]float64, len(perfs))}
	for _, p := range perfs {
		f := PerfField(p.Label)
		if _, dup := ev.Values[f]; dup || len(f) > maxPerfField || math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			continue
		}
		ev.Values[f] = p.Value
	}
	return ev, len(ev.Values) > 0
}

package nagios

import "math"

// Thresholds is a plugin's -w/-c pair. A nil range is not checked.
type Thresholds struct {
	Warn, Crit *Range
}

// ParseThresholds parses a warning and a critical range as a plugin takes
// them from -w and -c; an empty string leaves that range unset.
func ParseThresholds(warn, crit string) (Thresholds, error) {
	var t Thresholds
	for _, f := range []struct {
		text string
		dst  **Range
	}{{warn, &t.Warn}, {crit, &t.Crit}} {
		if f.text == "" {
			continue
		}
		r, err := ParseRange(f.text)
		if err != nil {
			return Thresholds{}, err
		}
		*f.dst = &r
	}
	return t, nil
}

// Evaluate returns the state of v as monitoring-plugins get_status does:
// critical is checked first, then warning, else OK. NaN is Unknown: the
// value could not be measured, which is neither healthy nor a breach.
func (t Thresholds) Evaluate(v float64) State {
	switch {
	case math.IsNaN(v):
		return Unknown
	case t.Crit != nil && t.Crit.Alert(v):
		return Critical
	case t.Warn != nil && t.Warn.Alert(v):
		return Warning
	}
	return OK
}

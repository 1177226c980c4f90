package ingest

import (
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/nagios"
)

// Bounds of one check result. Plugins may print a lot; the agent caps output
// before it ships, so anything beyond these is a broken or hostile sender.
const (
	maxCheckName     = 128
	maxCheckOutput   = 64 << 10
	maxCheckCommand  = 4 << 10
	maxCheckPerf     = 256
	maxCheckAttempts = 100
	maxPerfLabel     = 256
)

func validateChecks(b *model.Batch, lim Limits) error {
	if len(b.Checks) > lim.MaxEvents {
		return reject(413, "too_many_events", "batch has %d check results, limit %d", len(b.Checks), lim.MaxEvents)
	}
	for i := range b.Checks {
		if err := validateCheck(&b.Checks[i]); err != nil {
			return reject(400, "invalid", "checks[%d]: %v", i, err)
		}
	}
	return nil
}

// validateCheck refuses what would be stored or alerted on wrongly: states
// outside Nagios' four, a HARD/SOFT flag that contradicts the attempts, text
// that is not UTF-8, perfdata that is not a finite number or a valid range.
func validateCheck(c *model.CheckResult) error {
	switch {
	case c.Timestamp < minTimestampMS || c.Timestamp > maxTimestampMS:
		return fmt.Errorf("timestamp %d is not Unix milliseconds between 2000 and 2200", c.Timestamp)
	case !validName(c.Name, maxCheckName):
		return fmt.Errorf("name %q: want 1..%d characters of [A-Za-z0-9._@-]", clip(c.Name), maxCheckName)
	case c.State < model.StateOK || c.State > model.StateUnknown:
		return fmt.Errorf("state %d: want 0 (OK) .. 3 (UNKNOWN)", c.State)
	case c.StateType != model.StateTypeSoft && c.StateType != model.StateTypeHard:
		return fmt.Errorf("state_type %q: want soft or hard", clip(c.StateType))
	case c.MaxAttempts < 1 || c.MaxAttempts > maxCheckAttempts:
		return fmt.Errorf("max_attempts %d: want 1..%d", c.MaxAttempts, maxCheckAttempts)
	case c.Attempt < 1 || c.Attempt > c.MaxAttempts:
		return fmt.Errorf("attempt %d: want 1..max_attempts (%d)", c.Attempt, c.MaxAttempts)
	case c.StateType == model.StateTypeSoft && c.State == model.StateOK:
		return fmt.Errorf("an OK result is always hard")
	case c.DurationUS < 0:
		return fmt.Errorf("duration_us %d is negative", c.DurationUS)
	case len(c.Perf) > maxCheckPerf:
		return fmt.Errorf("%d perfdata items, limit %d", len(c.Perf), maxCheckPerf)
	}
	texts := [...]struct {
		field, v string
		max      int
	}{{"output", c.Output, maxCheckOutput}, {"long_output", c.LongOutput, maxCheckOutput}, {"command", c.Command, maxCheckCommand}}
	for _, s := range texts {
		if len(s.v) > s.max || !utf8.ValidString(s.v) {
			return fmt.Errorf("%s must be valid UTF-8 of at most %d bytes", s.field, s.max)
		}
	}
	for i, p := range c.Perf {
		if err := validatePerf(p); err != nil {
			return fmt.Errorf("perf[%d]: %v", i, err)
		}
	}
	return nil
}

func validatePerf(p model.PerfValue) error {
	if p.Label == "" || len(p.Label) > maxPerfLabel || !utf8.ValidString(p.Label) {
		return fmt.Errorf("label must be valid UTF-8 of 1..%d bytes", maxPerfLabel)
	}
	if len(p.Unit) > 16 || !utf8.ValidString(p.Unit) {
		return fmt.Errorf("%q: unit must be valid UTF-8 of at most 16 bytes", clip(p.Label))
	}
	for _, v := range []*float64{&p.Value, p.Min, p.Max} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			return fmt.Errorf("%q: value, min and max must be finite numbers", clip(p.Label))
		}
	}
	for _, r := range []string{p.Warn, p.Crit} {
		if r == "" {
			continue
		}
		if _, err := nagios.ParseRange(r); err != nil {
			return fmt.Errorf("%q: %v", clip(p.Label), err)
		}
	}
	return nil
}

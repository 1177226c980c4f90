package ingest

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/vigilmon/vigil/internal/model"
)

func validCheck() model.CheckResult {
	lo := 0.0
	return model.CheckResult{Timestamp: 1_700_000_000_000, Name: "root_disk", Command: "/usr/lib/nagios/plugins/check_disk -p /",
		State: model.StateCritical, StateType: model.StateTypeSoft, Attempt: 2, MaxAttempts: 3,
		Output: "DISK CRITICAL - free space: / 1 MB (1% inode=90%)", DurationUS: 1200,
		Perf: []model.PerfValue{{Label: "/", Value: 99, Unit: "%", Warn: "80", Crit: "~:90", Min: &lo}}}
}

func TestDecodeBatchChecks(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		mutate func(c *model.CheckResult)
		want   string // "" = accepted
	}{
		{"valid", func(*model.CheckResult) {}, ""},
		{"hard ok", func(c *model.CheckResult) { c.State, c.StateType, c.Attempt = 0, "hard", 1 }, ""},
		{"state 4", func(c *model.CheckResult) { c.State = 4 }, "state 4"},
		{"bad state type", func(c *model.CheckResult) { c.StateType = "HARD" }, "state_type"},
		{"soft ok", func(c *model.CheckResult) { c.State = 0 }, "always hard"},
		{"attempt beyond max", func(c *model.CheckResult) { c.Attempt = 4 }, "attempt 4"},
		{"no max attempts", func(c *model.CheckResult) { c.MaxAttempts, c.Attempt = 0, 0 }, "max_attempts 0"},
		{"bad name", func(c *model.CheckResult) { c.Name = "root disk" }, "name"},
		{"old timestamp", func(c *model.CheckResult) { c.Timestamp = 5 }, "timestamp"},
		{"invalid utf-8 output", func(c *model.CheckResult) { c.Output = "\xff" }, "output must be valid UTF-8"},
		{"huge long output", func(c *model.CheckResult) { c.LongOutput = strings.Repeat("x", maxCheckOutput+1) }, "long_output"},
		{"perf nan", func(c *model.CheckResult) { c.Perf[0].Min = &nan }, "finite"},
		{"perf bad range", func(c *model.CheckResult) { c.Perf[0].Crit = "20:10" }, "perf[0]"},
		{"perf no label", func(c *model.CheckResult) { c.Perf[0].Label = "" }, "label"},
		{"negative duration", func(c *model.CheckResult) { c.DurationUS = -1 }, "duration_us"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := validBatch(1)
			c := validCheck()
			tt.mutate(&c)
			b.Checks = []model.CheckResult{c}
			err := Validate(b, DefaultLimits)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				got, err := DecodeBatch(mustJSON(t, b), DefaultLimits)
				if err != nil {
					t.Fatalf("decode refused: %v", err)
				}
				if len(got.Checks) != 1 || got.Checks[0].Output != c.Output || got.Checks[0].Perf[0].Crit != c.Perf[0].Crit {
					t.Fatalf("checks not carried: %+v", got.Checks)
				}
				return
			}
			var rej *RejectError
			if !errors.As(err, &rej) || rej.Status != 400 || rej.Reason != "invalid" || !strings.Contains(rej.Msg, tt.want) ||
				!strings.Contains(rej.Msg, "checks[0]") {
				t.Fatalf("got %v, want 400 invalid mentioning checks[0] and %q", err, tt.want)
			}
		})
	}
}

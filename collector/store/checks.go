package store

import (
	"time"

	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/nagios"
)

// CheckStatus is the newest result of one check of one host, as
// GET /api/v1/hosts/{name} shows it.
type CheckStatus struct {
	Name string `json:"name"`
	// State is OK, WARNING, CRITICAL or UNKNOWN; StateCode the number.
	State       string            `json:"state"`
	StateCode   int               `json:"state_code"`
	StateType   string            `json:"state_type"`
	Attempt     int               `json:"attempt"`
	MaxAttempts int               `json:"max_attempts"`
	Output      string            `json:"output"`
	LongOutput  string            `json:"long_output,omitempty"`
	Command     string            `json:"command,omitempty"`
	LastCheck   time.Time         `json:"last_check"`
	LastChange  time.Time         `json:"last_change"`
	DurationMS  float64           `json:"duration_ms"`
	Perf        []model.PerfValue `json:"perf,omitempty"`
}

// NewCheckStatus is the API view of a stored result.
func NewCheckStatus(c model.CheckResult) CheckStatus {
	return CheckStatus{
		Name: c.Name, State: nagios.State(c.State).String(), StateCode: c.State, StateType: c.StateType,
		Attempt: c.Attempt, MaxAttempts: c.MaxAttempts, Output: c.Output, LongOutput: c.LongOutput, Command: c.Command,
		LastCheck: time.UnixMilli(c.Timestamp).UTC(), LastChange: time.UnixMilli(c.LastChange).UTC(),
		DurationMS: float64(c.DurationUS) / 1000, Perf: c.Perf,
	}
}

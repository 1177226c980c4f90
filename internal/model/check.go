package model

// CheckResult is one run of a check: a Nagios plugin, a built-in check or a
// command polled from a legacy NRPE daemon. It travels in Batch.Checks.
//
// State and StateType follow Nagios: a non-OK result is SOFT until it has been
// seen MaxAttempts times in a row, then HARD; alerting acts on HARD states and
// on the recovery to OK.
type CheckResult struct {
	// Timestamp is when the run ended, Unix milliseconds (UTC).
	Timestamp int64 `json:"ts"`
	// Name is the check's configured name, unique per host.
	Name string `json:"name"`
	// Command is what ran, for people: the plugin's argv joined by spaces, the
	// built-in check's arguments, or "nrpe:<command>".
	Command string `json:"command,omitempty"`
	// State is the Nagios state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
	State int `json:"state"`
	// StateType is "soft" or "hard".
	StateType string `json:"state_type"`
	// LastChange is when State last changed (Unix ms), as the scheduler that
	// ran the check saw it; it starts at the first result after a restart.
	LastChange int64 `json:"last_change"`
	// Attempt counts consecutive runs in the current non-OK state, 1-based;
	// it is 1 for an OK result.
	Attempt     int `json:"attempt"`
	MaxAttempts int `json:"max_attempts"`
	// Output is the first line of the plugin's output, without perfdata.
	Output     string `json:"output"`
	LongOutput string `json:"long_output,omitempty"`
	// DurationUS is how long the run took, in microseconds.
	DurationUS int64       `json:"duration_us"`
	Perf       []PerfValue `json:"perf,omitempty"`
}

// Check states and state types as they appear on the wire.
const (
	StateOK       = 0
	StateWarning  = 1
	StateCritical = 2
	StateUnknown  = 3

	StateTypeSoft = "soft"
	StateTypeHard = "hard"
)

// PerfValue is one perfdata item with its unit normalised ("", "%", "s", "B",
// "c" or the unit as printed). Warn and Crit are ranges in the Nagios syntax;
// empty when the plugin gave none.
type PerfValue struct {
	Label string   `json:"label"`
	Value float64  `json:"value"`
	Unit  string   `json:"unit,omitempty"`
	Warn  string   `json:"warn,omitempty"`
	Crit  string   `json:"crit,omitempty"`
	Min   *float64 `json:"min,omitempty"`
	Max   *float64 `json:"max,omitempty"`
}

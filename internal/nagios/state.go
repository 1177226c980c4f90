package nagios

import (
	"fmt"
	"strconv"
	"strings"
)

// State is a plugin result. The numeric values are the plugin exit codes.
type State int

// The four states of the plugin API, numbered as their exit codes.
const (
	OK       State = 0
	Warning  State = 1
	Critical State = 2
	Unknown  State = 3
)

var stateNames = [...]string{"OK", "WARNING", "CRITICAL", "UNKNOWN"}

func (s State) valid() bool { return s >= OK && s <= Unknown }

// String returns the upper-case name Nagios prints ("OK", "WARNING", ...).
// A value outside the four states prints as "State(N)" so a bug that builds
// one is visible instead of passing for UNKNOWN.
func (s State) String() string {
	if !s.valid() {
		return "State(" + strconv.Itoa(int(s)) + ")"
	}
	return stateNames[s]
}

// ExitCode is the code a plugin exits with for s; anything that is not one of
// the four states exits UNKNOWN (3), never a code Nagios would misread.
func (s State) ExitCode() int {
	if !s.valid() {
		return int(Unknown)
	}
	return int(s)
}

// StateFromExit maps a plugin's exit code to its state. Codes 4..255 are
// reserved by the API and negative codes mean the process never exited
// normally (Go reports -1 for a signal), so both are Unknown, as in nrpe.
func StateFromExit(code int) State {
	if code < int(OK) || code > int(Unknown) {
		return Unknown
	}
	return State(code)
}

// ParseState reads a state name in any case. "warn" and "crit" are accepted
// too because they are what people write in rule files and -w/-c habits.
func ParseState(s string) (State, error) {
	switch strings.ToLower(s) {
	case "ok":
		return OK, nil
	case "warning", "warn":
		return Warning, nil
	case "critical", "crit":
		return Critical, nil
	case "unknown":
		return Unknown, nil
	}
	return Unknown, fmt.Errorf("parse state %q: want ok, warning, critical or unknown", s)
}

// MarshalText writes the lower-case name (ok, warning, critical, unknown),
// which is what JSON documents and YAML files carry.
func (s State) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("marshal state: %d is not a plugin state", int(s))
	}
	return []byte(strings.ToLower(stateNames[s])), nil
}

// UnmarshalText accepts what ParseState accepts.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Worse returns the more severe of a and b in the order
// OK < UNKNOWN < WARNING < CRITICAL (monitoring-plugins max_state_alt), so
// a check over several items (every mount of check_disk) reports a real
// problem ahead of an item it could not measure. States outside the four
// count as UNKNOWN.
func Worse(a, b State) State {
	if severity(b) > severity(a) {
		return StateFromExit(int(b))
	}
	return StateFromExit(int(a))
}

func severity(s State) int {
	switch s {
	case OK:
		return 0
	case Warning:
		return 2
	case Critical:
		return 3
	}
	return 1
}

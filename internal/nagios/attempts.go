package nagios

// Attempts turns a check's successive states into Nagios soft and hard
// states. A problem (any non-OK state) is SOFT until it has been seen Max
// times in a row, then HARD; a change between problem states once HARD stays
// HARD; OK is always HARD with attempt 1. A scheduler runs the check at its
// retry interval while Retrying reports true.
//
// The zero value, with Max 0 treated as 1, starts from a HARD OK.
type Attempts struct {
	Max     int
	attempt int
	hard    bool
	problem bool
	state   State
	seen    bool
	changed bool
}

// Next records the state of a new run and reports the attempt number (1 for
// OK, 1..Max for a problem) and whether the state is HARD.
func (a *Attempts) Next(s State) (attempt int, hard bool) {
	a.changed = !a.seen || s != a.state
	a.state, a.seen = s, true
	maxAttempts := max(a.Max, 1)
	switch {
	case s == OK:
		a.attempt, a.hard, a.problem = 1, true, false
	case a.problem && a.hard:
		// Already a HARD problem: WARNING -> CRITICAL is a HARD change at once.
	case a.problem:
		a.attempt++
		a.hard = a.attempt >= maxAttempts
	default:
		a.attempt, a.problem = 1, true
		a.hard = maxAttempts == 1
	}
	return a.attempt, a.hard
}

// Changed reports whether the state of the last Next differs from the one
// before (true for the first): the moment a scheduler records as the
// check's last state change.
func (a *Attempts) Changed() bool { return a.changed }

// Retrying is true while a problem is SOFT, the time Nagios re-checks at the
// retry interval instead of the normal one.
func (a *Attempts) Retrying() bool { return a.problem && !a.hard }

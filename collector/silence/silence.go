// Package silence keeps Alertmanager-style silences (label matchers that hold
// notifications for a time window) and Icinga-style acknowledgements (someone
// is on it: stop repeating this alert), persisted through an alert.StateStore
// so that both survive a restart and are shared by collectors on one store.
//
// Dispatch asks Silenced and Acked on every tick; both answer from memory. The
// HTTP API and the CLI create, expire and list through the Manager, which
// writes to the store before it changes its memory and records every change
// in the alert history.
package silence

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// History event kinds written by this package (Event.Message says what
// happened and who did it).
const (
	EventSilence = alert.EventKind("silence")
	EventAck     = alert.EventKind("ack")
)

// Silence statuses, as Status returns them.
const (
	StatusPending = "pending"
	StatusActive  = "active"
	StatusExpired = "expired"
)

var (
	// ErrNotFound is returned for an unknown silence ID or an alert without an
	// acknowledgement.
	ErrNotFound = errors.New("not found")
	// ErrExpired is returned by Expire for a silence that has already ended.
	ErrExpired = errors.New("silence already expired")
)

// InvalidError lists everything wrong with a silence or an acknowledgement
// given to Create or Acknowledge, so a user fixes all of it in one go. The
// API answers it with 400.
type InvalidError struct {
	What     string // "silence" or "acknowledgement"
	Problems []string
}

func (e *InvalidError) Error() string {
	return "invalid " + e.What + ": " + strings.Join(e.Problems, "; ")
}

// Silence holds notifications of every alert its matchers match, from
// StartsAt until EndsAt. The alerts still fire and show in the API and the
// history; only their notifications are held.
type Silence struct {
	ID        string         `json:"id"`
	Matchers  alert.Matchers `json:"matchers"`
	StartsAt  time.Time      `json:"starts_at"`
	EndsAt    time.Time      `json:"ends_at"`
	CreatedBy string         `json:"created_by"`
	Comment   string         `json:"comment"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// Status says whether the silence is pending (starts later), active or
// expired at now.
func (s *Silence) Status(now time.Time) string {
	switch {
	case now.Before(s.StartsAt):
		return StatusPending
	case now.Before(s.EndsAt):
		return StatusActive
	}
	return StatusExpired
}

// active is Status(now) == StatusActive without the strings, for the hot path.
func (s *Silence) active(now time.Time) bool {
	return !now.Before(s.StartsAt) && now.Before(s.EndsAt)
}

// clone returns s with its own matcher slice, so callers cannot change the
// Manager's copy through it.
func (s Silence) clone() Silence {
	s.Matchers = append(alert.Matchers(nil), s.Matchers...)
	return s
}

// prepare validates a silence given to Create and fills in what the Manager
// decides: a start in the past (or none) becomes now, because a silence did
// not hold anything before it existed.
func prepare(s Silence, now time.Time) (Silence, error) {
	var problems []string
	if s.ID != "" {
		problems = append(problems, "id is assigned by the collector and must be empty (expire a silence and create a new one to change it)")
	}
	if len(s.Matchers) == 0 {
		problems = append(problems, "at least one matcher is required")
	}
	matchers := make(alert.Matchers, 0, len(s.Matchers))
	narrow := false
	for i, m := range s.Matchers {
		// Rebuilt so that a matcher from a struct literal gets its regexp
		// compiled once here rather than on every match.
		c, err := alert.NewMatcher(m.Name, m.Type, m.Value)
		if err != nil {
			problems = append(problems, fmt.Sprintf("matchers[%d]: %v", i, err))
			continue
		}
		matchers = append(matchers, c)
		narrow = narrow || !c.Matches(nil)
	}
	if len(matchers) > 0 && !narrow {
		// Alertmanager's rule: a matcher that matches the empty string also
		// matches every alert without that label (x=~".*", x!="v", x="").
		// With only such matchers a silence can hold almost everything.
		problems = append(problems, `at least one matcher must not match an empty label value (x=~".*", x!="v" and x="" alone would silence almost every alert)`)
	}
	if s.StartsAt.IsZero() || s.StartsAt.Before(now) {
		s.StartsAt = now
	}
	switch {
	case s.EndsAt.IsZero():
		problems = append(problems, "ends_at is required")
	case !s.EndsAt.After(now):
		problems = append(problems, "ends_at must be in the future")
	case !s.EndsAt.After(s.StartsAt):
		problems = append(problems, "ends_at must be after starts_at")
	}
	if strings.TrimSpace(s.CreatedBy) == "" {
		problems = append(problems, "created_by is required")
	}
	if strings.TrimSpace(s.Comment) == "" {
		problems = append(problems, "comment is required (why is this silenced?)")
	}
	if len(problems) > 0 {
		return Silence{}, &InvalidError{What: "silence", Problems: problems}
	}
	s.Matchers = matchers
	s.CreatedAt, s.UpdatedAt = now, now
	return s, nil
}

// newID returns a random version 4 UUID. crypto/rand does not fail (it
// aborts the program instead, since Go 1.24).
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

func matchersString(ms alert.Matchers) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

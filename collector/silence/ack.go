package silence

import (
	"strings"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// Ack acknowledges one firing alert at one severity: someone is on it. While
// it holds, dispatch sends no repeat notifications of the alert; the alert
// keeps firing and showing. It ends at ExpiresAt (never when zero), when it
// is removed, or when the alert's severity is no longer the acknowledged one,
// which includes the alert resolving (see Manager.Acked).
type Ack struct {
	AlertID string `json:"alert_id"`
	// Severity is the severity acknowledged: the alert's severity when the
	// user acknowledged it. The API fills it from the alert.
	Severity alert.Severity `json:"severity"`
	// Labels are the alert's labels, optional: they put the acknowledgement in
	// the history of the alert's host as well as of the alert.
	Labels    alert.Labels `json:"labels,omitempty"`
	Author    string       `json:"author"`
	Comment   string       `json:"comment"`
	CreatedAt time.Time    `json:"created_at"`
	ExpiresAt time.Time    `json:"expires_at,omitzero"`
}

// expired reports whether a timed ack has run out at now.
func (a *Ack) expired(now time.Time) bool {
	return !a.ExpiresAt.IsZero() && !now.Before(a.ExpiresAt)
}

// prepareAck validates an ack given to Acknowledge and stamps it.
func prepareAck(a Ack, now time.Time) (Ack, error) {
	var problems []string
	if a.AlertID == "" {
		problems = append(problems, "alert_id is required")
	}
	if a.Severity != alert.Warning && a.Severity != alert.Critical {
		problems = append(problems, "severity must be warning or critical (only a firing alert can be acknowledged)")
	}
	if strings.TrimSpace(a.Author) == "" {
		problems = append(problems, "author is required")
	}
	if strings.TrimSpace(a.Comment) == "" {
		problems = append(problems, "comment is required")
	}
	if !a.ExpiresAt.IsZero() && !a.ExpiresAt.After(now) {
		problems = append(problems, "expires_at must be in the future (or absent: until the severity changes)")
	}
	if len(problems) > 0 {
		return Ack{}, &InvalidError{What: "acknowledgement", Problems: problems}
	}
	a.CreatedAt = now
	return a, nil
}

// ackEvent is the history entry of something that happened to a.
func ackEvent(a *Ack, now time.Time, msg string) alert.Event {
	return alert.Event{Time: now, Kind: EventAck, AlertID: a.AlertID, Labels: a.Labels,
		Severity: a.Severity, Message: msg}
}

func silenceEvent(now time.Time, msg string) alert.Event {
	return alert.Event{Time: now, Kind: EventSilence, Message: msg}
}

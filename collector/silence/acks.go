package silence

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// Acknowledge validates a and stores it as the acknowledgement of its alert,
// replacing any earlier one. Every problem is reported at once in an
// *InvalidError: AlertID, a firing Severity (warning or critical), Author and
// Comment are required, and ExpiresAt, when set, must be in the future.
// CreatedAt is set to now. The Manager does not know alerts: the caller
// checks that the alert exists and fills Severity (and Labels) from it.
func (m *Manager) Acknowledge(ctx context.Context, a Ack) (Ack, error) {
	now := m.now()
	a, err := prepareAck(a, now)
	if err != nil {
		return Ack{}, err
	}
	a.Labels = maps.Clone(a.Labels)

	m.wmu.Lock()
	defer m.wmu.Unlock()
	until := "until its severity changes"
	if !a.ExpiresAt.IsZero() {
		until = "until " + a.ExpiresAt.Format(time.RFC3339)
	}
	msg := fmt.Sprintf("acknowledged (%s) by %s %s: %s", a.Severity, a.Author, until, a.Comment)
	b, err := json.Marshal(&a)
	if err != nil {
		return Ack{}, fmt.Errorf("encode acknowledgement of %s: %w", a.AlertID, err)
	}
	err = m.store.SaveState(ctx, alert.BucketAcks, map[string][]byte{a.AlertID: b}, nil,
		[]alert.Event{ackEvent(&a, now, msg)})
	if err != nil {
		return Ack{}, fmt.Errorf("save acknowledgement of %s: %w", a.AlertID, err)
	}
	stored := a
	m.mu.Lock()
	m.acks[a.AlertID] = &stored
	// Overwritten in the store: the voided one must not be deleted by GC.
	delete(m.voided, a.AlertID)
	m.mu.Unlock()
	m.log.Info("alert acknowledged", "alert_id", a.AlertID, "severity", a.Severity, "author", a.Author, "expires_at", a.ExpiresAt)
	return cloneAck(a), nil
}

// Unacknowledge removes the acknowledgement of an alert, so its repeat
// notifications resume. by names who did it, for the history ("" when
// unknown). It returns ErrNotFound when the alert has none (an expired one
// not yet collected still counts).
func (m *Manager) Unacknowledge(ctx context.Context, alertID, by string) error {
	now := m.now()
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.mu.RLock()
	a, ok := m.acks[alertID]
	m.mu.RUnlock()
	if !ok {
		return fmt.Errorf("remove acknowledgement of %s: %w", alertID, ErrNotFound)
	}
	if by == "" {
		by = "unknown"
	}
	msg := fmt.Sprintf("acknowledgement by %s removed by %s", a.Author, by)
	err := m.store.SaveState(ctx, alert.BucketAcks, nil, []string{alertID}, []alert.Event{ackEvent(a, now, msg)})
	if err != nil {
		return fmt.Errorf("remove acknowledgement of %s: %w", alertID, err)
	}
	m.mu.Lock()
	delete(m.acks, alertID)
	// Acked may have voided it meanwhile; it is deleted already.
	delete(m.voided, alertID)
	m.mu.Unlock()
	m.log.Info("acknowledgement removed", "alert_id", alertID, "by", by)
	return nil
}

// Acked reports whether repeat notifications of the alert are held at now:
// it has an acknowledgement, not expired, of severity sev, the alert's
// current severity. Dispatch calls it on every tick, from memory.
//
// An acknowledgement found at another severity is void from then on, even if
// the alert goes back to the acknowledged severity: it covered what someone
// looked at, and a change is news. The same holds for a resolved alert (sev
// SeverityNone): an acknowledgement lasts one episode, so dispatch must call
// Acked (or Unacknowledge) when an acknowledged alert resolves. The void
// acknowledgement leaves memory at once and the store at the next GC.
//
// The returned Ack's Labels are shared and must not be modified.
func (m *Manager) Acked(alertID string, sev alert.Severity, now time.Time) (Ack, bool) {
	m.mu.RLock()
	a, ok := m.acks[alertID]
	m.mu.RUnlock()
	switch {
	case !ok, a.expired(now):
		return Ack{}, false
	case a.Severity == sev:
		return *a, true
	}
	m.mu.Lock()
	current := m.acks[alertID] == a // not replaced or removed meanwhile
	if current {
		delete(m.acks, alertID)
		m.voided[alertID] = voidedAck{ack: a, at: now, sev: sev}
	}
	m.mu.Unlock()
	if current {
		m.log.Info("acknowledgement void: severity changed", "alert_id", alertID,
			"acknowledged", a.Severity, "severity", sev, "author", a.Author)
	}
	return Ack{}, false
}

// Acks returns the acknowledgements in force at now, newest first.
func (m *Manager) Acks(now time.Time) []Ack {
	m.mu.RLock()
	out := make([]Ack, 0, len(m.acks))
	for _, a := range m.acks {
		if !a.expired(now) {
			out = append(out, cloneAck(*a))
		}
	}
	m.mu.RUnlock()
	slices.SortFunc(out, func(a, b Ack) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.AlertID, b.AlertID))
	})
	return out
}

func cloneAck(a Ack) Ack {
	a.Labels = maps.Clone(a.Labels)
	return a
}

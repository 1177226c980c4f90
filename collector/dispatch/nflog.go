package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// logEntry is what one integration of one receiver was last told about one
// alert: the notification log (Alertmanager's nflog), one entry per
// (receiver, integration, alert). Announcing a resolve leaves an entry in
// state resolved, so that other collectors sharing the store see it was sent;
// the next episode has a new FiredAt anyway.
//
// Entries of alerts the engine no longer reports (a rule was removed before its
// alert resolved) are deleted once they are older than logRetention.
type logEntry struct {
	FiredAt  time.Time      `json:"fired_at"`
	State    alert.State    `json:"state"`
	Severity alert.Severity `json:"severity"`
	Flapping bool           `json:"flapping,omitempty"`
	SentAt   time.Time      `json:"sent_at"`
	// Claim is a send in progress (see claim.go); the fields above still
	// describe the last one delivered.
	Claim *claim `json:"claim,omitempty"`
}

// logRetention is how long an entry outlives its alert. Generous, so that an
// engine that briefly reports fewer alerts (a rule file being rewritten) does
// not make dispatch forget what it sent and send it again.
const logRetention = 24 * time.Hour

// logGCInterval is how often entries are checked against logRetention.
const logGCInterval = time.Hour

// logKey is the store key of an entry: receiver/integration/alertID.
func logKey(receiver, integration, alertID string) string {
	return receiver + "/" + integration + "/" + alertID
}

// logKeyAlert returns the alert ID of a key; IDs hold no '/'.
func logKeyAlert(key string) string {
	return key[strings.LastIndexByte(key, '/')+1:]
}

// logKeyIntegration returns the receiver/integration part of a key.
func logKeyIntegration(key string) string {
	return key[:max(strings.LastIndexByte(key, '/'), 0)]
}

// loadLog reads the notification log. An entry that does not decode is left
// out (and logged): forgetting it can cost one duplicate notification, which is
// better than not starting.
func loadLog(ctx context.Context, st alert.StateStore, log *slog.Logger) (map[string]logEntry, error) {
	raw, err := st.LoadState(ctx, alert.BucketNotifyLog)
	if err != nil {
		return nil, fmt.Errorf("load notification log: %w", err)
	}
	out := make(map[string]logEntry, len(raw))
	for k, v := range raw {
		var e logEntry
		if err := json.Unmarshal(v, &e); err != nil {
			log.Warn("notification log entry unreadable, dropped", "key", k, "err", err)
			continue
		}
		out[k] = e
	}
	return out, nil
}

// encodeEntry marshals an entry for the store.
func encodeEntry(e logEntry) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode notification log entry: %w", err)
	}
	return b, nil
}

// entryFor is the entry recording that a was announced at sentAt.
func entryFor(a *alert.Alert, sentAt time.Time) logEntry {
	return logEntry{FiredAt: a.FiredAt, State: a.State, Severity: a.Severity, Flapping: a.Flapping, SentAt: sentAt}
}

// announced reports whether e records the current firing episode of a.
func (e logEntry) announced(a *alert.Alert) bool {
	return e.State == alert.Firing && e.FiredAt.Equal(a.FiredAt)
}

// current reports whether e records what a says now. While the receiver knows
// the alert is flapping, severity changes are not news: the engine keeps the
// severity steady while flapping anyway, and the final state is announced when
// the flapping ends.
func (e logEntry) current(a *alert.Alert) bool {
	if !e.announced(a) || a.State != alert.Firing || e.Flapping != a.Flapping {
		return false
	}
	return a.Flapping || e.Severity == a.Severity
}

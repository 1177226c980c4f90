package alert

import (
	"context"
	"fmt"
	"time"
)

// EventKind says what an Event records.
type EventKind string

// Event kinds.
const (
	// EventState is a state change of an alert (including severity changes,
	// flapping start/stop and suppression).
	EventState EventKind = "state"
	// EventNotify is one attempt to send a notification, with its result.
	EventNotify EventKind = "notify"
)

// Event is one entry of the alert history: every state change and every send
// attempt. Fields that do not apply to Kind are zero.
type Event struct {
	Seq     int64     `json:"seq,omitempty"` // assigned by the store, increasing
	Time    time.Time `json:"time"`
	Kind    EventKind `json:"kind"`
	AlertID string    `json:"alert_id"`
	Rule    string    `json:"rule,omitempty"`
	Labels  Labels    `json:"labels,omitempty"`

	// EventState
	From       State    `json:"from,omitempty"`
	To         State    `json:"to,omitempty"`
	Severity   Severity `json:"severity,omitzero"`
	Value      float64  `json:"value,omitempty"`
	Flapping   bool     `json:"flapping,omitempty"`
	Suppressed string   `json:"suppressed,omitempty"`
	Message    string   `json:"message,omitempty"`

	// EventNotify
	Receiver    string `json:"receiver,omitempty"`
	Integration string `json:"integration,omitempty"`
	Attempt     int    `json:"attempt,omitempty"`
	Result      string `json:"result,omitempty"` // ok, error (given up), retry
	Error       string `json:"error,omitempty"`
}

// Send results recorded in Event.Result.
const (
	ResultOK    = "ok"
	ResultRetry = "retry"
	ResultError = "error"
)

// EventQuery selects history entries; zero fields do not filter.
type EventQuery struct {
	AlertID string
	Host    string
	Kind    EventKind
	From    time.Time
	To      time.Time
	Limit   int // newest first; 0 means the store's default (1000)
}

// StateStore persists alerting state: keyed blobs in named buckets (rule engine
// instances, notification log, silences, acknowledgements) and the append-only
// history. SaveState is atomic: the puts, deletes and events of one call are
// committed together or not at all, so a restart never sees a state change
// without its history entry or the other way round.
type StateStore interface {
	LoadState(ctx context.Context, bucket string) (map[string][]byte, error)
	SaveState(ctx context.Context, bucket string, put map[string][]byte, del []string, events []Event) error
	Events(ctx context.Context, q EventQuery) ([]Event, error)
}

// State buckets. Each owner package uses only its own.
const (
	BucketRules     = "rules"
	BucketNotifyLog = "nflog"
	BucketSilences  = "silences"
	BucketAcks      = "acks"
)

// ConflictError is returned by SaveState of a store shared by several
// collectors when another collector changed some of the keys since this one
// last read them (compare-and-set lost). The other writes of the call are
// done. Current holds the winning value of each conflicting key (nil: it was
// deleted), for the caller to adopt; the store drops the events of the call
// that belong to those keys (same AlertID), since the winner wrote its own.
type ConflictError struct {
	Bucket  string
	Current map[string][]byte
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("save %s state: %d keys changed by another collector", e.Bucket, len(e.Current))
}

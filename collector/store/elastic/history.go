package elastic

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// eventDoc is one alert history document: a state change or a notification
// attempt, with ECS fields (rule.name, host.name, event.*) for Kibana.
type eventDoc struct {
	Timestamp   time.Time      `json:"@timestamp"`
	Dataset     string         `json:"event.dataset"`
	Kind        string         `json:"event.kind"`
	Action      string         `json:"event.action"`
	Sequence    int64          `json:"event.sequence"`
	Rule        string         `json:"rule.name,omitempty"`
	Host        string         `json:"host.name,omitempty"`
	AlertID     string         `json:"vigil.alert.id"`
	Labels      alert.Labels   `json:"vigil.alert.labels,omitempty"`
	From        alert.State    `json:"vigil.alert.from,omitempty"`
	To          alert.State    `json:"vigil.alert.to,omitempty"`
	Severity    alert.Severity `json:"vigil.alert.severity,omitzero"`
	Value       float64        `json:"vigil.alert.value,omitempty"`
	Flapping    bool           `json:"vigil.alert.flapping,omitempty"`
	Suppressed  string         `json:"vigil.alert.suppressed,omitempty"`
	Message     string         `json:"message,omitempty"`
	Receiver    string         `json:"vigil.notification.receiver,omitempty"`
	Integration string         `json:"vigil.notification.integration,omitempty"`
	Attempt     int            `json:"vigil.notification.attempt,omitempty"`
	Result      string         `json:"vigil.notification.result,omitempty"`
	Error       string         `json:"error.message,omitempty"`
	Collector   string         `json:"vigil.collector"`
}

// eventItem is the create of one history event. Its ID is a hash of what
// the event says, so a SaveState repeated after a partial failure does not
// store it twice.
func (s *StateStore) eventItem(e *alert.Event, seq int64) *item {
	d := eventDoc{Timestamp: e.Time.UTC(), Dataset: "vigil.alert", Kind: "alert", Action: string(e.Kind), Sequence: seq,
		Rule: e.Rule, Host: e.Labels[alert.LabelHost], AlertID: e.AlertID, Labels: e.Labels, From: e.From, To: e.To,
		Severity: e.Severity, Value: finite(e.Value), Flapping: e.Flapping, Suppressed: e.Suppressed, Message: e.Message,
		Receiver: e.Receiver, Integration: e.Integration, Attempt: e.Attempt, Result: e.Result, Error: e.Error,
		Collector: s.collector}
	if d.Rule == "" {
		d.Rule = e.Labels[alert.LabelAlertname]
	}
	body, _ := json.Marshal(d)
	id := contentID(e.AlertID, strconv.FormatInt(e.Time.UnixNano(), 10), string(e.Kind), string(e.From), string(e.To),
		e.Receiver, e.Integration, strconv.Itoa(e.Attempt), e.Result, e.Message)
	return &item{index: s.history, action: "create", id: id, body: body}
}

func (d *eventDoc) event() alert.Event {
	return alert.Event{Seq: d.Sequence, Time: d.Timestamp, Kind: alert.EventKind(d.Action), AlertID: d.AlertID,
		Rule: d.Rule, Labels: d.Labels, From: d.From, To: d.To, Severity: d.Severity, Value: d.Value,
		Flapping: d.Flapping, Suppressed: d.Suppressed, Message: d.Message, Receiver: d.Receiver,
		Integration: d.Integration, Attempt: d.Attempt, Result: d.Result, Error: d.Error}
}

// finite replaces NaN and ±Inf, which JSON cannot carry (a no-data
// transition has NaN as its value), with 0.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

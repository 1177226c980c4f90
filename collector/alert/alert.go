// Package alert holds the types every alerting stage shares: an alert and its
// state, label sets and matchers, history events, and the persistence interface
// the rule engine, silences and dispatch write through. It has no behaviour of its
// own beyond matching and fingerprinting.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Severity orders how bad a firing alert is. The zero value means "not firing".
type Severity int

// Severities, in increasing order.
const (
	SeverityNone Severity = iota
	Warning
	Critical
)

func (s Severity) String() string {
	switch s {
	case Warning:
		return "warning"
	case Critical:
		return "critical"
	default:
		return "none"
	}
}

// MarshalText writes the severity by name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "warning":
		*s = Warning
	case "critical":
		*s = Critical
	case "none", "":
		*s = SeverityNone
	default:
		return fmt.Errorf("unknown severity %q (want warning or critical)", b)
	}
	return nil
}

// State is where an alert is in its life: inactive → pending → firing → resolved.
type State string

// States.
const (
	Inactive State = "inactive"
	Pending  State = "pending"
	Firing   State = "firing"
	Resolved State = "resolved"
)

// Reserved label names. Every alert carries LabelAlertname and, when it concerns
// one host, LabelHost; dimension values of the series it was computed from become
// labels too.
const (
	LabelAlertname = "alertname"
	LabelHost      = "host"
	LabelSeverity  = "severity"
)

// Alert is one alert instance as the engine hands it to dispatch, the API and the
// notifiers. It is a value: stages copy it and never share mutable state.
type Alert struct {
	// ID identifies the instance across restarts: a fingerprint of its labels
	// without severity (see Labels.Fingerprint). PagerDuty's dedup_key, Opsgenie's
	// alias and the email thread are derived from it.
	ID          string            `json:"id"`
	Rule        string            `json:"rule"`
	Labels      Labels            `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	State       State             `json:"state"`
	Severity    Severity          `json:"severity"`
	// Value is the evaluated value (after aggregation) at the last evaluation.
	Value float64 `json:"value"`
	// ActiveAt is when the condition first held (entry into pending).
	ActiveAt time.Time `json:"active_at,omitzero"`
	// FiredAt is when the alert last went from pending to firing. With ID it
	// identifies one episode of the alert: the email thread, the notification log.
	FiredAt    time.Time `json:"fired_at,omitzero"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// Flapping is set while the alert changes state too often; dispatch then sends
	// one "flapping" notification and holds the rest until it settles.
	Flapping bool `json:"flapping,omitempty"`
	// Suppressed names why notifications are held without resolving the alert
	// ("host_down" while the alert's host is down).
	Suppressed string `json:"suppressed,omitempty"`
}

// Host returns the host label ("" for alerts not about one host).
func (a *Alert) Host() string { return a.Labels[LabelHost] }

// Name returns the alertname label.
func (a *Alert) Name() string { return a.Labels[LabelAlertname] }

// Labels is a label set. Keys are label names; values are never empty.
type Labels map[string]string

// Names returns the label names in sorted order.
func (l Labels) Names() []string {
	names := make([]string, 0, len(l))
	for k := range l {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Fingerprint is a stable 16-hex-digit hash of the label set, ignoring the
// severity label so that a severity change keeps the alert's identity.
func (l Labels) Fingerprint() string {
	h := sha256.New()
	for _, k := range l.Names() {
		if k == LabelSeverity {
			continue
		}
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(l[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Subset returns the labels of l named in names (missing names are left out).
func (l Labels) Subset(names []string) Labels {
	out := make(Labels, len(names))
	for _, n := range names {
		if v, ok := l[n]; ok {
			out[n] = v
		}
	}
	return out
}

// String formats l as {a="1", b="2"} in name order.
func (l Labels) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range l.Names() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, l[k])
	}
	b.WriteByte('}')
	return b.String()
}

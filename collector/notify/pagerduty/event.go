package pagerduty

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
)

const (
	// maxSummary is PagerDuty's limit on payload.summary, in characters.
	maxSummary = 1024
	// defaultSource stands in for the host of alerts about no one host:
	// PagerDuty requires payload.source.
	defaultSource = "vigil"
)

// componentLabels are the labels that name the part of a host an alert is
// about, most specific first (filesystem, then disk or interface).
var componentLabels = []string{"mount_point", "device_name", "device", "name"}

// event is an Events API v2 request body.
type event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"`
	DedupKey    string   `json:"dedup_key"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
	Links       []link   `json:"links,omitempty"`
	Payload     *payload `json:"payload,omitempty"`
}

type link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

type payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// newEvent builds the event for a: trigger while firing, resolve once
// resolved. ok is false for states PagerDuty has no event for (pending,
// inactive), which dispatch should not send anyway.
func (n *Notifier) newEvent(g notify.Group, a alert.Alert) (ev event, ok bool) {
	ev = event{
		RoutingKey: n.key.Reveal(),
		DedupKey:   a.ID,
		Client:     n.cfg.Client,
		ClientURL:  n.cfg.ClientURL,
	}
	if ev.ClientURL == "" {
		ev.ClientURL = g.ExternalURL
	}
	switch a.State {
	case alert.Resolved:
		// A resolve needs only the dedup_key; PagerDuty ignores a payload.
		ev.EventAction = "resolve"
		return ev, true
	case alert.Firing:
		ev.EventAction = "trigger"
	default:
		return ev, false
	}
	summary := notify.Summary(a)
	if a.Flapping {
		summary = "FLAPPING: " + summary
	}
	if g.Test {
		summary = "[TEST] " + summary
	}
	p := &payload{
		Summary:   truncate(summary, maxSummary),
		Source:    a.Host(),
		Severity:  severity(a.Severity),
		Component: component(a.Labels),
		// class says what kind of problem this is and group gathers the
		// instances of one rule across hosts, so PagerDuty's filters and
		// Event Orchestration can key on either.
		Class: a.Rule,
		Group: a.Name(),
		CustomDetails: map[string]any{
			"alert_id": a.ID,
			"labels":   a.Labels,
			"value":    a.Value,
		},
	}
	if p.Source == "" {
		p.Source = defaultSource
	}
	if p.Class == "" {
		p.Class = a.Name()
	}
	if !a.FiredAt.IsZero() {
		p.Timestamp = a.FiredAt.UTC().Format(time.RFC3339)
	}
	if len(a.Annotations) > 0 {
		p.CustomDetails["annotations"] = a.Annotations
	}
	if a.Flapping {
		p.CustomDetails["flapping"] = true
	}
	ev.Payload = p
	if u := a.Annotations["runbook_url"]; u != "" {
		ev.Links = append(ev.Links, link{Href: u, Text: "Runbook"})
	}
	if g.ExternalURL != "" {
		ev.Links = append(ev.Links, link{Href: strings.TrimSuffix(g.ExternalURL, "/") + "/api/v1/alerts", Text: "Vigil active alerts"})
	}
	return ev, true
}

// severity maps Vigil's severities onto PagerDuty's. A firing alert without a
// severity still pages as a warning rather than being dropped to info.
func severity(s alert.Severity) string {
	if s == alert.Critical {
		return "critical"
	}
	return "warning"
}

func component(l alert.Labels) string {
	for _, name := range componentLabels {
		if v := l[name]; v != "" {
			return v
		}
	}
	return ""
}

// truncate cuts s to at most n characters, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// describe names an event in errors and logs: action and dedup key.
func (ev *event) describe() string {
	return ev.EventAction + " " + strconv.Quote(ev.DedupKey)
}

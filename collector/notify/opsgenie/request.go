package opsgenie

import (
	"strconv"
	"unicode/utf8"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
)

// Limits of the Alert API v2, in characters.
const (
	maxMessage     = 130
	maxDescription = 15000
	maxDetails     = 8000 // keys and values together
	maxEntity      = 512
	maxNote        = 25000
)

// createRequest is the body of POST /v2/alerts.
type createRequest struct {
	Message     string            `json:"message"`
	Alias       string            `json:"alias"`
	Description string            `json:"description,omitempty"`
	Responders  []Responder       `json:"responders,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Details     map[string]string `json:"details,omitempty"`
	Entity      string            `json:"entity,omitempty"`
	Source      string            `json:"source"`
	Priority    string            `json:"priority"`
}

// closeRequest is the body of POST /v2/alerts/{alias}/close.
type closeRequest struct {
	Source string `json:"source"`
	Note   string `json:"note,omitempty"`
}

func (n *Notifier) newCreate(g notify.Group, a alert.Alert) createRequest {
	msg := notify.Summary(a)
	if a.Flapping {
		msg = "FLAPPING: " + msg
	}
	if g.Test {
		msg = "[TEST] " + msg
	}
	desc := notify.Summary(a)
	if m, err := n.tmpl.Render(g, []alert.Alert{a}); err == nil {
		desc = m.Text
	} else {
		n.log.Warn("render description", "alert_id", a.ID, "err", err)
	}
	return createRequest{
		Message:     truncate(msg, maxMessage),
		Alias:       a.ID,
		Description: truncate(desc, maxDescription),
		Responders:  n.cfg.Responders,
		Tags:        n.cfg.Tags,
		Details:     details(a),
		Entity:      truncate(a.Host(), maxEntity),
		Source:      n.cfg.Source,
		Priority:    n.cfg.priority(a.Severity),
	}
}

func (n *Notifier) newClose(a alert.Alert) closeRequest {
	return closeRequest{Source: n.cfg.Source, Note: truncate("Resolved: "+notify.Summary(a), maxNote)}
}

// details is the alert's labels and value as Opsgenie's string map, within
// its size limit: the value first, then labels in name order until the
// budget is spent (the description carries them all).
func details(a alert.Alert) map[string]string {
	d := map[string]string{"value": strconv.FormatFloat(a.Value, 'g', -1, 64)}
	budget := maxDetails - len("value") - len(d["value"])
	for _, k := range a.Labels.Names() {
		v := a.Labels[k]
		cost := utf8.RuneCountInString(k) + utf8.RuneCountInString(v)
		if _, taken := d[k]; taken || cost > budget {
			continue
		}
		d[k] = v
		budget -= cost
	}
	return d
}

// truncate cuts s to at most n characters, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

package notify

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// Message is the human-readable form of a notification, shared by email and SES.
type Message struct {
	Subject string
	Text    string
	HTML    string
}

// Status names what a notification announces: "FIRING", "RESOLVED" or
// "FLAPPING" (firing and flapping alerts are announced once as flapping).
func Status(alerts []alert.Alert) string {
	status := "RESOLVED"
	for _, a := range alerts {
		if a.State == alert.Firing {
			if a.Flapping {
				return "FLAPPING"
			}
			status = "FIRING"
		}
	}
	return status
}

// Summary is a one-line description of a: its summary annotation, else its
// name, host and value.
func Summary(a alert.Alert) string {
	if s := a.Annotations["summary"]; s != "" {
		return s
	}
	var b strings.Builder
	b.WriteString(a.Name())
	if h := a.Host(); h != "" {
		b.WriteString(" on ")
		b.WriteString(h)
	}
	fmt.Fprintf(&b, " (value %s)", formatValue(a.Value))
	return b.String()
}

// Subject is "[FIRING:2 critical] DiskFull web-1, web-2" style: status, count,
// worst severity, the alert names and hosts.
func Subject(g Group, alerts []alert.Alert) string {
	var b strings.Builder
	if g.Test {
		b.WriteString("[TEST] ")
	}
	status := Status(alerts)
	firing, worst := 0, alert.SeverityNone
	for _, a := range alerts {
		if a.State == alert.Firing {
			firing++
			worst = max(worst, a.Severity)
		}
	}
	b.WriteByte('[')
	b.WriteString(status)
	if status != "RESOLVED" {
		fmt.Fprintf(&b, ":%d %s", firing, worst)
	}
	b.WriteString("] ")
	b.WriteString(strings.Join(uniq(alerts, (*alert.Alert).Name), ", "))
	if hosts := uniq(alerts, (*alert.Alert).Host); len(hosts) > 0 {
		b.WriteByte(' ')
		if len(hosts) > 3 {
			hosts = append(hosts[:3], fmt.Sprintf("+%d more", len(hosts)-3))
		}
		b.WriteString(strings.Join(hosts, ", "))
	}
	return b.String()
}

func uniq(alerts []alert.Alert, f func(*alert.Alert) string) []string {
	seen := map[string]bool{}
	var out []string
	for i := range alerts {
		if v := f(&alerts[i]); v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func formatValue(v float64) string { return fmt.Sprintf("%.4g", v) }

type view struct {
	Group  Group
	Status string
	Alerts []alertView
}

type alertView struct {
	alert.Alert
	Summary     string
	ValueText   string
	Since       string
	Labels      [][2]string
	Description string
}

func newView(g Group, alerts []alert.Alert) view {
	v := view{Group: g, Status: Status(alerts)}
	for _, a := range alerts {
		av := alertView{Alert: a, Summary: Summary(a), ValueText: formatValue(a.Value),
			Description: a.Annotations["description"]}
		since := a.FiredAt
		if a.State == alert.Resolved {
			since = a.ResolvedAt
		}
		if !since.IsZero() {
			av.Since = since.UTC().Format(time.RFC3339)
		}
		for _, k := range a.Labels.Names() {
			av.Labels = append(av.Labels, [2]string{k, a.Labels[k]})
		}
		v.Alerts = append(v.Alerts, av)
	}
	return v
}

const textBody = `{{ if .Group.Test }}This is a test notification from Vigil for receiver {{ .Group.Receiver }}.

{{ end }}{{ range .Alerts }}[{{ .State | upper }}{{ if eq (print .State) "firing" }} {{ .Severity }}{{ end }}{{ if .Flapping }} FLAPPING{{ end }}] {{ .Summary }}
{{ if .Description }}{{ .Description }}
{{ end }}  value:  {{ .ValueText }}
  since:  {{ .Since }}
  labels:{{ range .Labels }} {{ index . 0 }}={{ index . 1 }}{{ end }}
  id:     {{ .ID }}

{{ end }}{{ if .Group.ExternalURL }}Alerts: {{ .Group.ExternalURL }}/api/v1/alerts
{{ end }}-- 
Vigil`

const htmlBody = `<!DOCTYPE html>
<html><body style="font-family:sans-serif">
{{ if .Group.Test }}<p>This is a test notification from Vigil for receiver {{ .Group.Receiver }}.</p>{{ end }}
{{ range .Alerts }}<div style="margin-bottom:1em">
<h3 style="margin:0;color:{{ if eq (print .State) "resolved" }}#2e7d32{{ else if eq (print .Severity) "critical" }}#c62828{{ else }}#ef6c00{{ end }}">[{{ .State | upper }}{{ if eq (print .State) "firing" }} {{ .Severity }}{{ end }}{{ if .Flapping }} FLAPPING{{ end }}] {{ .Summary }}</h3>
{{ if .Description }}<p>{{ .Description }}</p>{{ end }}
<table>
<tr><td>value</td><td>{{ .ValueText }}</td></tr>
<tr><td>since</td><td>{{ .Since }}</td></tr>
{{ range .Labels }}<tr><td>{{ index . 0 }}</td><td>{{ index . 1 }}</td></tr>{{ end }}
<tr><td>id</td><td>{{ .ID }}</td></tr>
</table></div>
{{ end }}{{ if .Group.ExternalURL }}<p><a href="{{ .Group.ExternalURL }}/api/v1/alerts">Active alerts</a></p>{{ end }}
</body></html>`

var funcs = map[string]any{"upper": func(s alert.State) string { return strings.ToUpper(string(s)) }}

// Templates renders Messages. It is built once and is safe for concurrent use.
type Templates struct {
	text *template.Template
	html *htmltemplate.Template
}

// NewTemplates parses the built-in templates.
func NewTemplates() *Templates {
	return &Templates{
		text: template.Must(template.New("text").Funcs(funcs).Parse(textBody)),
		html: htmltemplate.Must(htmltemplate.New("html").Funcs(funcs).Parse(htmlBody)),
	}
}

// Render builds the message for alerts in group g.
func (t *Templates) Render(g Group, alerts []alert.Alert) (Message, error) {
	v := newView(g, alerts)
	var text, html bytes.Buffer
	if err := t.text.Execute(&text, v); err != nil {
		return Message{}, fmt.Errorf("render text body: %w", err)
	}
	if err := t.html.Execute(&html, v); err != nil {
		return Message{}, fmt.Errorf("render html body: %w", err)
	}
	return Message{Subject: Subject(g, alerts), Text: text.String(), HTML: html.String()}, nil
}

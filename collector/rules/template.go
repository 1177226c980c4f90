package rules

import (
	"bytes"
	"io"
	"math"
	"strconv"
	"text/template"
	"time"
)

// TemplateData is what annotation templates see:
//
//	summary: "{{ .Labels.mount_point }} on {{ .Host }} is {{ pct .Value }} full"
type TemplateData struct {
	Labels    map[string]string
	Host      string
	Value     float64
	Severity  string
	State     string
	Rule      string
	Field     string
	Threshold float64
}

var templateFuncs = template.FuncMap{
	// pct formats a 0..1 fraction as a percentage: 0.934 → "93.4%".
	"pct": func(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" },
	// bytes formats a byte count in IEC units: 1536 → "1.5 KiB".
	"bytes": func(v float64) string { return humanizeBase(v, 1024, []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}) },
	// duration formats seconds: 200 → "3m20s".
	"duration": func(sec float64) string { return time.Duration(sec * float64(time.Second)).Round(time.Second).String() },
	// humanize formats with SI prefixes: 1234567 → "1.235M".
	"humanize": func(v float64) string { return humanizeBase(v, 1000, []string{"", "k", "M", "G", "T", "P"}) },
}

func humanizeBase(v, base float64, units []string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	i := 0
	for math.Abs(v) >= base && i < len(units)-1 {
		v /= base
		i++
	}
	if units[i] == "" || units[i] == "B" {
		return strconv.FormatFloat(v, 'g', 4, 64) + units[i]
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
}

// sampleData is what templates are tried on at load time, so that a typo in a
// field name (.Lables) is a config error rather than a broken notification.
var sampleData = TemplateData{
	Labels: map[string]string{"alertname": "Sample", "host": "host-1"},
	Host:   "host-1", Value: 0.5, Severity: "warning", State: "firing", Rule: "Sample", Field: "a.b", Threshold: 0.4,
}

// parseTemplate parses an annotation template and runs it once on sample data.
// Missing map keys render as "" (a label may be absent); unknown fields and
// functions are errors.
func parseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=zero").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return nil, err // "template: NAME:LINE:COL: ..." already
	}
	if err := t.Execute(io.Discard, sampleData); err != nil {
		return nil, err
	}
	return t, nil
}

// expand runs t; on error it returns the error text in place of the
// annotation and the error, which the engine records in the alert history.
func expand(t *template.Template, d *TemplateData) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "template error: " + err.Error(), err
	}
	return b.String(), nil
}

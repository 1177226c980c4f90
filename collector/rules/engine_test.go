package rules

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/config"
	"github.com/vigilmon/vigil/internal/model"
)

func cpuBatch(host string, at time.Time, v float64) *model.Batch {
	return &model.Batch{Host: model.Host{Name: host}, Agent: model.Agent{IntervalMS: 10000},
		Events: []model.Event{{Timestamp: at.UnixMilli(), Values: map[string]float64{"system.cpu.total.norm.pct": v}}}}
}

func newEngine(t *testing.T, rulesYAML string, st alert.StateStore, now time.Time) *Engine {
	t.Helper()
	set, err := ParseFile("rules.yaml", []byte(rulesYAML))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Options{Rules: set, Config: DefaultConfig(), Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Restore(context.Background(), nil, now); err != nil {
		t.Fatal(err)
	}
	return e
}

func stateEvents(t *testing.T, st alert.StateStore, msg string) int {
	t.Helper()
	evs, err := st.Events(context.Background(), alert.EventQuery{Kind: alert.EventState})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Message == msg {
			n++
		}
	}
	return n
}

// A restart must keep the pending timer (fire at the original deadline, not
// for after the restart) and must not fire again what already fired.
func TestRestartKeepsTimersAndEpisodes(t *testing.T) {
	ctx := context.Background()
	st := alert.NewMemStore()
	t0 := testEpoch
	rules := cpuRuleWith("        for: 60s")

	e1 := newEngine(t, rules, st, t0)
	for s := 0; s <= 40; s += 10 {
		at := t0.Add(time.Duration(s) * time.Second)
		e1.Observe(cpuBatch("h1", at, 0.9), at)
		e1.Eval(ctx, at)
	}
	if a := e1.Alerts(); len(a) != 1 || a[0].State != alert.Pending {
		t.Fatalf("before restart: %+v", a)
	}

	// Restart 5s later: the new engine continues from the store.
	e2 := newEngine(t, rules, st, t0.Add(45*time.Second))
	var fired time.Time
	for s := 50; s <= 120; s += 10 {
		at := t0.Add(time.Duration(s) * time.Second)
		e2.Observe(cpuBatch("h1", at, 0.9), at)
		out := e2.Eval(ctx, at)
		if len(out) == 1 && out[0].State == alert.Firing && fired.IsZero() {
			fired = at
		}
	}
	if want := t0.Add(60 * time.Second); !fired.Equal(want) {
		t.Fatalf("fired at %v, want the original deadline %v", fired, want)
	}
	firedAt := e2.Alerts()[0].FiredAt

	e3 := newEngine(t, rules, st, t0.Add(125*time.Second))
	for s := 130; s <= 150; s += 10 {
		at := t0.Add(time.Duration(s) * time.Second)
		e3.Observe(cpuBatch("h1", at, 0.9), at)
		e3.Eval(ctx, at)
	}
	a := e3.Alerts()
	if len(a) != 1 || a[0].State != alert.Firing || !a[0].FiredAt.Equal(firedAt) {
		t.Fatalf("after second restart: %+v, want firing since %v", a, firedAt)
	}
	if n := stateEvents(t, st, "fired"); n != 1 {
		t.Errorf("%d 'fired' history entries, want exactly 1 across restarts", n)
	}
}

// A firing alert of a host that stops reporting is held, never resolved, and
// after a restart HostDown still fires for a host known only from the store.
func TestHostDownFromStoreAfterRestart(t *testing.T) {
	ctx := context.Background()
	e, err := New(Options{Config: DefaultConfig(), Store: alert.NewMemStore()})
	if err != nil {
		t.Fatal(err)
	}
	t0 := testEpoch
	known := []KnownHost{{Name: "gone", LastSeen: t0.Add(-time.Hour), Interval: 10 * time.Second}}
	if err := e.Restore(ctx, known, t0); err != nil {
		t.Fatal(err)
	}
	out := e.Eval(ctx, t0)
	if len(out) != 1 || out[0].Name() != HostDownRule || out[0].Host() != "gone" || out[0].Severity != alert.Critical {
		t.Fatalf("Eval = %+v, want HostDown for gone", out)
	}
	if got := out[0].Annotations["summary"]; got != "gone has not reported for 1h0m0s" {
		t.Errorf("summary = %q", got)
	}
}

func TestTemplateErrorAtRunTimeGoesToHistory(t *testing.T) {
	// index on a missing key passes the load-time check (sample data has the
	// key) but fails here: the alert still fires, with the error as text.
	rules := cpuRuleWith(`        annotations:
          summary: '{{ index .Labels "alertname" | len | printf "%d" }} {{ template "nope" }}'`)
	if _, err := ParseFile("rules.yaml", []byte(rules)); err == nil {
		t.Fatal("a template calling an undefined template loaded")
	}
	rules = cpuRuleWith(`        annotations:
          summary: '{{ printf "%.1f" (index .Labels "zone" | len | printf "%d" | printf "%s" | len | printf "%d") }}{{ if gt .Value 0.95 }}{{ slice .Host 5 }}{{ end }}'`)
	st := alert.NewMemStore()
	e := newEngine(t, rules, st, testEpoch)
	e.Observe(cpuBatch("h1", testEpoch, 0.99), testEpoch)
	out := e.Eval(context.Background(), testEpoch)
	if len(out) != 1 || out[0].State != alert.Firing {
		t.Fatalf("Eval = %+v", out)
	}
	if s := out[0].Annotations["summary"]; !strings.HasPrefix(s, "template error: ") {
		t.Errorf("summary = %q, want the template error", s)
	}
	evs, _ := st.Events(context.Background(), alert.EventQuery{})
	found := false
	for _, ev := range evs {
		found = found || strings.HasPrefix(ev.Message, "annotation summary: ")
	}
	if !found {
		t.Errorf("no history entry for the template error in %+v", evs)
	}
}

func TestBadRuleFileNamesLineAndColumn(t *testing.T) {
	dir := t.TempDir()
	bad := `groups:
  - name: g
    rules:
      - alert: Disk Full
        field: system.filesystem.used.pct
        critical: "> 0.9"
        recover: "> 0.95"
        annotations:
          summary: "{{ .Lables.host }}"
      - alert: Other
        field: system.load.norm.1
        critical: "=> 1"
        bogus: 1
`
	path := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFiles([]string{"*.yaml"}, dir)
	var es config.Errors
	if !errors.As(err, &es) {
		t.Fatalf("LoadFiles error = %v, want config.Errors", err)
	}
	text := err.Error()
	for _, want := range []string{
		path + ":12:19:", // the bad condition
		path + ":13:9:",  // the unknown key
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q:\n%s", want, text)
		}
	}
	// Validation errors are reported once decoding succeeds; check them on a
	// file without decode errors.
	bad2 := strings.Replace(strings.Replace(bad, `"=> 1"`, `"> 1"`, 1), "        bogus: 1\n", "", 1)
	if err := os.WriteFile(path, []byte(bad2), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFiles([]string{"*.yaml"}, dir)
	text = err.Error()
	for _, want := range []string{
		path + ":4:9: groups[0].rules[0].alert: want a name like DiskFull",
		path + ":7:9: groups[0].rules[0].recover: firing uses >, so recover must use < or <=",
		path + `:9:11: groups[0].rules[0].annotations.summary: template: summary:1:10: executing "summary" at <.Lables.host>: can't evaluate field Lables`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q:\n%s", want, text)
		}
	}
}

func TestDuplicateAlertAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.yaml", "b.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(cpuRuleWith("")), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, err := LoadFiles([]string{"*.yaml"}, dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "b.yaml")+":5:9: groups[0].rules[0].alert: duplicate alert \"CPUHot\" (first defined in "+filepath.Join(dir, "a.yaml")) {
		t.Errorf("err = %v", err)
	}
}

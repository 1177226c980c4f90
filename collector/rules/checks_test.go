package rules

import (
	"context"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/model"
)

func checkBatch(host string, at time.Time, name string, state int, stateType string, attempt int) *model.Batch {
	return &model.Batch{Host: model.Host{Name: host}, Agent: model.Agent{IntervalMS: 10000},
		Checks: []model.CheckResult{{Timestamp: at.UnixMilli(), Name: name, State: state, StateType: stateType,
			Attempt: attempt, MaxAttempts: 3, Output: "DISK STATE " + stateType}}}
}

// checkAlert returns the Check alert of host/name as the API would show it.
func checkAlert(e *Engine, host, name string) (alert.Alert, bool) {
	for _, a := range e.Alerts() {
		if a.Rule == CheckRule && a.Labels[alert.LabelHost] == host && a.Labels[LabelCheck] == name {
			return a, true
		}
	}
	return alert.Alert{}, false
}

// Nagios semantics: SOFT problems are pending (visible, not notified), the
// HARD state fires, a HARD severity change is a change, OK resolves.
func TestCheckAlertSoftHardRecovery(t *testing.T) {
	ctx := context.Background()
	st := alert.NewMemStore()
	t0 := testEpoch
	e := newEngine(t, "groups: []\n", st, t0)
	steps := []struct {
		name      string
		state     int
		stateType string
		attempt   int
		want      alert.State // "" = no alert
		sev       alert.Severity
	}{
		{"disk", model.StateOK, "hard", 1, "", alert.SeverityNone},
		{"disk", model.StateCritical, "soft", 1, alert.Pending, alert.Critical},
		{"disk", model.StateCritical, "soft", 2, alert.Pending, alert.Critical},
		{"disk", model.StateCritical, "hard", 3, alert.Firing, alert.Critical},
		{"disk", model.StateWarning, "hard", 3, alert.Firing, alert.Warning},
		{"disk", model.StateUnknown, "hard", 3, alert.Firing, alert.Critical},
		{"disk", model.StateOK, "hard", 1, alert.Resolved, alert.Critical},
		{"load", model.StateWarning, "soft", 1, alert.Pending, alert.Warning},
		{"load", model.StateOK, "hard", 1, "", alert.SeverityNone}, // soft recovery: never announced
	}
	for i, s := range steps {
		now := t0.Add(time.Duration(i) * time.Minute)
		e.Observe(checkBatch("web-1", now, s.name, s.state, s.stateType, s.attempt), now)
		e.Eval(ctx, now)
		a, ok := checkAlert(e, "web-1", s.name)
		if s.want == "" {
			if ok && a.State != alert.Resolved {
				t.Fatalf("step %d: unexpected alert %+v", i, a)
			}
			continue
		}
		if !ok || a.State != s.want || a.Severity != s.sev {
			t.Fatalf("step %d: alert %+v (found %v), want %s %s", i, a, ok, s.want, s.sev)
		}
		if a.Annotations["output"] != "DISK STATE "+s.stateType || a.Annotations["state_type"] == "" {
			t.Fatalf("step %d: annotations %v", i, a.Annotations)
		}
	}
	if n := stateEvents(t, st, "fired"); n != 1 {
		t.Fatalf("fired %d times, want 1", n)
	}
	if n := stateEvents(t, st, "recovered"); n != 1 {
		t.Fatalf("recovered %d times, want 1", n)
	}
}

// Results replayed from a spool after an outage arrive together and are
// stepped in the order they ran: the alert ends in the newest state, and an
// episode that began and ended inside the outage is still recorded once.
func TestCheckAlertReplayInOrder(t *testing.T) {
	ctx := context.Background()
	st := alert.NewMemStore()
	t0 := testEpoch
	e := newEngine(t, "groups: []\n", st, t0)
	b := &model.Batch{Host: model.Host{Name: "web-1"}, Agent: model.Agent{IntervalMS: 10000}}
	for i, s := range []struct {
		state int
		typ   string
	}{{2, "hard"}, {0, "hard"}, {1, "soft"}} {
		r := checkBatch("web-1", t0.Add(time.Duration(i)*time.Minute), "disk", s.state, s.typ, 1).Checks[0]
		b.Checks = append([]model.CheckResult{r}, b.Checks...) // newest first: order must not matter
	}
	now := t0.Add(5 * time.Minute)
	e.Observe(b, now)
	e.Eval(ctx, now)
	a, ok := checkAlert(e, "web-1", "disk")
	if !ok || a.State != alert.Pending || a.Severity != alert.Warning {
		t.Fatalf("alert %+v, want pending warning", a)
	}
	if stateEvents(t, st, "fired") != 1 || stateEvents(t, st, "recovered") != 1 {
		t.Fatal("the episode inside the replay was not recorded once")
	}
}

// While the host is down its check alerts are held, not resolved; a check
// that is no longer reported is retired after stale_after.
func TestCheckAlertHostDownAndStale(t *testing.T) {
	ctx := context.Background()
	st := alert.NewMemStore()
	t0 := testEpoch
	e := newEngine(t, "groups: []\n", st, t0)
	e.Observe(checkBatch("web-1", t0, "disk", 2, "hard", 3), t0)
	e.Eval(ctx, t0)
	down := t0.Add(5 * time.Minute)
	e.Eval(ctx, down)
	a, ok := checkAlert(e, "web-1", "disk")
	if !ok || a.State != alert.Firing || a.Suppressed != "host_down" {
		t.Fatalf("while host down: %+v", a)
	}
	back := down.Add(time.Minute)
	e.Observe(cpuBatch("web-1", back, 0.1), back)
	e.Eval(ctx, back)
	if a, _ := checkAlert(e, "web-1", "disk"); a.State != alert.Firing || a.Suppressed != "" {
		t.Fatalf("host back: %+v", a)
	}
	for now := back; now.Before(back.Add(25 * time.Hour)); now = now.Add(time.Hour) {
		e.Observe(cpuBatch("web-1", now, 0.1), now)
		e.Eval(ctx, now)
	}
	if a, _ := checkAlert(e, "web-1", "disk"); a.State == alert.Firing {
		t.Fatalf("a check silent for a day still fires: %+v", a)
	}
	if stateEvents(t, st, "check no longer reported") != 1 {
		t.Fatal("retirement not recorded")
	}
}

// A flapping check is announced once as flapping, not on every change.
func TestCheckAlertFlapping(t *testing.T) {
	ctx := context.Background()
	st := alert.NewMemStore()
	t0 := testEpoch
	e := newEngine(t, "groups: []\n", st, t0)
	for i := range 30 {
		now := t0.Add(time.Duration(i) * time.Minute)
		state, typ := 2, "hard"
		if i%2 == 1 {
			state = 0
		}
		e.Observe(checkBatch("web-1", now, "api", state, typ, 1), now)
		e.Eval(ctx, now)
	}
	a, ok := checkAlert(e, "web-1", "api")
	if !ok || !a.Flapping {
		t.Fatalf("alert %+v, want flapping", a)
	}
	if n := stateEvents(t, st, "flapping started"); n != 1 {
		t.Fatalf("flapping started %d times, want 1", n)
	}
}

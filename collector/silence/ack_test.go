package silence

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

func ack(id string, sev alert.Severity) Ack {
	return Ack{AlertID: id, Severity: sev, Author: "alice", Comment: "on it",
		Labels: alert.Labels{"alertname": "DiskFull", "host": "web-1"}}
}

func acknowledge(t testing.TB, m *Manager, a Ack) Ack {
	t.Helper()
	got, err := m.Acknowledge(context.Background(), a)
	if err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	return got
}

// history returns the Messages of the store's events of kind, oldest first.
func history(t testing.TB, st alert.StateStore, kind alert.EventKind) []string {
	t.Helper()
	evs, err := st.Events(context.Background(), alert.EventQuery{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		out = append(out, evs[i].Message)
	}
	return out
}

func TestAckValidation(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Ack)
		want   []string
	}{
		{"no alert", func(a *Ack) { a.AlertID = "" }, []string{"alert_id is required"}},
		{"no severity", func(a *Ack) { a.Severity = alert.SeverityNone }, []string{"severity must be warning or critical"}},
		{"unknown severity", func(a *Ack) { a.Severity = 7 }, []string{"severity must be warning or critical"}},
		{"no author", func(a *Ack) { a.Author = "" }, []string{"author is required"}},
		{"no comment", func(a *Ack) { a.Comment = "\t" }, []string{"comment is required"}},
		{"expires now", func(a *Ack) { a.ExpiresAt = t0 }, []string{"expires_at must be in the future"}},
		{"everything wrong", func(a *Ack) { *a = Ack{ExpiresAt: t0.Add(-time.Hour)} }, []string{
			"alert_id", "severity", "author", "comment", "expires_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := alert.NewMemStore()
			m := newManager(t, st, &clock{t: t0}, Options{})
			a := ack("a1", alert.Critical)
			tt.change(&a)
			_, err := m.Acknowledge(context.Background(), a)
			var inv *InvalidError
			if !errors.As(err, &inv) || len(inv.Problems) != len(tt.want) {
				t.Fatalf("Acknowledge = %v, want *InvalidError with %d problems", err, len(tt.want))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if len(m.Acks(t0)) != 0 || len(history(t, st, EventAck)) != 0 {
				t.Error("an invalid acknowledgement was kept or recorded")
			}
		})
	}
}

// TestAckVoidOnSeverityChange: an ack covers one severity; once the alert is
// seen at another, the ack is gone for good, in memory at once and in the
// store after GC, and a new Manager does not load it.
func TestAckVoidOnSeverityChange(t *testing.T) {
	tests := []struct {
		name string
		seen alert.Severity
		why  string
	}{
		{"escalated", alert.Critical, "the alert is now critical"},
		{"resolved", alert.SeverityNone, "the alert resolved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st, c := alert.NewMemStore(), &clock{t: t0}
			m := newManager(t, st, c, Options{})
			a := acknowledge(t, m, ack("a1", alert.Warning))
			if !a.CreatedAt.Equal(t0) {
				t.Errorf("CreatedAt = %v, want t0", a.CreatedAt)
			}
			if got, ok := m.Acked("a1", alert.Warning, t0.Add(time.Minute)); !ok || got.Author != "alice" {
				t.Fatalf("Acked at the acknowledged severity = %+v, %v", got, ok)
			}
			if _, ok := m.Acked("a1", tt.seen, t0.Add(2*time.Minute)); ok {
				t.Error("Acked at another severity = true")
			}
			if _, ok := m.Acked("a1", alert.Warning, t0.Add(3*time.Minute)); ok {
				t.Error("the ack came back with the acknowledged severity")
			}
			if got := m.Acks(t0.Add(3 * time.Minute)); len(got) != 0 {
				t.Errorf("Acks lists a void ack: %+v", got)
			}
			if err := m.Unacknowledge(ctx, "a1", "bob"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Unacknowledge of a void ack = %v, want ErrNotFound", err)
			}

			if err := m.GC(ctx, t0.Add(5*time.Minute)); err != nil {
				t.Fatal(err)
			}
			if raw, _ := st.LoadState(ctx, alert.BucketAcks); len(raw) != 0 {
				t.Errorf("store still holds %d acks after GC", len(raw))
			}
			evs, _ := st.Events(ctx, alert.EventQuery{AlertID: "a1", Kind: EventAck})
			if len(evs) != 2 || !strings.Contains(evs[0].Message, tt.why) || !evs[0].Time.Equal(t0.Add(2*time.Minute)) ||
				evs[0].Labels["host"] != "web-1" || evs[0].Severity != alert.Warning {
				t.Errorf("history = %+v; want the ack and its end (%q, at t0+2m)", evs, tt.why)
			}
			m2 := newManager(t, st, c, Options{})
			if _, ok := m2.Acked("a1", alert.Warning, t0.Add(6*time.Minute)); ok {
				t.Error("a new Manager loaded the void ack")
			}
		})
	}
}

func TestAckExpiry(t *testing.T) {
	ctx := context.Background()
	st, c := alert.NewMemStore(), &clock{t: t0}
	m := newManager(t, st, c, Options{})
	a := ack("a1", alert.Critical)
	a.ExpiresAt = t0.Add(time.Hour)
	acknowledge(t, m, a)
	acknowledge(t, m, ack("a2", alert.Critical)) // no expiry

	if _, ok := m.Acked("a1", alert.Critical, t0.Add(time.Hour-time.Nanosecond)); !ok {
		t.Error("Acked just before expiry = false")
	}
	if _, ok := m.Acked("a1", alert.Critical, t0.Add(time.Hour)); ok {
		t.Error("Acked at expiry = true")
	}
	if got := m.Acks(t0.Add(time.Hour)); len(got) != 1 || got[0].AlertID != "a2" {
		t.Errorf("Acks after a1 expired = %+v", got)
	}
	if err := m.GC(ctx, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	raw, _ := st.LoadState(ctx, alert.BucketAcks)
	if _, ok := raw["a1"]; ok || len(raw) != 1 {
		t.Errorf("store after GC = %v, want only a2", raw)
	}
	if _, ok := m.Acked("a2", alert.Critical, t0.Add(1000*time.Hour)); !ok {
		t.Error("an ack without expiry ran out")
	}
	msgs := history(t, st, EventAck)
	if len(msgs) != 3 || msgs[2] != "acknowledgement by alice expired" {
		t.Errorf("history = %q", msgs)
	}
}

// TestReacknowledgeAfterVoid: a new ack for the same alert after the old one
// was voided is not deleted by the GC that removes the old one.
func TestReacknowledgeAfterVoid(t *testing.T) {
	ctx := context.Background()
	st, c := alert.NewMemStore(), &clock{t: t0}
	m := newManager(t, st, c, Options{})
	acknowledge(t, m, ack("a1", alert.Warning))
	m.Acked("a1", alert.Critical, t0.Add(time.Minute))
	c.set(t0.Add(2 * time.Minute))
	acknowledge(t, m, ack("a1", alert.Critical))
	if err := m.GC(ctx, t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Acked("a1", alert.Critical, t0.Add(4*time.Minute)); !ok {
		t.Error("the new ack is gone")
	}
	if raw, _ := st.LoadState(ctx, alert.BucketAcks); len(raw) != 1 {
		t.Errorf("store holds %d acks, want the new one", len(raw))
	}
}

func TestUnacknowledge(t *testing.T) {
	ctx := context.Background()
	st, c := alert.NewMemStore(), &clock{t: t0}
	m := newManager(t, st, c, Options{})
	acknowledge(t, m, ack("a1", alert.Critical))
	if err := m.Unacknowledge(ctx, "a1", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Acked("a1", alert.Critical, t0); ok {
		t.Error("Acked after Unacknowledge = true")
	}
	if raw, _ := st.LoadState(ctx, alert.BucketAcks); len(raw) != 0 {
		t.Errorf("store still holds %v", raw)
	}
	if err := m.Unacknowledge(ctx, "a1", "bob"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Unacknowledge = %v, want ErrNotFound", err)
	}
	msgs := history(t, st, EventAck)
	want := []string{"acknowledged (critical) by alice until its severity changes: on it", "acknowledgement by alice removed by bob"}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("history = %q, want %q", msgs, want)
	}
}

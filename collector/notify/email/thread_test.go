package email

import (
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
)

func TestThreadFor(t *testing.T) {
	fired := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) // 1767323045
	a := alert.Alert{ID: "0123456789abcdef", State: alert.Firing, Severity: alert.Warning, FiredAt: fired}
	b := alert.Alert{ID: "fedcba9876543210", State: alert.Firing, FiredAt: fired.Add(time.Minute)}
	const root = "<vigil.0123456789abcdef.1767323045@example.com>"
	const reply = "<vigil.0123456789abcdef.1767323045.u1@example.com>"
	notified := notify.Group{Notified: map[string]bool{a.ID: true}}
	with := func(change func(*alert.Alert)) alert.Alert {
		c := a
		change(&c)
		return c
	}
	tests := []struct {
		name   string
		g      notify.Group
		alerts []alert.Alert
		want   thread
	}{
		{"first firing is the root", notify.Group{}, []alert.Alert{a}, thread{MessageID: root}},
		{"first firing, other alerts notified", notify.Group{Notified: map[string]bool{b.ID: true}}, []alert.Alert{a}, thread{MessageID: root}},
		{"repeat replies", notified, []alert.Alert{a}, thread{MessageID: reply, Root: root}},
		{"severity change replies", notified, []alert.Alert{with(func(c *alert.Alert) { c.Severity = alert.Critical })}, thread{MessageID: reply, Root: root}},
		{"resolved replies", notified, []alert.Alert{with(func(c *alert.Alert) { c.State = alert.Resolved; c.ResolvedAt = fired.Add(time.Hour) })},
			thread{MessageID: reply, Root: root}},
		{"resolved never notified still replies", notify.Group{}, []alert.Alert{with(func(c *alert.Alert) { c.State = alert.Resolved })},
			thread{MessageID: reply, Root: root}},
		{"first alert keys a group", notify.Group{}, []alert.Alert{a, b}, thread{MessageID: root}},
		// Notified is per episode, so dispatch leaves a refired alert out of it.
		{"new episode is a new root", notify.Group{}, []alert.Alert{with(func(c *alert.Alert) { c.FiredAt = fired.Add(time.Hour) })},
			thread{MessageID: "<vigil.0123456789abcdef.1767326645@example.com>"}},
		{"odd ID characters", notify.Group{}, []alert.Alert{with(func(c *alert.Alert) { c.ID = "a b<c>@d" })},
			thread{MessageID: "<vigil.a_b_c__d.1767323045@example.com>"}},
		{"never fired", notify.Group{}, []alert.Alert{with(func(c *alert.Alert) { c.FiredAt = time.Time{} })},
			thread{MessageID: "<vigil.0123456789abcdef.0@example.com>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := threadFor(tt.g, tt.alerts, "example.com", "u1"); got != tt.want {
				t.Errorf("threadFor = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestUniqueToken(t *testing.T) {
	if a, b := uniqueToken(), uniqueToken(); a == b || len(a) != 16 {
		t.Errorf("uniqueToken gave %q and %q, want two different 16-hex-digit tokens", a, b)
	}
}

package dispatch

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

const (
	sec    = time.Second
	minute = time.Minute
)

// Scenarios over stepped time with the default route (group_wait 10s,
// group_interval 1m, repeat_interval 4h, resolve_wait 0) unless route is set.
// Every step is one engine round reporting all firing and resolved alerts.
func TestScenarios(t *testing.T) {
	cases := []struct {
		name  string
		route string
		steps []step
	}{
		{name: "group_wait batches two alerts into one notification", steps: []step{
			{at: 0, alerts: a(fire("a1"))},
			{at: 5 * sec, alerts: a(fire("a1"), fire("a2"))},
			{at: 9 * sec, alerts: a(fire("a1"), fire("a2"))},
			{at: 10 * sec, alerts: a(fire("a1"), fire("a2")), want: s("ops/email a1=firing/warning a2=firing/warning")},
			{at: 20 * sec, alerts: a(fire("a1"), fire("a2"))},
		}},
		{name: "group_interval holds a new alert, the notification shows the whole group", steps: []step{
			{at: 0, alerts: a(fire("a1"))},
			{at: 10 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			{at: 20 * sec, alerts: a(fire("a1"), fire("a2", firedAt(20*sec)))},
			{at: 69 * sec, alerts: a(fire("a1"), fire("a2", firedAt(20*sec)))},
			{at: 70 * sec, alerts: a(fire("a1"), fire("a2", firedAt(20*sec))), want: s("ops/email a1=firing/warning a2=firing/warning")},
			{at: 200 * sec, alerts: a(fire("a1"), fire("a2", firedAt(20*sec)))},
		}},
		{name: "a resolve is sent at once, once", steps: []step{
			{at: 0, alerts: a(fire("a1"), fire("a2"))},
			{at: 10 * sec, alerts: a(fire("a1"), fire("a2")), want: s("ops/email a1=firing/warning a2=firing/warning")},
			{at: 20 * sec, alerts: a(resolved("a1"), fire("a2")), want: s("ops/email a1=resolved a2=firing/warning")},
			{at: 30 * sec, alerts: a(resolved("a1"), fire("a2"))},
			{at: 5 * minute, alerts: a(resolved("a1"), fire("a2"))},
		}},
		{name: "resolved during group_wait: nothing is sent", steps: []step{
			{at: 0, alerts: a(fire("a1"))},
			{at: 5 * sec, alerts: a(resolved("a1"))},
			{at: 10 * sec, alerts: a(resolved("a1"))},
			{at: 2 * minute, alerts: a(resolved("a1"))},
		}},
		{name: "a resolve waits resolve_wait after the last notification", route: "route:\n  receiver: ops\n  resolve_wait: 30s\n", steps: []step{
			{at: 0, alerts: a(fire("a1"), fire("a2"))},
			{at: 10 * sec, alerts: a(fire("a1"), fire("a2")), want: s("ops/email a1=firing/warning a2=firing/warning")},
			{at: 20 * sec, alerts: a(resolved("a1"), fire("a2"))},
			{at: 30 * sec, alerts: a(resolved("a1"), resolved("a2"))},
			{at: 40 * sec, alerts: a(resolved("a1"), resolved("a2")), want: s("ops/email a1=resolved a2=resolved")},
		}},
		{name: "a refused resolve is tried again after group_interval, not at every tick", steps: []step{
			{at: 0, alerts: a(fire("a1"))},
			{at: 10 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			{at: 20 * sec, do: func(h *harness) { h.email().answer(result{err: err400}) }, alerts: a(resolved("a1")), want: s("ops/email a1=resolved")},
			{at: 21 * sec, alerts: a(resolved("a1"))},
			{at: 79 * sec, alerts: a(resolved("a1"))},
			{at: 80 * sec, alerts: a(resolved("a1")), want: s("ops/email a1=resolved")},
			{at: 81 * sec, alerts: a(resolved("a1"))},
		}},
		{name: "repeat after repeat_interval, not before", steps: []step{
			{at: 0, alerts: a(fire("a1"))},
			{at: 10 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			{at: 4*time.Hour + 9*sec, alerts: a(fire("a1"))},
			{at: 4*time.Hour + 10*sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			{at: 4*time.Hour + 11*sec, alerts: a(fire("a1"))},
			{at: 8*time.Hour + 10*sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
		}},
		{name: "ack stops repeats; a severity change is sent and breaks the ack", steps: []step{
			{at: 0, alerts: a(fire("a1"))},
			{at: 10 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			{at: 1 * minute, do: func(h *harness) { h.sil.ack("a1", alert.Warning) }, alerts: a(fire("a1"))},
			{at: 4*time.Hour + 10*sec, alerts: a(fire("a1"))},
			{at: 6 * time.Hour, alerts: a(fire("a1", critical)), want: s("ops/email a1=firing/critical")},
			{at: 10*time.Hour - sec, alerts: a(fire("a1", critical))},
			{at: 10 * time.Hour, alerts: a(fire("a1", critical)), want: s("ops/email a1=firing/critical")},
		}},
		{name: "an acked alert rides along when its group notifies about another", steps: []step{
			{at: 0, alerts: a(fire("a1"))},
			{at: 10 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			{at: 20 * sec, do: func(h *harness) { h.sil.ack("a1", alert.Warning) }, alerts: a(fire("a1"), fire("a2"))},
			{at: 70 * sec, alerts: a(fire("a1"), fire("a2")), want: s("ops/email a1=firing/warning a2=firing/warning")},
			{at: 4*time.Hour + 70*sec, alerts: a(fire("a1"), fire("a2")), want: s("ops/email a1=firing/warning a2=firing/warning")},
		}},
		{name: "a silence holds; lifted while firing, the alert is sent", steps: []step{
			{at: 0, do: func(h *harness) { h.sil.silence("a1", true) }, alerts: a(fire("a1"), fire("a2"))},
			{at: 10 * sec, alerts: a(fire("a1"), fire("a2")), want: s("ops/email a2=firing/warning")},
			{at: 30 * sec, do: func(h *harness) { h.sil.silence("a1", false) }, alerts: a(fire("a1"), fire("a2"))},
			{at: 69 * sec, alerts: a(fire("a1"), fire("a2"))},
			{at: 70 * sec, alerts: a(fire("a1"), fire("a2")), want: s("ops/email a1=firing/warning a2=firing/warning")},
		}},
		{name: "silenced from start to resolve: nothing is sent", steps: []step{
			{at: 0, do: func(h *harness) { h.sil.silence("a1", true) }, alerts: a(fire("a1"))},
			{at: 10 * sec, alerts: a(fire("a1"))},
			{at: 20 * sec, alerts: a(resolved("a1"))},
			{at: 30 * sec, do: func(h *harness) { h.sil.silence("a1", false) }, alerts: a(resolved("a1"))},
			{at: 2 * minute, alerts: a(resolved("a1"))},
		}},
		{name: "a silence does not hold the resolve of an announced alert", steps: []step{
			{at: 0, alerts: a(fire("a1"))},
			{at: 10 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			{at: 20 * sec, do: func(h *harness) { h.sil.silence("a1", true) }, alerts: a(fire("a1"))},
			{at: 5 * time.Hour, alerts: a(fire("a1"))},
			{at: 5*time.Hour + sec, alerts: a(resolved("a1")), want: s("ops/email a1=resolved")},
		}},
		{name: "suppressed (host_down) holds without resolving", steps: []step{
			{at: 0, alerts: a(fire("a1"))},
			{at: 10 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			{at: 20 * sec, alerts: a(fire("a1", hostDown))},
			{at: 5 * time.Hour, alerts: a(fire("a1", hostDown))},
			{at: 5*time.Hour + 10*sec, alerts: a(resolved("a1", hostDown))},
			// Back up and still firing: a repeat is due.
			{at: 5*time.Hour + 20*sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			{at: 5*time.Hour + 30*sec, alerts: a(resolved("a1", hostDown))},
			{at: 5*time.Hour + 40*sec, alerts: a(resolved("a1")), want: s("ops/email a1=resolved")},
		}},
		{name: "flapping: one notification for the whole period, then the final state", steps: []step{
			{at: 0, alerts: a(fire("a1"))},
			{at: 10 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			{at: 80 * sec, alerts: a(fire("a1", flapping, firedAt(80*sec))), want: s("ops/email a1=firing/warning/flapping")},
			{at: 90 * sec, alerts: a(fire("a1", flapping, firedAt(80*sec), critical))},
			{at: 10 * minute, alerts: a(fire("a1", flapping, firedAt(80*sec), critical))},
			{at: 20 * minute, alerts: a(resolved("a1", firedAt(80*sec))), want: s("ops/email a1=resolved")},
		}},
		{name: "flapping that settles firing is announced as firing", steps: []step{
			{at: 0, alerts: a(fire("a1", flapping))},
			{at: 10 * sec, alerts: a(fire("a1", flapping)), want: s("ops/email a1=firing/warning/flapping")},
			{at: 5 * minute, alerts: a(fire("a1", flapping, critical))},
			{at: 10 * minute, alerts: a(fire("a1", critical)), want: s("ops/email a1=firing/critical")},
		}},
		{name: "a new episode is a change", steps: []step{
			{at: 0, alerts: a(fire("a1"))},
			{at: 10 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			{at: 20 * sec, alerts: a(resolved("a1")), want: s("ops/email a1=resolved")},
			// The next round drops the announced resolve and with it the
			// group, so the new episode waits group_wait in a new group.
			{at: 30 * sec, alerts: a(resolved("a1"))},
			{at: 40 * sec, alerts: a(fire("a1", firedAt(40*sec)))},
			{at: 50 * sec, alerts: a(fire("a1", firedAt(40*sec))), want: s("ops/email a1=firing/warning")},
		}},
		{name: "routing: matchers, continue and inheritance", route: `
route:
  receiver: ops
  group_wait: 20s
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      group_wait: 0s
      continue: true
    - matchers: ['team="db"']
      receiver: db
`, steps: []step{
			{at: 0, alerts: a(
				fire("web", critical, labels("severity", "critical")),
				fire("db", critical, labels("severity", "critical", "team", "db")),
				fire("other")),
				want: s("pager/pagerduty db=firing/critical web=firing/critical")},
			{at: 20 * sec, alerts: a(
				fire("web", critical, labels("severity", "critical")),
				fire("db", critical, labels("severity", "critical", "team", "db")),
				fire("other")),
				want: s("db/email db=firing/critical", "ops/email other=firing/warning")},
		}},
		{name: `group_by "..." gives each alert its own group`, route: "route:\n  receiver: ops\n  group_by: ['...']\n", steps: []step{
			{at: 0, alerts: a(fire("a1"), fire("a2"))},
			{at: 10 * sec, alerts: a(fire("a1"), fire("a2")), want: s("ops/email a1=firing/warning", "ops/email a2=firing/warning")},
		}},
		{name: "a receiver with two integrations notifies each", route: "route:\n  receiver: team\n", steps: []step{
			{at: 0, alerts: a(fire("a1"))},
			{at: 10 * sec, alerts: a(fire("a1")), want: s("team/email a1=firing/warning", "team/webhook a1=firing/warning")},
			{at: 20 * sec, alerts: a(resolved("a1")), want: s("team/email a1=resolved", "team/webhook a1=resolved")},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				route := c.route
				if route == "" {
					route = defaultRouteYAML
				}
				newHarness(t, route).run(c.steps)
			})
		})
	}
}

func a(as ...alert.Alert) []alert.Alert { return as }
func s(ss ...string) []string           { return ss }

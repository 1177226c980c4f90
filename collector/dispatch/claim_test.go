package dispatch

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/alert/alerttest"
)

// sharedPair is two collectors' dispatchers on one shared store.
func sharedPair(t *testing.T) (a, b *harness) {
	shared := alerttest.NewShared()
	a, b = newHarness(t, defaultRouteYAML), newHarness(t, defaultRouteYAML)
	for i, h := range []*harness{a, b} {
		h.d.Stop()
		h.opts.Store = shared.View()
		h.opts.Owner = []string{"collector-a", "collector-b"}[i]
		h.start()
	}
	return a, b
}

// Two collectors on a shared store see the same alerts and flush at nearly
// the same time: each transition is sent once, by whichever claims first.
func TestSharedStoreSendsOncePerTransition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := sharedPair(t)
		var total []string
		round := func(at time.Duration, alerts ...alert.Alert) {
			now := t0.Add(at)
			first, second := a, b
			if int(at/time.Second)%20 == 10 {
				first, second = b, a
			}
			for _, h := range []*harness{first, second} {
				h.d.Process(now, alerts)
			}
			for _, h := range []*harness{first, second} {
				h.d.Tick(context.Background(), now)
				synctest.Wait()
				now = now.Add(200 * time.Millisecond)
			}
			total = append(total, a.sent()...)
			total = append(total, b.sent()...)
		}
		round(0, fire("a1"))
		round(10*sec, fire("a1"))
		round(20*sec, resolved("a1"))
		round(30*sec, resolved("a1"))
		want := []string{"ops/email a1=firing/warning", "ops/email a1=resolved"}
		if !slices.Equal(total, want) {
			t.Fatalf("sent %q, want each transition once: %q", total, want)
		}
	})
}

// A collector that claimed a notification and died before sending it holds
// the others off only until the claim's lease runs out; then one of them
// sends (at the group's next flush, group_interval after the held one): at
// least once, never lost.
func TestExpiredClaimIsTakenOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := alerttest.NewShared()
		dead := shared.View()
		e := logEntry{Claim: &claim{Owner: "collector-dead", Until: t0.Add(time.Minute), State: alert.Firing, FiredAt: t0}}
		b, _ := encodeEntry(e)
		if err := dead.SaveState(context.Background(), alert.BucketNotifyLog, map[string][]byte{"ops/email/a1": b}, nil, nil); err != nil {
			t.Fatal(err)
		}
		h := newHarness(t, defaultRouteYAML)
		h.d.Stop()
		h.opts.Store = shared.View()
		h.opts.Owner = "collector-b"
		h.start()
		h.run([]step{
			{at: 0, alerts: []alert.Alert{fire("a1")}},
			{at: 30 * sec, alerts: []alert.Alert{fire("a1")}},
			{at: 61 * sec, alerts: []alert.Alert{fire("a1")}},
			{at: 5*time.Minute + 10*sec, alerts: []alert.Alert{fire("a1")}, want: s("ops/email a1=firing/warning")},
			{at: 5*time.Minute + 20*sec, alerts: []alert.Alert{fire("a1")}},
		})
	})
}

// The collector that lost the claim on a firing still sends its resolve when
// the winner is gone, though it never read back the winner's delivery.
func TestResolveAfterWinnerDied(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := sharedPair(t)
		// a's send is slow: b tries while a holds the claim, and only ever
		// sees the claim, not the delivery.
		release := make(chan struct{})
		a.notifiers["ops/email"].setBlock(release)
		for _, at := range []time.Duration{0, 10 * sec} {
			for _, h := range []*harness{a, b} {
				h.d.Process(t0.Add(at), []alert.Alert{fire("a1")})
			}
			for _, h := range []*harness{a, b} {
				h.d.Tick(context.Background(), t0.Add(at))
				synctest.Wait()
			}
		}
		close(release)
		synctest.Wait()
		if got := append(a.sent(), b.sent()...); !slices.Equal(got, s("ops/email a1=firing/warning")) {
			t.Fatalf("firing sent %q, want once", got)
		}
		a.d.Stop() // the winner dies
		// b's first claim on the resolve reads a's delivery (a conflict: b
		// only knew a's claim), the next one wins.
		b.run([]step{
			{at: 20 * sec, alerts: []alert.Alert{resolved("a1")}},
			{at: 21 * sec, alerts: []alert.Alert{resolved("a1")}, want: s("ops/email a1=resolved")},
			{at: 30 * sec, alerts: []alert.Alert{resolved("a1")}},
		})
	})
}

package rules

import (
	"context"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/alert/alerttest"
)

// Two collectors on one shared store, fed the same samples and evaluating a
// little apart, record each transition once: the one that writes first wins,
// the other adopts its state (with its FiredAt) instead of writing its own.
func TestSharedStoreOneTransitionPerEpisode(t *testing.T) {
	ctx := context.Background()
	shared := alerttest.NewShared()
	t0 := testEpoch
	rules := cpuRuleWith("        for: 0s")
	a := newEngine(t, rules, shared.View(), t0)
	b := newEngine(t, rules, shared.View(), t0)
	values := []float64{0.9, 0.9, 0.1, 0.1, 0.95, 0.95, 0.2}
	for i, v := range values {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		a.Observe(cpuBatch("h1", at, v), at)
		b.Observe(cpuBatch("h1", at, v), at)
		// The winner alternates: a evaluates first on even steps, b on odd.
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		first.Eval(ctx, at)
		second.Eval(ctx, at.Add(300*time.Millisecond))
		fa, fb := a.Alerts(), b.Alerts()
		if len(fa) != len(fb) {
			t.Fatalf("step %d: collectors disagree: %+v vs %+v", i, fa, fb)
		}
		for j := range fa {
			if fa[j].State != fb[j].State || !fa[j].FiredAt.Equal(fb[j].FiredAt) {
				t.Errorf("step %d: a has %s since %v, b %s since %v", i, fa[j].State, fa[j].FiredAt, fb[j].State, fb[j].FiredAt)
			}
		}
	}
	count := map[string]int{}
	for _, e := range shared.Events() {
		if e.Kind == alert.EventState {
			count[e.Message]++
		}
	}
	// Two episodes: each fired once and recovered once, across both collectors.
	if count["fired"] != 2 || count["recovered"] != 2 {
		t.Errorf("history %v, want 2 fired and 2 recovered across both collectors", count)
	}
}

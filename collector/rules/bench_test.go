package rules

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/model"
)

// benchRules writes n rules over ten fields: half take the last value, half
// average a 5 minute window; all have hysteresis.
func benchRules(n int) string {
	var b strings.Builder
	b.WriteString("groups:\n  - name: bench\n    rules:\n")
	for i := 0; i < n; i++ {
		agg := ""
		if i%2 == 1 {
			agg = "        aggregate: avg\n        window: 5m\n"
		}
		fmt.Fprintf(&b, "      - alert: R%d\n        field: bench.f%d.pct\n%s        warning: \"> 0.8\"\n        critical: \"> 0.9\"\n        recover: \"< 0.7\"\n        for: 1m\n",
			i, i%10, agg)
	}
	return b.String()
}

// BenchmarkEval is one evaluation of 20 rules on 1,000 hosts (20,000
// rule×host pairs, each series with 5 minutes of 10s samples). ns/pair is the
// cost of one rule on one host.
func BenchmarkEval(b *testing.B) {
	const hosts, rules = 1000, 20
	set, err := ParseFile("bench.yaml", []byte(benchRules(rules)))
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(Options{Rules: set, Config: DefaultConfig()})
	if err != nil {
		b.Fatal(err)
	}
	t0 := testEpoch
	if err := e.Restore(context.Background(), nil, t0); err != nil {
		b.Fatal(err)
	}
	var now time.Time
	for step := 0; step < 30; step++ {
		now = t0.Add(time.Duration(step) * 10 * time.Second)
		for h := 0; h < hosts; h++ {
			values := map[string]float64{}
			for f := 0; f < 10; f++ {
				values[fmt.Sprintf("bench.f%d.pct", f)] = float64((h*7+f*13+step)%100) / 100
			}
			e.Observe(&model.Batch{Host: model.Host{Name: fmt.Sprintf("host-%04d", h)}, Agent: model.Agent{IntervalMS: 10000},
				Events: []model.Event{{Timestamp: now.UnixMilli(), Values: values}}}, now)
		}
		e.Eval(context.Background(), now)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Eval(context.Background(), now.Add(time.Duration(i%10)*time.Second))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(hosts*rules), "ns/pair")
}

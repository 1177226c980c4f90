package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/testutil/peers"
)

const latencyRules = `groups:
  - name: latency
    rules:
      - alert: LatFor0
        field: system.cpu.total.norm.pct
        critical: "> 0.9"
      - alert: LatFor10
        field: system.load.norm.1
        critical: "> 0.9"
        for: 10s
`

// BenchmarkBreachToEmail measures, through the real collector binary and a real
// SMTP server, the time from posting a breaching sample to the email landing
// in maildev, for rules with for: 0s and for: 10s (minus the 10s). Default
// evaluation_interval (1s), group_wait 0s. Each run sends 24 alerts per rule
// on distinct hosts, so each is its own group and email.
func BenchmarkBreachToEmail(b *testing.B) {
	md := peers.Maildev(b)
	dir := b.TempDir()
	listen := freePort(b)
	api := "http://" + listen
	if err := os.MkdirAll(filepath.Join(dir, "rules"), 0o750); err != nil {
		b.Fatal(err)
	}
	writeFile(b, filepath.Join(dir, "rules", "lat.yaml"), latencyRules)
	writeFile(b, filepath.Join(dir, "tokens"), "bench "+e2eToken+"\n")
	cfg := filepath.Join(dir, "collector.yaml")
	writeFile(b, cfg, fmt.Sprintf(`listen: %q
tokens_file: %q
store:
  sqlite:
    path: %q
alerting:
  rule_files: [rules/*.yaml]
route:
  receiver: mail
  group_wait: 0s
receivers:
  - name: mail
    email_configs:
      - smarthost: %q
        from: vigil@example.test
        to: [ops@example.test]
        tls: none
`, listen, filepath.Join(dir, "tokens"), filepath.Join(dir, "vigil.db"), md.SMTPAddr()))
	start(b, "vigil-collector", "-config", cfg)
	deadline := time.Now().Add(20 * time.Second)
	for httpStatus(api+"/healthz") != 200 {
		if time.Now().After(deadline) {
			b.Fatal("collector did not come up")
		}
		time.Sleep(20 * time.Millisecond)
	}

	const perRule = 24
	type rule struct {
		name, field string
		hold        time.Duration
	}
	var report []string
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, r := range []rule{{"LatFor0", "system.cpu.total.norm.pct", 0}, {"LatFor10", "system.load.norm.1", 10 * time.Second}} {
			sent := map[string]time.Time{}
			for k := 0; k < perRule; k++ {
				host := fmt.Sprintf("lat-%d-%s-%d", i, r.name, k)
				body, _ := json.Marshal(map[string]any{"agent_id": host, "seq": 1, "agent": map[string]any{"version": "bench", "interval_ms": 60000},
					"host": map[string]any{"name": host}, "events": []any{map[string]any{"ts": time.Now().UnixMilli(),
						"dataset": "bench", "values": map[string]float64{r.field: 0.99}}}})
				sent[host] = time.Now()
				if status, resp := postRaw(api+"/api/v1/ingest", e2eToken, "", body); status != 200 {
					b.Fatalf("ingest: %d %s", status, resp)
				}
				time.Sleep(137 * time.Millisecond) // spread over the evaluation interval, not synchronisation
			}
			lat := collectLatencies(b, md, sent, r.hold)
			report = append(report, fmt.Sprintf("%s (for %s): p50 %s p99 %s max %s over %d alerts",
				r.name, r.hold, pct(lat, 50), pct(lat, 99), lat[len(lat)-1], len(lat)))
			b.ReportMetric(float64(pct(lat, 50).Milliseconds()), r.name+"-p50-ms")
			b.ReportMetric(float64(pct(lat, 99).Milliseconds()), r.name+"-p99-ms")
		}
	}
	b.StopTimer()
	for _, line := range report {
		b.Log(line)
	}
}

// collectLatencies waits for one email per host and returns arrival minus send
// time, minus the rule's hold, sorted.
func collectLatencies(b *testing.B, md *peers.MaildevServer, sent map[string]time.Time, hold time.Duration) []time.Duration {
	got := map[string]time.Duration{}
	deadline := time.Now().Add(hold + 60*time.Second)
	for len(got) < len(sent) {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d emails arrived", len(got), len(sent))
		}
		emails, err := md.Emails(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range emails {
			for host, at := range sent {
				if _, done := got[host]; !done && strings.HasSuffix(e.Subject, " "+host) {
					got[host] = e.Time.Sub(at) - hold
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	out := make([]time.Duration, 0, len(got))
	for _, d := range got {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))].Round(time.Millisecond)
}

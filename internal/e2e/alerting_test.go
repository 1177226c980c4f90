package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/testutil/peers"
)

// alertRig is a real collector with one threshold rule whose notifications go
// to a real SMTP server (maildev) and a real SES API (aws-ses-v2-local).
type alertRig struct {
	*rig
	seq int
}

const hotRule = `groups:
  - name: e2e
    rules:
      - alert: CPUHot
        field: system.cpu.total.norm.pct
        critical: "> 0.9"
        recover: "< 0.5"
        annotations:
          summary: "CPU on {{ .Host }} at {{ pct .Value }}"
`

func newAlertRig(t *testing.T, receivers string) *alertRig {
	r := newRig(t, time.Second)
	if err := os.MkdirAll(filepath.Join(r.dir, "rules"), 0o750); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(r.dir, "rules", "e2e.yaml"), hotRule)
	cfg := fmt.Sprintf(`listen: %q
tokens_file: %q
store:
  sqlite:
    path: %q
alerting:
  rule_files: [rules/*.yaml]
  evaluation_interval: 200ms
route:
  receiver: ops
  group_wait: 0s
receivers:
  - name: ops
%s
log:
  level: debug
`, strings.TrimPrefix(r.api, "http://"), filepath.Join(r.dir, "tokens"), r.db, receivers)
	writeFile(t, r.collectorCfg, cfg)
	return &alertRig{rig: r}
}

// send posts one sample of the rule's field for host e2e-host.
func (r *alertRig) send(v float64) {
	r.t.Helper()
	r.seq++
	b, _ := json.Marshal(map[string]any{"agent_id": "e2e-alert-agent", "seq": r.seq, "agent": map[string]any{"version": "x", "interval_ms": 60000},
		"host": map[string]any{"name": "e2e-host"}, "events": []any{map[string]any{"ts": time.Now().UnixMilli(),
			"dataset": "system.cpu", "values": map[string]float64{"system.cpu.total.norm.pct": v}}}})
	if status, body := postRaw(r.api+"/api/v1/ingest", e2eToken, "", b); status != 200 {
		r.t.Fatalf("ingest: %d %s", status, body)
	}
}

func (r *alertRig) notified(integration, result string) float64 {
	return metric(r.api+"/metrics", fmt.Sprintf(`vigil_collector_notifications_total{integration=%q,receiver="ops",result=%q}`, integration, result))
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
}

// A breach produces exactly one firing email (SMTP and SES), a restart of the
// collector while it fires sends nothing again, and the recovery produces
// exactly one resolved email threaded under the firing one.
func TestBreachToInboxAndResolveThreaded(t *testing.T) {
	md := peers.Maildev(t)
	ses := peers.SESLocal(t)
	r := newAlertRig(t, fmt.Sprintf(`    email_configs:
      - smarthost: %q
        from: vigil@example.test
        to: [ops@example.test]
        tls: none
    ses_configs:
      - region: us-east-1
        endpoint: %q
        access_key_id: AKIAE2EFAKEFAKE
        secret_access_key: e2e-fake-secret
        from: vigil@example.test
        to: [ops@example.test]
        max_send_rate: 100`, md.SMTPAddr(), ses.Endpoint()))
	col := r.startCollector()

	r.send(0.2)
	r.send(0.97)
	fired := md.WaitEmails(t, 1, 30*time.Second)
	sesFired := ses.WaitEmails(t, 1, 30*time.Second)
	if !strings.HasPrefix(fired[0].Subject, "[FIRING:1 critical] CPUHot e2e-host") || !strings.Contains(fired[0].Text, "CPU on e2e-host at 97.0%") {
		t.Errorf("firing email: subject %q text %q", fired[0].Subject, fired[0].Text)
	}
	if sesFired[0].Subject != fired[0].Subject || sesFired[0].To[0] != "ops@example.test" {
		t.Errorf("SES email: %+v", sesFired[0])
	}
	waitFor(t, "both deliveries counted", 10*time.Second, func() bool {
		return r.notified("email[0]", "ok") == 1 && r.notified("ses[0]", "ok") == 1
	})

	// Restart while firing: the alert and its notification log come back from
	// the store and nothing is sent again.
	if err := col.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("collector exit: %v", err)
	}
	r.startCollector()
	var alerts []struct {
		State, Severity string
		ID              string
	}
	getJSON(t, r.api+"/api/v1/alerts", &alerts)
	if len(alerts) != 1 || alerts[0].State != "firing" {
		t.Fatalf("after restart /api/v1/alerts = %+v, want the firing alert restored", alerts)
	}
	r.send(0.97) // fresh data: evaluated again after the restart
	start := metric(r.api+"/metrics", "vigil_collector_alerting_cycles_total")
	waitFor(t, "20 alerting cycles after the restart", 30*time.Second, func() bool {
		return metric(r.api+"/metrics", "vigil_collector_alerting_cycles_total") >= start+20
	})
	if n := r.notified("email[0]", "ok") + r.notified("ses[0]", "ok"); n != 0 {
		t.Errorf("restarted collector sent %v notifications for an alert already announced", n)
	}

	r.send(0.7) // between recover and critical: hysteresis keeps it firing
	r.send(0.1)
	all := md.WaitEmails(t, 2, 30*time.Second)
	ses.WaitEmails(t, 2, 30*time.Second)
	waitFor(t, "resolved deliveries counted", 10*time.Second, func() bool {
		return r.notified("email[0]", "ok") == 1 && r.notified("ses[0]", "ok") == 1
	})
	ctx := context.Background()
	final, err := md.Emails(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(final) != 2 {
		t.Fatalf("maildev holds %d emails, want exactly 2 (firing, resolved)", len(final))
	}
	sesAll, err := ses.Emails(ctx)
	if err != nil || len(sesAll) != 2 {
		t.Fatalf("SES store holds %d emails (%v), want exactly 2", len(sesAll), err)
	}
	var firing, resolved peers.Email
	for _, e := range all {
		if strings.HasPrefix(e.Subject, "[RESOLVED]") {
			resolved = e
		} else {
			firing = e
		}
	}
	if resolved.Subject == "" || firing.MessageID == "" {
		t.Fatalf("want one firing and one resolved email, got %q and %q", all[0].Subject, all[1].Subject)
	}
	if resolved.InReplyTo != firing.MessageID || !strings.Contains(resolved.References, firing.MessageID) {
		t.Errorf("resolved email In-Reply-To %q References %q, want the firing Message-ID %q",
			resolved.InReplyTo, resolved.References, firing.MessageID)
	}

	// History: every state change and every send attempt.
	var hist []struct {
		Kind, To, Integration, Result string
	}
	getJSON(t, r.api+"/api/v1/alerts/history?host=e2e-host", &hist)
	var states, sends []string
	for _, h := range hist {
		if h.Kind == "state" {
			states = append(states, h.To)
		} else if h.Kind == "notify" {
			sends = append(sends, h.Integration+":"+h.Result)
		}
	}
	if strings.Join(states, ",") != "resolved,firing,pending" {
		t.Errorf("state history (newest first) = %v", states)
	}
	if len(sends) != 4 {
		t.Errorf("send history = %v, want 4 ok attempts", sends)
	}
}

// An unreachable SMTP server never stops the collector: the failed attempts
// are in the history and the alert stays visible.
func TestUnreachableSMTPShowsInHistory(t *testing.T) {
	dead := freePort(t)
	r := newAlertRig(t, fmt.Sprintf(`    email_configs:
      - smarthost: %q
        from: vigil@example.test
        to: [ops@example.test]
        tls: none
        timeout: 2s`, dead))
	r.startCollector()
	r.send(0.99)
	type event struct {
		Kind, Result, Error, Integration string
	}
	var hist []event
	waitFor(t, "a failed send attempt in the history", 30*time.Second, func() bool {
		hist = nil
		getJSON(t, r.api+"/api/v1/alerts/history?kind=notify", &hist)
		return len(hist) > 0
	})
	if h := hist[0]; h.Result != "retry" || !strings.Contains(h.Error, dead) {
		t.Errorf("history entry %+v, want a retry naming %s", h, dead)
	}
	if httpStatus(r.api+"/healthz") != 200 {
		t.Fatal("collector stopped serving")
	}
}

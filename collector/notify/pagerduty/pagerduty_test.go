package pagerduty

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
)

const testKey = "R0UT1NGk3y0123456789abcdefABCDEF"

var firedAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// fixture is a firing DiskFull alert on web-1's /var.
func fixture(id string, state alert.State) alert.Alert {
	a := alert.Alert{
		ID:   id,
		Rule: "DiskFull",
		Labels: alert.Labels{
			alert.LabelAlertname: "DiskFull", alert.LabelHost: "web-1", "mount_point": "/var",
		},
		Annotations: map[string]string{"summary": "/var on web-1 is 93% full"},
		State:       state,
		Severity:    alert.Critical,
		Value:       0.93,
		FiredAt:     firedAt,
	}
	if state == alert.Resolved {
		a.ResolvedAt = firedAt.Add(time.Hour)
	}
	return a
}

func testConfig(url string) Config {
	cfg := defaultConfig()
	cfg.URL = url + "/v2/enqueue"
	cfg.RoutingKey = testKey
	return cfg
}

func newNotifier(t *testing.T, cfg Config, log *slog.Logger) *Notifier {
	t.Helper()
	n, err := New(cfg, nil, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

func TestNotifyEvents(t *testing.T) {
	long := strings.Repeat("é", 2000)
	tests := []struct {
		name  string
		group notify.Group
		alert func() alert.Alert
		want  map[string]any // expected JSON event, routing_key left out
	}{
		{
			name:  "firing critical",
			alert: func() alert.Alert { return fixture("a1", alert.Firing) },
			want: map[string]any{
				"event_action": "trigger", "dedup_key": "a1", "client": "Vigil",
				"payload": map[string]any{
					"summary": "/var on web-1 is 93% full", "source": "web-1", "severity": "critical",
					"timestamp": "2025-03-04T05:06:07Z", "component": "/var", "group": "DiskFull", "class": "DiskFull",
					"custom_details": map[string]any{
						"alert_id":    "a1",
						"value":       0.93,
						"labels":      map[string]any{"alertname": "DiskFull", "host": "web-1", "mount_point": "/var"},
						"annotations": map[string]any{"summary": "/var on web-1 is 93% full"},
					},
				},
			},
		},
		{
			name:  "resolved",
			alert: func() alert.Alert { return fixture("a1", alert.Resolved) },
			want:  map[string]any{"event_action": "resolve", "dedup_key": "a1", "client": "Vigil"},
		},
		{
			name:  "flapping warning without host, summary or annotations",
			group: notify.Group{ExternalURL: "https://vigil.example.com/"},
			alert: func() alert.Alert {
				a := fixture("a2", alert.Firing)
				a.Labels = alert.Labels{alert.LabelAlertname: "Load", "name": "eth0"}
				a.Annotations = nil
				a.Rule = ""
				a.Severity = alert.Warning
				a.Flapping = true
				a.Value = 3
				a.FiredAt = time.Time{}
				return a
			},
			want: map[string]any{
				"event_action": "trigger", "dedup_key": "a2", "client": "Vigil",
				"client_url": "https://vigil.example.com/",
				"links":      []any{map[string]any{"href": "https://vigil.example.com/api/v1/alerts", "text": "Vigil active alerts"}},
				"payload": map[string]any{
					"summary": "FLAPPING: Load (value 3)", "source": "vigil", "severity": "warning",
					"component": "eth0", "group": "Load", "class": "Load",
					"custom_details": map[string]any{
						"alert_id": "a2", "value": 3.0, "flapping": true,
						"labels": map[string]any{"alertname": "Load", "name": "eth0"},
					},
				},
			},
		},
		{
			name:  "test notification with runbook and long summary",
			group: notify.Group{Test: true},
			alert: func() alert.Alert {
				a := fixture("a3", alert.Firing)
				a.Labels = alert.Labels{alert.LabelAlertname: "DiskFull", alert.LabelHost: "db-1"}
				a.Annotations = map[string]string{"summary": long, "runbook_url": "https://wiki/disk"}
				return a
			},
			want: map[string]any{
				"event_action": "trigger", "dedup_key": "a3", "client": "Vigil",
				"links": []any{map[string]any{"href": "https://wiki/disk", "text": "Runbook"}},
				"payload": map[string]any{
					"summary": "[TEST] " + long[:2*1016] + "…", "source": "db-1", "severity": "critical",
					"timestamp": "2025-03-04T05:06:07Z", "group": "DiskFull", "class": "DiskFull",
					"custom_details": map[string]any{
						"alert_id": "a3", "value": 0.93,
						"labels":      map[string]any{"alertname": "DiskFull", "host": "db-1"},
						"annotations": map[string]any{"summary": long, "runbook_url": "https://wiki/disk"},
					},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pd := newFakePD(t)
			n := newNotifier(t, testConfig(pd.URL), nil)
			retry, err := n.Notify(notify.WithGroup(t.Context(), tt.group), []alert.Alert{tt.alert()})
			if err != nil || retry {
				t.Fatalf("Notify = %v, %v; want false, nil", retry, err)
			}
			got := pd.received()
			if len(got) != 1 {
				t.Fatalf("server got %d events, want 1", len(got))
			}
			if got[0]["routing_key"] != testKey {
				t.Errorf("routing_key = %v, want the configured key", got[0]["routing_key"])
			}
			delete(got[0], "routing_key")
			if !reflect.DeepEqual(got[0], tt.want) {
				gj, _ := json.MarshalIndent(got[0], "", " ")
				wj, _ := json.MarshalIndent(tt.want, "", " ")
				t.Errorf("event:\n%s\nwant:\n%s", gj, wj)
			}
		})
	}
}

func TestNotifySkipsOtherStates(t *testing.T) {
	pd := newFakePD(t)
	n := newNotifier(t, testConfig(pd.URL), nil)
	alerts := []alert.Alert{fixture("p", alert.Pending), fixture("f", alert.Firing), fixture("i", alert.Inactive)}
	if retry, err := n.Notify(t.Context(), alerts); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	got := pd.received()
	if len(got) != 1 || got[0]["dedup_key"] != "f" {
		t.Errorf("events = %v, want only the firing alert", got)
	}
}

func TestNotifyAnswers(t *testing.T) {
	tests := []struct {
		status    int
		wantRetry bool
	}{
		{http.StatusBadRequest, false},
		{http.StatusForbidden, false},
		{http.StatusNotFound, false},
		{http.StatusRequestEntityTooLarge, false},
		{http.StatusRequestTimeout, true},
		{http.StatusTooManyRequests, true},
		{http.StatusInternalServerError, true},
		{http.StatusBadGateway, true},
		{http.StatusServiceUnavailable, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			pd := newFakePD(t)
			pd.status = func(map[string]any) int { return tt.status }
			n := newNotifier(t, testConfig(pd.URL), nil)
			retry, err := n.Notify(t.Context(), []alert.Alert{fixture("a1", alert.Firing)})
			if err == nil || retry != tt.wantRetry {
				t.Fatalf("Notify = %v, %v; want retry %v and an error", retry, err, tt.wantRetry)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(tt.status)) || !strings.Contains(err.Error(), `"a1"`) {
				t.Errorf("error %q does not name the status and the alert", err)
			}
		})
	}
}

// TestNotifyInvalidEvent goes through the API's own validation: a resolve
// without a dedup_key is a 400 that no retry can fix.
func TestNotifyInvalidEvent(t *testing.T) {
	pd := newFakePD(t)
	n := newNotifier(t, testConfig(pd.URL), nil)
	retry, err := n.Notify(t.Context(), []alert.Alert{fixture("", alert.Resolved)})
	if retry || err == nil || !strings.Contains(err.Error(), "dedup_key' is missing") {
		t.Errorf("Notify = %v, %v; want no retry and the API's reason", retry, err)
	}
}

func TestNotifyTransportErrors(t *testing.T) {
	t.Run("closed server", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		n := newNotifier(t, testConfig(srv.URL), nil)
		retry, err := n.Notify(t.Context(), []alert.Alert{fixture("a1", alert.Firing)})
		if !retry || err == nil {
			t.Errorf("Notify = %v, %v; want retry", retry, err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		cfg := testConfig(srv.URL)
		cfg.Timeout = 50 * time.Millisecond
		n := newNotifier(t, cfg, nil)
		retry, err := n.Notify(t.Context(), []alert.Alert{fixture("a1", alert.Firing)})
		if !retry || err == nil {
			t.Errorf("Notify = %v, %v; want retry", retry, err)
		}
	})
}

func TestNotifyPartialFailure(t *testing.T) {
	alerts := []alert.Alert{fixture("a1", alert.Firing), fixture("a2", alert.Firing), fixture("a3", alert.Resolved)}
	tests := []struct {
		name      string
		status    int
		wantRetry bool
		wantSent  []string
		wantErr   []string
	}{
		{"refusal: the others are sent", http.StatusBadRequest, false, []string{"a1", "a3"}, []string{`trigger "a2"`, "400"}},
		{"retryable: stop and retry all", http.StatusServiceUnavailable, true, []string{"a1"}, []string{`trigger "a2"`, "503", "1 more alerts not sent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pd := newFakePD(t)
			pd.status = func(ev map[string]any) int {
				if ev["dedup_key"] == "a2" {
					return tt.status
				}
				return 0
			}
			n := newNotifier(t, testConfig(pd.URL), nil)
			retry, err := n.Notify(t.Context(), alerts)
			if retry != tt.wantRetry || err == nil {
				t.Fatalf("Notify = %v, %v; want retry %v and an error", retry, err, tt.wantRetry)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if strings.Contains(err.Error(), `"a1"`) || strings.Contains(err.Error(), `"a3"`) {
				t.Errorf("error %q names alerts that were delivered", err)
			}
			var sent []string
			for _, ev := range pd.received() {
				sent = append(sent, ev["dedup_key"].(string))
			}
			if !reflect.DeepEqual(sent, tt.wantSent) {
				t.Errorf("delivered %v, want %v", sent, tt.wantSent)
			}
		})
	}
}

func TestRoutingKeyFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(good, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(short, []byte("s3cr3t-but-short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pd := newFakePD(t)
	cfg := testConfig(pd.URL)
	cfg.RoutingKey, cfg.RoutingKeyFile = "", good
	n := newNotifier(t, cfg, nil)
	if retry, err := n.Notify(t.Context(), []alert.Alert{fixture("a1", alert.Firing)}); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if got := pd.received(); len(got) != 1 || got[0]["routing_key"] != testKey {
		t.Errorf("events = %v, want one with the key from the file", got)
	}

	for name, path := range map[string]string{"short": short, "missing": filepath.Join(dir, "missing")} {
		t.Run(name, func(t *testing.T) {
			cfg.RoutingKeyFile = path
			_, err := New(cfg, nil, nil)
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("New = %v, want an error naming %s", err, path)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error shows the key: %v", err)
			}
		})
	}
}

// TestKeyNeverShown runs every failure path with debug logging and checks that
// the routing key reaches neither the log nor an error nor a printed Notifier.
func TestKeyNeverShown(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var out []string

	pd := newFakePD(t)
	pd.status = func(ev map[string]any) int {
		if ev["dedup_key"] == "a5" {
			return http.StatusInternalServerError
		}
		return 0
	}
	n := newNotifier(t, testConfig(pd.URL), log)
	alerts := []alert.Alert{fixture("a1", alert.Firing), fixture("", alert.Resolved), fixture("p", alert.Pending), fixture("a5", alert.Firing)}
	_, err := n.Notify(t.Context(), alerts)
	out = append(out, fmt.Sprint(err), fmt.Sprintf("%+v", n), fmt.Sprintf("%#v", *n))

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, err = newNotifier(t, testConfig(closed.URL), log).Notify(t.Context(), alerts)
	out = append(out, fmt.Sprint(err))

	bad := testConfig(pd.URL)
	bad.RoutingKey = testKey + "x"
	_, err = New(bad, nil, log)
	out = append(out, fmt.Sprint(err), fmt.Sprintf("%+v", bad), logs.String())

	if logs.Len() == 0 {
		t.Fatal("nothing was logged: the test checks nothing")
	}
	for _, s := range out {
		if strings.Contains(s, testKey) {
			t.Errorf("routing key shown in %q", s)
		}
	}
}

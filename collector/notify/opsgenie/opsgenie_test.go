package opsgenie

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
	"unicode/utf8"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
	"github.com/vigilmon/vigil/internal/config"
)

const testKey = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"

var firedAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// fixture is a critical DiskFull alert on web-1's /var.
func fixture(id string, state alert.State) alert.Alert {
	a := alert.Alert{
		ID:   id,
		Rule: "DiskFull",
		Labels: alert.Labels{
			alert.LabelAlertname: "DiskFull", alert.LabelHost: "web-1", "mount_point": "/var",
		},
		Annotations: map[string]string{"summary": "/var on web-1 is 93% full", "description": "Clean up /var/log."},
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
	cfg.APIURL = url
	cfg.APIKey = testKey
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

func TestCreate(t *testing.T) {
	og := newFakeOpsgenie(t, testKey)
	cfg := testConfig(og.URL)
	cfg.Responders = []Responder{{Type: "team", Name: "ops"}, {Type: "user", Username: "ann@example.com"}}
	cfg.Tags = []string{"vigil", "prod"}
	n := newNotifier(t, cfg, nil)
	g := notify.Group{Receiver: "ops-pager", ExternalURL: "https://vigil.example.com"}
	if retry, err := n.Notify(notify.WithGroup(t.Context(), g), []alert.Alert{fixture("a1", alert.Firing)}); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	got := og.received()
	if len(got) != 1 || got[0].Path != "/v2/alerts" {
		t.Fatalf("requests = %+v, want one create", got)
	}
	body := got[0].Body
	desc, _ := body["description"].(string)
	delete(body, "description")
	want := map[string]any{
		"message": "/var on web-1 is 93% full", "alias": "a1", "entity": "web-1", "source": "vigil", "priority": "P1",
		"tags": []any{"vigil", "prod"},
		"responders": []any{
			map[string]any{"type": "team", "name": "ops"},
			map[string]any{"type": "user", "username": "ann@example.com"},
		},
		"details": map[string]any{"value": "0.93", "alertname": "DiskFull", "host": "web-1", "mount_point": "/var"},
	}
	if !reflect.DeepEqual(body, want) {
		gj, _ := json.MarshalIndent(body, "", " ")
		t.Errorf("create body:\n%s", gj)
	}
	for _, s := range []string{"[FIRING critical] /var on web-1 is 93% full", "Clean up /var/log.", "mount_point=/var", "https://vigil.example.com/api/v1/alerts"} {
		if !strings.Contains(desc, s) {
			t.Errorf("description %q does not contain %q", desc, s)
		}
	}
}

func TestCreateVariants(t *testing.T) {
	long := strings.Repeat("ü", 20000)
	manyLabels := alert.Labels{alert.LabelAlertname: "Big"}
	for i := range 100 {
		manyLabels[fmt.Sprintf("l%03d", i)] = strings.Repeat("x", 100)
	}
	tests := []struct {
		name  string
		cfg   func(*Config)
		group notify.Group
		alert func(a *alert.Alert)
		check func(t *testing.T, body map[string]any)
	}{
		{
			name:  "warning, flapping, no host",
			alert: func(a *alert.Alert) { a.Severity, a.Flapping = alert.Warning, true; delete(a.Labels, alert.LabelHost) },
			check: func(t *testing.T, b map[string]any) {
				if b["priority"] != "P3" || b["message"] != "FLAPPING: /var on web-1 is 93% full" || b["entity"] != nil {
					t.Errorf("priority, message, entity = %v, %v, %v", b["priority"], b["message"], b["entity"])
				}
			},
		},
		{
			name:  "priority map keeps unmapped defaults",
			cfg:   func(c *Config) { c.PriorityMap = map[string]string{"warning": "P4"}; c.Source = "vigil-eu" },
			alert: func(a *alert.Alert) {},
			check: func(t *testing.T, b map[string]any) {
				if b["priority"] != "P1" || b["source"] != "vigil-eu" {
					t.Errorf("priority, source = %v, %v; want P1, vigil-eu", b["priority"], b["source"])
				}
			},
		},
		{
			name:  "priority map",
			cfg:   func(c *Config) { c.PriorityMap = map[string]string{"critical": "P2", "warning": "P4"} },
			alert: func(a *alert.Alert) { a.Severity = alert.Warning },
			check: func(t *testing.T, b map[string]any) {
				if b["priority"] != "P4" {
					t.Errorf("priority = %v, want P4", b["priority"])
				}
			},
		},
		{
			name:  "test notification, over-long texts",
			group: notify.Group{Test: true},
			alert: func(a *alert.Alert) { a.Annotations = map[string]string{"summary": long, "description": long} },
			check: func(t *testing.T, b map[string]any) {
				msg, desc := b["message"].(string), b["description"].(string)
				if utf8.RuneCountInString(msg) != 130 || !strings.HasPrefix(msg, "[TEST] üü") || !strings.HasSuffix(msg, "…") {
					t.Errorf("message = %q, want 130 characters ending in …", msg)
				}
				if utf8.RuneCountInString(desc) != 15000 || !strings.HasSuffix(desc, "…") {
					t.Errorf("description has %d characters, want 15000", utf8.RuneCountInString(desc))
				}
			},
		},
		{
			name:  "details within 8000 characters",
			alert: func(a *alert.Alert) { a.Labels = manyLabels },
			check: func(t *testing.T, b map[string]any) {
				d := b["details"].(map[string]any)
				if d["value"] != "0.93" || d["alertname"] != "Big" || d["l000"] == nil || d["l099"] != nil {
					t.Errorf("details kept %d keys: want value, alertname and the first labels in name order", len(d))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			og := newFakeOpsgenie(t, testKey)
			cfg := testConfig(og.URL)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			a := fixture("a1", alert.Firing)
			tt.alert(&a)
			n := newNotifier(t, cfg, nil)
			if retry, err := n.Notify(notify.WithGroup(t.Context(), tt.group), []alert.Alert{a}); err != nil || retry {
				t.Fatalf("Notify = %v, %v", retry, err)
			}
			got := og.received()
			if len(got) != 1 {
				t.Fatalf("got %d requests, want 1", len(got))
			}
			tt.check(t, got[0].Body)
		})
	}
}

func TestClose(t *testing.T) {
	og := newFakeOpsgenie(t, testKey)
	n := newNotifier(t, testConfig(og.URL), nil)
	const alias = "web-1/var #1"
	alerts := []alert.Alert{fixture(alias, alert.Firing), fixture("p", alert.Pending)}
	if retry, err := n.Notify(t.Context(), alerts); err != nil || retry {
		t.Fatalf("create: Notify = %v, %v", retry, err)
	}
	// The second close finds nothing open (404), which counts as closed.
	for i := range 2 {
		if retry, err := n.Notify(t.Context(), []alert.Alert{fixture(alias, alert.Resolved)}); err != nil || retry {
			t.Fatalf("close %d: Notify = %v, %v", i, retry, err)
		}
	}
	got := og.received()
	if len(got) != 2 {
		t.Fatalf("requests = %+v, want create and one close", got)
	}
	want := fakeRequest{
		Path: "/v2/alerts/" + alias + "/close", Query: "identifierType=alias",
		Body: map[string]any{"source": "vigil", "note": "Resolved: /var on web-1 is 93% full"},
	}
	if !reflect.DeepEqual(got[1], want) {
		t.Errorf("close = %+v, want %+v", got[1], want)
	}
}

// TestAPIURLWithPath covers the JSM Ops endpoint, whose API lives under a path.
func TestAPIURLWithPath(t *testing.T) {
	og := newFakeOpsgenie(t, testKey)
	srv := httptest.NewServer(http.StripPrefix("/jsm/ops/integration", og.Config.Handler))
	t.Cleanup(srv.Close)
	n := newNotifier(t, testConfig(srv.URL+"/jsm/ops/integration/"), nil)
	if retry, err := n.Notify(t.Context(), []alert.Alert{fixture("a1", alert.Firing), fixture("a1", alert.Resolved)}); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if got := og.received(); len(got) != 2 {
		t.Errorf("requests = %+v, want create and close", got)
	}
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		name      string
		key       string // configured key; the fake knows testKey
		status    int    // forced answer, 0 for none
		wantRetry bool
		wantErr   string
	}{
		{name: "unknown key", key: "ffffffff-4f50-6172-8394-a5b6c7d8e9f0", wantErr: "401"},
		{name: "malformed key", key: "hunter2", wantErr: "Key format is not valid"},
		{name: "400", status: 400, wantErr: "400"},
		{name: "403", status: 403, wantErr: "403"},
		{name: "404 on create", status: 404, wantErr: "404"},
		{name: "422", status: 422, wantErr: "422"},
		{name: "429", status: 429, wantRetry: true, wantErr: "429"},
		{name: "500", status: 500, wantRetry: true, wantErr: "500"},
		{name: "503", status: 503, wantRetry: true, wantErr: "503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			og := newFakeOpsgenie(t, testKey)
			if tt.status != 0 {
				og.status = func(*http.Request) int { return tt.status }
			}
			cfg := testConfig(og.URL)
			if tt.key != "" {
				cfg.APIKey = config.Secret(tt.key)
			}
			n := newNotifier(t, cfg, nil)
			retry, err := n.Notify(t.Context(), []alert.Alert{fixture("a1", alert.Firing)})
			if err == nil || retry != tt.wantRetry {
				t.Fatalf("Notify = %v, %v; want retry %v and an error", retry, err, tt.wantRetry)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), `create alert "a1"`) {
				t.Errorf("error %q does not name the request and %q", err, tt.wantErr)
			}
			if tt.key != "" && strings.Contains(err.Error(), tt.key) {
				t.Errorf("error shows the key: %v", err)
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	t.Run("closed server", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		n := newNotifier(t, testConfig(srv.URL), nil)
		if retry, err := n.Notify(t.Context(), []alert.Alert{fixture("a1", alert.Resolved)}); !retry || err == nil {
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
		if retry, err := n.Notify(t.Context(), []alert.Alert{fixture("a1", alert.Firing)}); !retry || err == nil {
			t.Errorf("Notify = %v, %v; want retry", retry, err)
		}
	})
}

func TestPartialFailure(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		wantRetry bool
		wantSent  []string
		wantErr   []string
	}{
		{"refusal: the others are sent", 422, false, []string{"a1", "a3"}, []string{`create alert "a2"`, "422"}},
		{"retryable: stop and retry all", 502, true, []string{"a1"}, []string{`create alert "a2"`, "502", "1 more alerts not sent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			og := newFakeOpsgenie(t, testKey)
			og.status = func(r *http.Request) int {
				var b struct{ Alias string }
				if r.URL.Path == "/v2/alerts" && json.NewDecoder(r.Body).Decode(&b) == nil && b.Alias == "a2" {
					return tt.status
				}
				return 0
			}
			n := newNotifier(t, testConfig(og.URL), nil)
			alerts := []alert.Alert{fixture("a1", alert.Firing), fixture("a2", alert.Firing), fixture("a3", alert.Firing)}
			retry, err := n.Notify(t.Context(), alerts)
			if retry != tt.wantRetry || err == nil {
				t.Fatalf("Notify = %v, %v; want retry %v and an error", retry, err, tt.wantRetry)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			var sent []string
			for _, r := range og.received() {
				sent = append(sent, r.Body["alias"].(string))
			}
			if !reflect.DeepEqual(sent, tt.wantSent) {
				t.Errorf("delivered %v, want %v", sent, tt.wantSent)
			}
		})
	}
}

func TestAPIKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "opsgenie.key")
	if err := os.WriteFile(path, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	og := newFakeOpsgenie(t, testKey)
	cfg := testConfig(og.URL)
	cfg.APIKey, cfg.APIKeyFile = "", path
	n := newNotifier(t, cfg, nil)
	if retry, err := n.Notify(t.Context(), []alert.Alert{fixture("a1", alert.Firing)}); err != nil || retry {
		t.Fatalf("Notify with the key from a file = %v, %v", retry, err)
	}
	cfg.APIKeyFile = filepath.Join(t.TempDir(), "missing")
	if _, err := New(cfg, nil, nil); err == nil || !strings.Contains(err.Error(), "api_key_file") {
		t.Errorf("New with a missing key file = %v, want an error", err)
	}
}

// TestKeyNeverShown runs the failure paths with debug logging and checks that
// the key reaches neither the log nor an error nor a printed Notifier.
func TestKeyNeverShown(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	og := newFakeOpsgenie(t, "ffffffff-4f50-6172-8394-a5b6c7d8e9f0")
	n := newNotifier(t, testConfig(og.URL), log)
	alerts := []alert.Alert{fixture("a1", alert.Firing), fixture("a2", alert.Resolved), fixture("p", alert.Pending)}
	_, err := n.Notify(t.Context(), alerts)
	out := []string{fmt.Sprint(err), fmt.Sprintf("%+v", n), fmt.Sprintf("%#v", *n)}

	good := newFakeOpsgenie(t, testKey)
	_, err = newNotifier(t, testConfig(good.URL), log).Notify(t.Context(), alerts)
	out = append(out, fmt.Sprint(err))

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, err = newNotifier(t, testConfig(closed.URL), log).Notify(t.Context(), alerts)
	out = append(out, fmt.Sprint(err), logs.String())

	if logs.Len() == 0 {
		t.Fatal("nothing was logged: the test checks nothing")
	}
	for _, s := range out {
		if strings.Contains(s, testKey) {
			t.Errorf("key shown in %q", s)
		}
	}
}

package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
	"github.com/vigilmon/vigil/internal/config"
)

const (
	testSecret = "whsec-Sup3rS3cret"
	urlToken   = "T0KEN-in-the-path"
	headerTok  = "Bearer hdr-t0ken"
)

var (
	firedAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	sentAt  = time.Date(2025, 3, 4, 5, 7, 0, 0, time.UTC)
)

// fixture is a critical DiskFull alert on web-1's /var.
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
		ActiveAt:    firedAt.Add(-time.Minute),
		FiredAt:     firedAt,
	}
	if state == alert.Resolved {
		a.ResolvedAt = firedAt.Add(time.Hour)
	}
	return a
}

// receiver is an in-process webhook endpoint that keeps what it was sent.
type receiver struct {
	*httptest.Server
	status int // answer; 0 means 200

	mu   sync.Mutex
	reqs []received
}

type received struct {
	Path   string
	Header http.Header
	Body   []byte
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, received{Path: req.URL.Path, Header: req.Header.Clone(), Body: body})
		r.mu.Unlock()
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" || !json.Valid(body) {
			http.Error(w, "want a JSON POST", http.StatusBadRequest)
			return
		}
		if r.status != 0 {
			http.Error(w, http.StatusText(r.status), r.status)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.reqs...)
}

func testConfig(url string) Config {
	cfg := defaultConfig()
	cfg.URL = config.Secret(url + "/hooks/" + urlToken)
	return cfg
}

func newNotifier(t *testing.T, cfg Config, log *slog.Logger) *Notifier {
	t.Helper()
	n, err := New(cfg, nil, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	n.now = func() time.Time { return sentAt }
	return n
}

// send notifies r through a fresh notifier and returns the one request r got.
func send(t *testing.T, r *receiver, cfg Config, g notify.Group, alerts []alert.Alert) received {
	t.Helper()
	n := newNotifier(t, cfg, nil)
	if retry, err := n.Notify(notify.WithGroup(t.Context(), g), alerts); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	got := r.received()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	return got[0]
}

func TestMessage(t *testing.T) {
	r := newReceiver(t)
	g := notify.Group{
		Receiver: "ops-hook", Key: "route0/alertname=DiskFull", Labels: alert.Labels{"alertname": "DiskFull"},
		ExternalURL: "https://vigil.example.com",
	}
	got := send(t, r, testConfig(r.URL), g, []alert.Alert{fixture("a1", alert.Firing), fixture("a2", alert.Resolved)})
	if got.Path != "/hooks/"+urlToken {
		t.Errorf("path = %q", got.Path)
	}
	if h := got.Header.Get(SignatureHeader); h != "" {
		t.Errorf("%s = %q without a secret, want none", SignatureHeader, h)
	}
	const want = `{
 "version": "1", "receiver": "ops-hook", "status": "firing",
 "group_key": "route0/alertname=DiskFull", "group_labels": {"alertname": "DiskFull"},
 "external_url": "https://vigil.example.com", "timestamp": 1741064820, "truncated_alerts": 0,
 "alerts": [
  {"id": "a1", "rule": "DiskFull", "labels": {"alertname": "DiskFull", "host": "web-1", "mount_point": "/var"},
   "annotations": {"summary": "/var on web-1 is 93% full"}, "state": "firing", "severity": "critical",
   "value": 0.93, "active_at": "2025-03-04T05:05:07Z", "fired_at": "2025-03-04T05:06:07Z",
   "summary": "/var on web-1 is 93% full"},
  {"id": "a2", "rule": "DiskFull", "labels": {"alertname": "DiskFull", "host": "web-1", "mount_point": "/var"},
   "annotations": {"summary": "/var on web-1 is 93% full"}, "state": "resolved", "severity": "critical",
   "value": 0.93, "active_at": "2025-03-04T05:05:07Z", "fired_at": "2025-03-04T05:06:07Z",
   "resolved_at": "2025-03-04T06:06:07Z", "summary": "/var on web-1 is 93% full"}
 ]
}`
	var gotJSON, wantJSON any
	if err := json.Unmarshal(got.Body, &gotJSON); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &wantJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotJSON, wantJSON) {
		t.Errorf("body:\n%s\nwant:\n%s", got.Body, want)
	}
}

func TestStatusAndTruncation(t *testing.T) {
	flapping := fixture("f", alert.Firing)
	flapping.Flapping = true
	tests := []struct {
		name          string
		maxAlerts     int
		group         notify.Group
		alerts        []alert.Alert
		wantStatus    string
		wantIDs       []string
		wantTruncated float64
		wantTest      bool
	}{
		{"firing", 0, notify.Group{}, []alert.Alert{fixture("r", alert.Resolved), fixture("a", alert.Firing)}, "firing", []string{"r", "a"}, 0, false},
		{"resolved", 0, notify.Group{}, []alert.Alert{fixture("r", alert.Resolved)}, "resolved", []string{"r"}, 0, false},
		{"flapping", 0, notify.Group{}, []alert.Alert{fixture("a", alert.Firing), flapping}, "flapping", []string{"a", "f"}, 0, false},
		{"max_alerts", 2, notify.Group{Test: true}, []alert.Alert{fixture("1", alert.Firing), fixture("2", alert.Firing), fixture("3", alert.Resolved)}, "firing", []string{"1", "2"}, 1, true},
		{"max_alerts not reached", 5, notify.Group{}, []alert.Alert{fixture("1", alert.Firing)}, "firing", []string{"1"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiver(t)
			cfg := testConfig(r.URL)
			cfg.MaxAlerts = tt.maxAlerts
			got := send(t, r, cfg, tt.group, tt.alerts)
			var m struct {
				Status          string
				TruncatedAlerts float64 `json:"truncated_alerts"`
				Test            bool
				GroupLabels     map[string]string `json:"group_labels"`
				Alerts          []struct{ ID string }
			}
			if err := json.Unmarshal(got.Body, &m); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, a := range m.Alerts {
				ids = append(ids, a.ID)
			}
			if m.Status != tt.wantStatus || !reflect.DeepEqual(ids, tt.wantIDs) || m.TruncatedAlerts != tt.wantTruncated || m.Test != tt.wantTest {
				t.Errorf("status %q, alerts %v, truncated %v, test %v; want %q, %v, %v, %v",
					m.Status, ids, m.TruncatedAlerts, m.Test, tt.wantStatus, tt.wantIDs, tt.wantTruncated, tt.wantTest)
			}
			if m.GroupLabels == nil {
				t.Errorf("group_labels is null, want {}")
			}
		})
	}
}

func TestSignature(t *testing.T) {
	r := newReceiver(t)
	cfg := testConfig(r.URL)
	cfg.HMACSecret = testSecret
	got := send(t, r, cfg, notify.Group{}, []alert.Alert{fixture("a1", alert.Firing)})
	header := got.Header.Get(SignatureHeader)
	if !strings.HasPrefix(header, "sha256=") || len(header) != len("sha256=")+64 {
		t.Fatalf("%s = %q, want sha256= and 64 hex digits", SignatureHeader, header)
	}
	tampered := bytes.Replace(got.Body, []byte("web-1"), []byte("web-2"), 1)
	tests := []struct {
		name   string
		secret string
		body   []byte
		header string
		want   bool
	}{
		{"the body that was sent", testSecret, got.Body, header, true},
		{"wrong secret", "whsec-other", got.Body, header, false},
		{"empty secret", "", got.Body, header, false},
		{"tampered body", testSecret, tampered, header, false},
		{"upper-case hex", testSecret, got.Body, "sha256=" + strings.ToUpper(header[7:]), true},
		{"no prefix", testSecret, got.Body, header[7:], false},
		{"other algorithm", testSecret, got.Body, "sha1=" + header[7:], false},
		{"not hex", testSecret, got.Body, "sha256=" + strings.Repeat("zz", 32), false},
		{"truncated", testSecret, got.Body, header[:len(header)-2], false},
		{"empty header", testSecret, got.Body, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v := Verify([]byte(tt.secret), tt.body, tt.header); v != tt.want {
				t.Errorf("Verify = %v, want %v", v, tt.want)
			}
		})
	}
}

func TestSecretFileAndHeaders(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	r := newReceiver(t)
	cfg := testConfig(r.URL)
	cfg.URL, cfg.URLFile = "", write("hook.url", r.URL+"/hooks/"+urlToken)
	cfg.HMACSecretFile = write("hook.secret", testSecret)
	cfg.Headers = map[string]config.Secret{"authorization": headerTok, "X-Team": "ops", "User-Agent": "ops-agent/1"}
	got := send(t, r, cfg, notify.Group{}, []alert.Alert{fixture("a1", alert.Firing)})
	if !Verify([]byte(testSecret), got.Body, got.Header.Get(SignatureHeader)) {
		t.Errorf("signature with the secret from the file does not verify")
	}
	for name, want := range map[string]string{"Authorization": headerTok, "X-Team": "ops", "User-Agent": "ops-agent/1", "Content-Type": "application/json"} {
		if v := got.Header.Get(name); v != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
	if got.Path != "/hooks/"+urlToken {
		t.Errorf("path = %q, want the one from url_file", got.Path)
	}

	bad := cfg
	bad.HMACSecretFile = filepath.Join(dir, "missing")
	if _, err := New(bad, nil, nil); err == nil || !strings.Contains(err.Error(), "hmac_secret_file") {
		t.Errorf("New with a missing secret file = %v, want an error", err)
	}
	bad = cfg
	bad.URLFile = write("bad.url", "ftp://host/"+urlToken)
	if _, err := New(bad, nil, nil); err == nil || !strings.Contains(err.Error(), "must be an http") || strings.Contains(err.Error(), urlToken) {
		t.Errorf("New with an ftp URL in url_file = %v, want an error that does not show the URL", err)
	}
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		status    int
		wantRetry bool
	}{
		{http.StatusBadRequest, false},
		{http.StatusUnauthorized, false},
		{http.StatusNotFound, false},
		{http.StatusGone, false},
		{http.StatusRequestTimeout, true},
		{http.StatusTooManyRequests, true},
		{http.StatusInternalServerError, true},
		{http.StatusServiceUnavailable, true},
		{http.StatusGatewayTimeout, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			r := newReceiver(t)
			r.status = tt.status
			n := newNotifier(t, testConfig(r.URL), nil)
			retry, err := n.Notify(t.Context(), []alert.Alert{fixture("a1", alert.Firing)})
			if err == nil || retry != tt.wantRetry || !strings.Contains(err.Error(), fmt.Sprint(tt.status)) {
				t.Errorf("Notify = %v, %v; want retry %v and an error with the status", retry, err, tt.wantRetry)
			}
		})
	}
	t.Run("2xx", func(t *testing.T) {
		r := newReceiver(t)
		r.status = http.StatusAccepted
		if retry, err := newNotifier(t, testConfig(r.URL), nil).Notify(t.Context(), []alert.Alert{fixture("a1", alert.Firing)}); err != nil || retry {
			t.Errorf("Notify = %v, %v; want success", retry, err)
		}
	})
	t.Run("no alerts", func(t *testing.T) {
		r := newReceiver(t)
		if retry, err := newNotifier(t, testConfig(r.URL), nil).Notify(t.Context(), nil); err != nil || retry || len(r.received()) != 0 {
			t.Errorf("Notify(nil) = %v, %v and sent %d requests; want nothing", retry, err, len(r.received()))
		}
	})
}

func TestTransportErrors(t *testing.T) {
	t.Run("closed server", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		n := newNotifier(t, testConfig(srv.URL), nil)
		retry, err := n.Notify(t.Context(), []alert.Alert{fixture("a1", alert.Firing)})
		if !retry || err == nil || !strings.Contains(err.Error(), srv.URL) {
			t.Errorf("Notify = %v, %v; want retry and an error naming the host", retry, err)
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

// TestSecretsNeverShown runs the failure paths with debug logging and checks
// that the HMAC secret, header values and the URL's path reach neither the log
// nor an error nor a printed Notifier.
func TestSecretsNeverShown(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	withSecrets := func(url string) Config {
		cfg := testConfig(url)
		cfg.HMACSecret = testSecret
		cfg.Headers = map[string]config.Secret{"Authorization": headerTok}
		return cfg
	}
	var out []string
	for _, status := range []int{0, 400, 503} {
		r := newReceiver(t)
		r.status = status
		n := newNotifier(t, withSecrets(r.URL), log)
		_, err := n.Notify(t.Context(), []alert.Alert{fixture("a1", alert.Firing)})
		out = append(out, fmt.Sprint(err), fmt.Sprintf("%+v", n), fmt.Sprintf("%#v", *n))
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, err := newNotifier(t, withSecrets(closed.URL), log).Notify(t.Context(), []alert.Alert{fixture("a1", alert.Firing)})
	out = append(out, fmt.Sprint(err))
	bad := withSecrets("http://x")
	bad.HMACSecretFile = "/nonexistent"
	bad.Headers["Content-Type"] = headerTok
	bad.URL = config.Secret("ftp://host/" + urlToken)
	_, err = New(bad, nil, log)
	out = append(out, fmt.Sprint(err), fmt.Sprintf("%+v", bad), logs.String())

	if logs.Len() == 0 {
		t.Fatal("nothing was logged: the test checks nothing")
	}
	for _, s := range out {
		for _, secret := range []string{testSecret, urlToken, headerTok} {
			if strings.Contains(s, secret) {
				t.Errorf("%q shown in %q", secret, s)
			}
		}
	}
}

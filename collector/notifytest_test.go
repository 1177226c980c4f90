package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// hookServer answers webhooks by path: /ok/… with 200, /busy/… with 503,
// /refuse/… with 400, and /hang/… not until the client gives up. It keeps the
// bodies it was sent.
type hookServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies map[string][]byte // path → body
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{bodies: map[string][]byte{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies[r.URL.Path] = body
		h.mu.Unlock()
		switch strings.Split(r.URL.Path, "/")[1] {
		case "ok":
		case "busy":
			http.Error(w, "try later", http.StatusServiceUnavailable)
		case "refuse":
			http.Error(w, "bad payload", http.StatusBadRequest)
		case "hang":
			<-r.Context().Done()
		}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) body(path string) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bodies[path]
}

// The webhook URLs carry a token in their path, as Slack's and many others
// do: it must not show in any output.
const hookSecret = "tok-5f3a9c"

func writeNotifyConfig(t *testing.T, hookURL string) string {
	t.Helper()
	cfg := `
route:
  receiver: hook-ok
receivers:
  - name: hook-ok
    webhook_configs:
      - url: ` + hookURL + `/ok/` + hookSecret + `
  - name: hook-mixed
    webhook_configs:
      - url: ` + hookURL + `/ok/` + hookSecret + `-m
      - url: ` + hookURL + `/busy/` + hookSecret + `
      - url: ` + hookURL + `/refuse/` + hookSecret + `
  - name: hook-hang
    webhook_configs:
      - url: ` + hookURL + `/hang/` + hookSecret + `
  - name: broken
    webhook_configs:
      - url_file: /nonexistent/vigil-webhook-url
`
	path := filepath.Join(t.TempDir(), "collector.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNotifyTest(t *testing.T) {
	hooks := newHookServer(t)
	cfgPath := writeNotifyConfig(t, hooks.URL)
	badCfg := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(badCfg, []byte("receivers:\n  - nmae: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
		absent []string // in neither output
		sentOK string   // path that must have received the test message
	}{
		{name: "one webhook (a broken receiver elsewhere does not matter)", args: []string{"-config", cfgPath, "hook-ok"}, code: 0,
			stdout: []string{"hook-ok webhook[0]: ok"}, sentOK: "/ok/" + hookSecret},
		{name: "mixed results", args: []string{"-config", cfgPath, "hook-mixed"}, code: 1,
			stdout: []string{
				"hook-mixed webhook[0]: ok",
				"hook-mixed webhook[1]: FAILED (dispatch would retry this)",
				"503",
				"hook-mixed webhook[2]: FAILED (not retried: the request was refused)",
				"bad payload",
			}, sentOK: "/ok/" + hookSecret + "-m"},
		{name: "timeout", args: []string{"-config", cfgPath, "-timeout", "200ms", "hook-hang"}, code: 1,
			stdout: []string{"hook-hang webhook[0]: FAILED (dispatch would retry this; -timeout 200ms ran out)"}},
		{name: "broken receiver", args: []string{"-config", cfgPath, "broken"}, code: 1,
			stderr: []string{"receiver broken webhook[0]", "url_file"}},
		{name: "unknown receiver", args: []string{"-config", cfgPath, "pager"}, code: 2,
			stderr: []string{`no receiver "pager"`, "configured receivers: hook-ok, hook-mixed, hook-hang, broken"}},
		{name: "no receiver named", args: []string{"-config", cfgPath}, code: 2, stderr: []string{"usage: vigil-collector notify-test"}},
		{name: "two receivers named", args: []string{"-config", cfgPath, "hook-ok", "hook-mixed"}, code: 2},
		{name: "help", args: []string{"-h"}, code: 0, stderr: []string{"usage: vigil-collector notify-test", "-timeout"}},
		{name: "invalid config", args: []string{"-config", badCfg, "x"}, code: 1, stderr: []string{"nmae"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := mainErr(append([]string{"notify-test"}, tc.args...), &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, &stdout, &stderr)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, &stdout)
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, &stderr)
				}
			}
			for _, w := range []string{hookSecret, "/ok/", "/busy/", "/refuse/", "/hang/"} {
				if strings.Contains(stdout.String()+stderr.String(), w) {
					t.Errorf("output holds %q:\nstdout:\n%s\nstderr:\n%s", w, &stdout, &stderr)
				}
			}
			if tc.sentOK != "" {
				checkTestMessage(t, hooks.body(tc.sentOK), tc.args[len(tc.args)-1])
			}
		})
	}
}

// checkTestMessage checks the webhook body notify-test sent.
func checkTestMessage(t *testing.T, body []byte, receiver string) {
	t.Helper()
	var msg struct {
		Receiver string `json:"receiver"`
		Status   string `json:"status"`
		GroupKey string `json:"group_key"`
		Test     bool   `json:"test"`
		Alerts   []struct {
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
			State       string            `json:"state"`
			Severity    string            `json:"severity"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatalf("webhook body %q: %v", body, err)
	}
	host, _ := os.Hostname()
	if !msg.Test || msg.Receiver != receiver || msg.Status != "firing" || msg.GroupKey != "notify-test" || len(msg.Alerts) != 1 {
		t.Fatalf("webhook got %s, want one firing test alert for receiver %s", body, receiver)
	}
	a := msg.Alerts[0]
	if a.Labels["alertname"] != "VigilTest" || a.Labels["host"] != host || a.Labels["severity"] != "warning" ||
		a.Severity != "warning" || a.State != "firing" ||
		a.Annotations["summary"] != "Test notification from vigil-collector notify-test" {
		t.Errorf("test alert = %+v", a)
	}
}

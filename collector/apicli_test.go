package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/silence"
	"github.com/vigilmon/vigil/collector/web"
)

// cliNow is the clock of the collector the CLI tests talk to.
var cliNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func cliFiringAlert() alert.Alert {
	l := alert.Labels{"alertname": "DiskFull", "host": "web-1", "severity": "warning"}
	return alert.Alert{ID: l.Fingerprint(), Rule: "DiskFull", Labels: l, State: alert.Firing, Severity: alert.Warning,
		ActiveAt: cliNow.Add(-time.Hour), FiredAt: cliNow.Add(-time.Hour)}
}

// newAPIServer is a collector API on a loopback address with a real
// silence.Manager; checkToken nil means no api_tokens_file.
func newAPIServer(t *testing.T, checkToken func(string) (string, bool)) (*httptest.Server, *silence.Manager) {
	t.Helper()
	now := func() time.Time { return cliNow }
	mgr, err := silence.New(context.Background(), alert.NewMemStore(), now, nil, silence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Options{Ingest: http.NotFoundHandler(), Gatherer: prometheus.NewRegistry(), Now: now,
		Alerting: &web.Alerting{Alerts: func() []alert.Alert { return []alert.Alert{cliFiringAlert()} },
			History: alert.NewMemStore(), Silences: mgr, CheckToken: checkToken}}))
	t.Cleanup(srv.Close)
	return srv, mgr
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func runCLI(args ...string) cliResult {
	var stdout, stderr bytes.Buffer
	code := mainErr(args, &stdout, &stderr)
	return cliResult{code, stdout.String(), stderr.String()}
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

var uuidLine = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$`)

func TestSilenceCLI(t *testing.T) {
	srv, mgr := newAPIServer(t, nil)
	u := srv.URL

	r := runCLI("silence", "add", "-url", u, "-author", "alice", "-comment", "disk swap\nin rack 4", "-duration", "2h", `host=~"web-.*"`, "alertname=DiskFull")
	if r.code != 0 || !uuidLine.MatchString(r.stdout) {
		t.Fatalf("silence add: %v; want exit 0 and the new ID alone", r)
	}
	id := strings.TrimSpace(r.stdout)
	if got := mgr.Silenced(cliFiringAlert().Labels, cliNow); len(got) != 1 || got[0] != id {
		t.Errorf("the collector's silences hold %v, want [%s]", got, id)
	}

	// Refused before anything is sent (2) or by the collector (1).
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad matcher", []string{"-comment", "c", "host~web"}, 2, `parse matcher "host~web"`},
		{"no matcher", []string{"-comment", "c"}, 2, "at least one MATCHER"},
		{"duration and end", []string{"-comment", "c", "-duration", "1h", "-end", "2026-11-22T12:00:00Z", "host=a"}, 2, "not both"},
		{"bad end", []string{"-comment", "c", "-end", "tomorrow", "host=a"}, 2, "RFC 3339"},
		{"bad url", []string{"-url", "ftp://x", "-comment", "c", "host=a"}, 2, "-url"},
		{"no comment", []string{"host=a"}, 1, "comment is required (why is this silenced?) (HTTP 400)"},
		{"end in the past", []string{"-comment", "c", "-end", "2026-11-22T09:00:00Z", "host=a"}, 1, "ends_at must be in the future"},
		{"matches everything", []string{"-comment", "c", `host=~".*"`}, 1, "must not match an empty label value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A later -url overrides this one.
			r := runCLI(append([]string{"silence", "add", "-url", u, "-author", "alice"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
				t.Errorf("%v\nwant exit %d and %q on stderr", r, tc.code, tc.want)
			}
		})
	}
	if n := len(mgr.List(cliNow)); n != 1 {
		t.Fatalf("refused adds left %d silences, want 1", n)
	}

	pending := strings.TrimSpace(runCLI("silence", "add", "-url", u, "-author", "bob", "-comment", "maintenance",
		"-start", "2026-11-22T20:00:00Z", "-end", "2026-11-22T22:00:00Z", "host=db-1").stdout)
	r = runCLI("silence", "list", "-url", u)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if r.code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("silence list: %v; want a header and two rows", r)
	}
	for i, want := range [][]string{
		{id, "active", `host=~"web-.*" alertname="DiskFull"`, "2026-11-22T12:00:00Z", "alice", "disk swap in rack 4"},
		{pending, "pending", `host="db-1"`, "2026-11-22T22:00:00Z", "bob", "maintenance"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("row %d %q lacks %q", i+1, lines[i+1], w)
			}
		}
	}

	r = runCLI("silence", "expire", "-url", u, id, "no-such-id")
	if r.code != 1 || r.stdout != "expired "+id+"\n" || !strings.Contains(r.stderr, "silence expire no-such-id: ") ||
		!strings.Contains(r.stderr, "not found (HTTP 404)") {
		t.Errorf("silence expire: %v; want the first expired and 404 for the second", r)
	}
	if r := runCLI("silence", "list", "-url", u, "-q"); r.code != 0 || r.stdout != pending+"\n" {
		t.Errorf("silence list -q after expiry: %v; want only the pending silence", r)
	}
	r = runCLI("silence", "list", "-url", u, "-all")
	if r.code != 0 || !regexp.MustCompile(id+` +expired `).MatchString(r.stdout) {
		t.Errorf("silence list -all: %v; want the expired silence listed", r)
	}
	if r := runCLI("silence", "expire", "-url", u, id); r.code != 1 || !strings.Contains(r.stderr, "silence already expired at 2026-11-22T10:00:00Z (HTTP 409)") {
		t.Errorf("expire twice: %v", r)
	}
	for _, args := range [][]string{{"silence"}, {"silence", "mute"}, {"silence", "expire", "-url", u}, {"silence", "list", "-url", u, "x"}} {
		if r := runCLI(args...); r.code != 2 {
			t.Errorf("%q: %v; want a usage error", args, r)
		}
	}
}

func TestAckCLI(t *testing.T) {
	srv, mgr := newAPIServer(t, nil)
	t.Setenv("VIGIL_URL", srv.URL) // and no -url
	id := cliFiringAlert().ID

	r := runCLI("ack", "-author", "bob", "-comment", "replacing the disk", "-duration", "4h", id)
	if r.code != 0 || r.stdout != "acknowledged "+id+" (warning) by bob until 2026-11-22T14:00:00Z or its severity changes or it resolves\n" {
		t.Fatalf("ack: %v", r)
	}
	if a, ok := mgr.Acked(id, alert.Warning, cliNow); !ok || a.Comment != "replacing the disk" {
		t.Errorf("the collector holds ack %+v, %v", a, ok)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown alert", []string{"ack", "-author", "bob", "-comment", "c", "0123456789abcdef"}, 1, `no firing alert with id "0123456789abcdef" (HTTP 404)`},
		{"no comment", []string{"ack", "-author", "bob", id}, 1, "comment is required"},
		{"no alert", []string{"ack", "-comment", "c"}, 2, "exactly one ALERT_ID"},
		{"negative duration", []string{"ack", "-comment", "c", "-duration", "-1h", id}, 2, "-duration"},
		{"unack nothing", []string{"unack", "0123456789abcdef"}, 1, "not found (HTTP 404)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := runCLI(tc.args...); r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("%v\nwant exit %d and %q on stderr", r, tc.code, tc.want)
			}
		})
	}
	if r := runCLI("unack", "-author", "carol", id); r.code != 0 || r.stdout != "unacknowledged "+id+"\n" {
		t.Errorf("unack: %v", r)
	}
	if _, ok := mgr.Acked(id, alert.Warning, cliNow); ok {
		t.Error("still acknowledged after unack")
	}
}

// With api_tokens_file set, the CLI must send the token from -token-file or
// VIGIL_API_TOKEN, and never print it.
func TestCLIToken(t *testing.T) {
	const token = "tok-8d1e2f"
	srv, _ := newAPIServer(t, func(tok string) (string, bool) { return "ops", tok == token })
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wrongFile := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrongFile, []byte("tok-wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, env string
		flags     []string
		code      int
		want      string // on stderr
	}{
		{"no token", "", nil, 1, "a valid API token is required (Authorization: Bearer TOKEN) (HTTP 401)"},
		{"token file", "", []string{"-token-file", tokenFile}, 0, ""},
		{"token env", token, nil, 0, ""},
		{"token file wins over env", token, []string{"-token-file", wrongFile}, 1, "(HTTP 401)"},
		{"missing token file", token, []string{"-token-file", tokenFile + ".nope"}, 2, "read -token-file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("VIGIL_API_TOKEN", tc.env)
			args := append([]string{"silence", "add", "-url", srv.URL, "-author", "a", "-comment", "c"}, tc.flags...)
			r := runCLI(append(args, "host=a")...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("%v\nwant exit %d and %q on stderr", r, tc.code, tc.want)
			}
			if strings.Contains(r.stdout+r.stderr, token) {
				t.Errorf("the token is in the output: %v", r)
			}
		})
	}
}

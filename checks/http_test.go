package checks

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
)

func testHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "status: healthy") })
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/broken", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/missing", http.StatusFound) })
	return mux
}

func TestHTTP(t *testing.T) {
	srv := httptest.NewServer(testHandler())
	defer srv.Close()
	tests := []struct {
		name string
		args []string
		want string
		st   nagios.State
	}{
		{"ok", []string{"-u", srv.URL + "/ok", "-w", "1", "-c", "2"}, "HTTP OK - HTTP/1.1 200 OK - 15 bytes in 0.010 second response time | time=0.01s;1;2;0;10 size=15B;;;0", nagios.OK},
		{"4xx warns", []string{"-u", srv.URL + "/missing"}, "HTTP WARNING - HTTP/1.1 404 Not Found - 19 bytes in 0.010 second response time | time=0.01s;;;0;10 size=19B;;;0", nagios.Warning},
		{"5xx is critical", []string{"-u", srv.URL + "/broken"}, "HTTP CRITICAL - HTTP/1.1 500 Internal Server Error - 5 bytes in 0.010 second response time | time=0.01s;;;0;10 size=5B;;;0", nagios.Critical},
		{"redirect not followed", []string{"-u", srv.URL + "/moved"}, "HTTP OK - HTTP/1.1 302 Found - 31 bytes in 0.010 second response time | time=0.01s;;;0;10 size=31B;;;0", nagios.OK},
		{"expected list", []string{"-u", srv.URL + "/missing", "-e", "200,404"}, "HTTP OK - HTTP/1.1 404 Not Found - 19 bytes in 0.010 second response time | time=0.01s;;;0;10 size=19B;;;0", nagios.OK},
		{"outside expected", []string{"-u", srv.URL + "/moved", "-e", "200-299"}, "HTTP CRITICAL - status 302 not in 200-299 - HTTP/1.1 302 Found - 31 bytes in 0.010 second response time | time=0.01s;;;0;10 size=31B;;;0", nagios.Critical},
		{"body regex", []string{"-u", srv.URL + "/ok", "-r", "status: (healthy|ok)"}, "HTTP OK - HTTP/1.1 200 OK - 15 bytes in 0.010 second response time | time=0.01s;;;0;10 size=15B;;;0", nagios.OK},
		{"body regex missing", []string{"-u", srv.URL + "/ok", "-r", "^ready$"}, `HTTP CRITICAL - pattern "^ready$" not found - HTTP/1.1 200 OK - 15 bytes in 0.010 second response time | time=0.01s;;;0;10 size=15B;;;0`, nagios.Critical},
		{"slow", []string{"-u", srv.URL + "/ok", "-w", "0.001", "-c", "0.005"}, "HTTP CRITICAL - HTTP/1.1 200 OK - 15 bytes in 0.010 second response time | time=0.01s;0.001;0.005;0;10 size=15B;;;0", nagios.Critical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t)
			env.Now = steppingClock(10 * time.Millisecond)
			r := mustNew(t, env, append([]string{"http"}, tt.args...)...).Run(t.Context())
			if got := line(r); got != tt.want || r.State != tt.st {
				t.Fatalf("got %s %s\nwant %s %s", r.State, got, tt.st, tt.want)
			}
		})
	}
}

func TestHTTPRefusedAndTimeout(t *testing.T) {
	srv := httptest.NewServer(testHandler())
	url := srv.URL
	srv.Close()
	r := mustNew(t, testEnv(t), "http", "-u", url+"/ok").Run(t.Context())
	if r.State != nagios.Critical || !strings.Contains(r.Output, "connection refused") {
		t.Fatalf("refused: got %s", line(r))
	}

	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer hang.Close()
	defer close(release) // runs first: the handler must return before Close waits for it
	r = mustNew(t, testEnv(t), "http", "-u", hang.URL, "-t", "50ms").Run(t.Context())
	if want := "HTTP CRITICAL - timeout after 50ms getting " + hang.URL; r.Output != want {
		t.Fatalf("timeout: got %q, want %q", r.Output, want)
	}
}

// The certificate is judged on the injected clock, so the TLS handshake
// is verified on the same clock.
func TestHTTPCertificate(t *testing.T) {
	ca := newTestCA(t)
	tests := []struct {
		name     string
		notAfter time.Time
		args     []string
		want     string
		st       nagios.State
	}{
		{"ok", t0.AddDate(0, 0, 60), []string{"-C", "30,14"}, "HTTP OK - HTTP/1.1 200 OK - 15 bytes in 0.010 second response time, certificate 'web.example' expires in 60 days (2026-04-30)", nagios.OK},
		{"warning", t0.AddDate(0, 0, 20), []string{"-C", "30,14"}, "HTTP WARNING - HTTP/1.1 200 OK - 15 bytes in 0.010 second response time, certificate 'web.example' expires in 20 days (2026-03-21)", nagios.Warning},
		{"critical", t0.AddDate(0, 0, 10), []string{"-C", "30,14"}, "HTTP CRITICAL - HTTP/1.1 200 OK - 15 bytes in 0.010 second response time, certificate 'web.example' expires in 10 days (2026-03-11)", nagios.Critical},
		// Expired fails verification, so only -k gets to the date.
		{"expired with -k", t0.AddDate(0, 0, -3), []string{"-C", "30", "-k"}, "HTTP CRITICAL - HTTP/1.1 200 OK - 15 bytes in 0.010 second response time, certificate 'web.example' expired 2026-02-26", nagios.Critical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(testHandler())
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.issue(t, "web.example", tt.notAfter)}}
			srv.StartTLS()
			defer srv.Close()
			env := testEnv(t)
			env.Now = steppingClock(10 * time.Millisecond)
			env.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool, Time: func() time.Time { return t0 }}}
			r := mustNew(t, env, append([]string{"http", "-u", srv.URL + "/ok"}, tt.args...)...).Run(t.Context())
			if r.Output != tt.want || r.State != tt.st {
				t.Fatalf("got %s %s\nwant %s %s", r.State, r.Output, tt.st, tt.want)
			}
			if last := r.Perf[len(r.Perf)-1]; last.Label != "cert_days" {
				t.Fatalf("perf = %v, want cert_days last", r.Perf)
			}
		})
	}
}

func TestHTTPUntrustedCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(testHandler())
	// The server logs the handshake the check refuses; that is the point.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	r := mustNew(t, testEnv(t), "http", "-u", srv.URL+"/ok").Run(t.Context())
	if r.State != nagios.Critical || !strings.Contains(r.Output, "certificate") {
		t.Fatalf("got %s", line(r))
	}
	r = mustNew(t, testEnv(t), "http", "-u", srv.URL+"/ok", "-k").Run(t.Context())
	if r.State != nagios.OK {
		t.Fatalf("-k: got %s", line(r))
	}
}

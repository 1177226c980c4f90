package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/testutil/fakees"
	"github.com/vigilmon/vigil/internal/testutil/peers"
)

// roundRobin is a load balancer: each request goes to the next backend; a
// backend that refuses the connection is skipped, as a health-checking load
// balancer would after its first failed probe.
type roundRobin struct {
	backends []string
	next     atomic.Uint64
	client   *http.Client
}

func (p *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	for range p.backends {
		target := p.backends[p.next.Add(1)%uint64(len(p.backends))]
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), strings.NewReader(string(body)))
		req.Header = r.Header.Clone()
		resp, err := p.client.Do(req)
		if err != nil {
			continue
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	http.Error(w, "no backend", http.StatusBadGateway)
}

// Two collectors share one cluster behind a round-robin load balancer. A rule
// fires and resolves again and again; maildev gets exactly one email per
// transition, also when one collector is killed in the middle.
func TestTwoCollectorsNotifyOncePerTransition(t *testing.T) {
	md := peers.Maildev(t)
	srv := fakees.New(fakees.Options{})
	defer srv.Close()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tokens"), e2eToken+"\n")
	if err := os.MkdirAll(filepath.Join(dir, "rules"), 0o750); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "rules", "e2e.yaml"), hotRule)
	alerting := fmt.Sprintf(`alerting:
  rule_files: [rules/*.yaml]
  evaluation_interval: 200ms
  flapping:
    enabled: false
route:
  receiver: ops
  group_wait: 0s
  group_interval: 1s
receivers:
  - name: ops
    email_configs:
      - smarthost: %q
        from: vigil@example.test
        to: [ops@example.test]
        tls: none
`, md.SMTPAddr())
	var apis []string
	var cols []*daemon
	for _, name := range []string{"c1", "c2"} {
		listen := freePort(t)
		cfg := clusterCollector(t, dir, name, listen, srv.URL(), alerting)
		cols = append(cols, start(t, "vigil-collector", "-config", cfg))
		apis = append(apis, "http://"+listen)
	}
	for _, api := range apis {
		waitFor(t, "collector up", 30*time.Second, func() bool { return httpStatus(api+"/healthz") == 200 })
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lb := &http.Server{Handler: &roundRobin{backends: apis, client: &http.Client{Timeout: 10 * time.Second}}}
	go func() { _ = lb.Serve(ln) }()
	defer lb.Shutdown(context.Background())
	agent := &sender{url: "http://" + ln.Addr().String() + "/api/v1/ingest", agent: "ha"}

	// hold sends v for a while, one batch every 100ms, alternating collectors.
	hold := func(v float64, n int) {
		for range n {
			agent.post(t, v)
			time.Sleep(100 * time.Millisecond) // the agent's interval, not synchronisation
		}
	}
	emails := func() (firing, resolved int) {
		all, err := md.Emails(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range all {
			if strings.HasPrefix(e.Subject, "[RESOLVED]") {
				resolved++
			} else {
				firing++
			}
		}
		return firing, resolved
	}
	const cycles = 4
	for c := 1; c <= cycles; c++ {
		hold(0.97, 15)
		waitFor(t, fmt.Sprintf("firing email %d", c), 30*time.Second, func() bool { f, _ := emails(); return f >= c })
		if c == 3 {
			// Kill one collector while the alert fires: the other carries on.
			cols[0].Signal(syscall.SIGKILL)
			<-cols[0].Done()
		}
		hold(0.1, 15)
		waitFor(t, fmt.Sprintf("resolved email %d", c), 30*time.Second, func() bool { _, r := emails(); return r >= c })
	}
	// Every notification attempt is in the shared history; wait until the
	// last one is recorded, then count what maildev holds.
	waitFor(t, "history of every send", 30*time.Second, func() bool {
		return len(okSends(t, srv)) >= 2*cycles
	})
	firing, resolved := emails()
	if firing != cycles || resolved != cycles {
		t.Errorf("maildev holds %d firing and %d resolved emails, want exactly %d of each (one per transition)", firing, resolved, cycles)
	}
	if n := len(okSends(t, srv)); n != 2*cycles {
		t.Errorf("history records %d delivered notifications, want %d", n, 2*cycles)
	}
	t.Logf("notification claims lost by the slower collector: %v", metric(apis[1]+"/metrics", `vigil_collector_notification_claims_total{result="lost"}`))
}

// okSends lists the delivered notifications in the cluster's alert history.
func okSends(t *testing.T, srv *fakees.Server) []fakees.Doc {
	var out []fakees.Doc
	for _, d := range srv.Docs("logs-vigil.alert-default") {
		if d.Source["event.action"] == "notify" && d.Source["vigil.notification.result"] == "ok" {
			out = append(out, d)
		}
	}
	return out
}

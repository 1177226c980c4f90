package peers

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/proc"
)

const (
	// startTimeout bounds a peer's start-up (node takes 1-3 s; more on a
	// loaded CI machine running many test packages at once).
	startTimeout = time.Minute
	// stopGrace is how long a peer gets to exit on SIGTERM before it is
	// killed (both exit in 1-3 s).
	stopGrace = 10 * time.Second
	// pollEvery is how often readiness and mailbox conditions are checked.
	pollEvery = 50 * time.Millisecond
	// logTail is how many lines of a peer's output a failure message quotes.
	logTail = 30
)

// launch describes how to start a peer on given ports and how to tell that it
// is ready.
type launch struct {
	peer  npmPeer
	ports int
	args  func(ports []int) []string
	ready func(ctx context.Context, ports []int) error
}

// start installs and starts the peer on fresh loopback ports, waits until it is
// ready and registers its stop with t.Cleanup. It returns the ports. A port can
// be taken between choosing and binding it; the start is then tried once more.
func start(t testing.TB, l launch) []int {
	t.Helper()
	pol := currentPolicy(os.Getenv, os.Geteuid())
	node, dir := ensureInstalled(t, l.peer, pol, cacheRoot())
	script := filepath.Join(dir, l.peer.script)
	logDir := t.TempDir()
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(l.ports)
		if err != nil {
			pol.unavailable(t, l.peer.name, err.Error(), "free a loopback port")
		}
		logPath := filepath.Join(logDir, fmt.Sprintf("%s-%d.log", l.peer.name, attempt))
		p, err := proc.Start(logPath, node, append([]string{script}, l.args(ports)...)...)
		if err != nil {
			pol.unavailable(t, l.peer.name, err.Error(), "check "+dir)
		}
		err = waitReady(t.Context(), p, func(ctx context.Context) error { return l.ready(ctx, ports) })
		if err == nil {
			t.Cleanup(func() { stop(t, l.peer.name, p) })
			return ports
		}
		p.Stop(syscall.SIGTERM, stopGrace)
		out := p.LogText()
		if attempt == 1 && strings.Contains(out, "EADDRINUSE") {
			continue
		}
		pol.unavailable(t, l.peer.name, fmt.Sprintf("start %s: %v; its output (%s) ends with:\n%s",
			l.peer.name, err, logPath, tail(out, logTail)), "reinstall it by removing "+dir)
	}
}

func stop(t testing.TB, name string, p *proc.Proc) {
	_, killed := p.Stop(syscall.SIGTERM, stopGrace)
	if killed {
		t.Logf("test peer %s ignored SIGTERM for %s and was killed", name, stopGrace)
	}
	if t.Failed() {
		t.Logf("test peer %s output (%s) ends with:\n%s", name, p.Log, tail(p.LogText(), logTail))
	}
}

// waitReady polls ready until it succeeds, the peer exits or startTimeout
// passes.
func waitReady(ctx context.Context, p *proc.Proc, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		tryCtx, tryCancel := context.WithTimeout(ctx, 2*time.Second)
		err := ready(tryCtx)
		tryCancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.Done():
			return fmt.Errorf("exited before it was ready: %v", p.Err())
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %w", startTimeout, err)
		case <-tick.C:
		}
	}
}

// freePorts returns n distinct loopback TCP ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// newHTTPClient is the client helpers use to read a peer's API. Without
// keep-alives no transport goroutine outlives a call, so packages that run
// goleak stay clean.
func newHTTPClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// httpOK is a readiness check: GET url answers 200.
func httpOK(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// tcpOpen is a readiness check: something accepts connections on addr.
func tcpOpen(ctx context.Context, addr string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

// waitFor polls fetch until done accepts its result or timeout passes, then
// fails the test with describe's account of the last result.
func waitFor[T any](t testing.TB, timeout time.Duration, fetch func(context.Context) (T, error),
	done func(T) bool, describe func(T) string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var (
		last    T
		lastErr error
	)
	for {
		v, err := fetch(ctx)
		switch {
		case err == nil && done(v):
			return v
		case err == nil:
			last, lastErr = v, nil
		case ctx.Err() == nil || lastErr == nil:
			// A fetch cut short by the deadline says less than the
			// error before it.
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				t.Fatalf("after %s: %v (last seen: %s)", timeout, lastErr, describe(last))
			}
			t.Fatalf("after %s: %s", timeout, describe(last))
			return last
		case <-tick.C:
		}
	}
}

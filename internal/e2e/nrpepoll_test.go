package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/testutil/peers"
	"github.com/vigilmon/vigil/internal/testutil/testpki"
)

// nrpeReadableDir is a directory Debian's nrpe can read after dropping to
// the nagios user (t.TempDir is root's alone).
func nrpeReadableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "vigil-e2e-nrpe")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The collector polls two unmodified Debian nrpe daemons, one plaintext and
// one with a certificate; their results show in the host API with state,
// output and last change, and a HARD CRITICAL fires the Check alert.
func TestCollectorPollsRealNRPE(t *testing.T) {
	dir := nrpeReadableDir(t)
	ca := testpki.NewCA(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	caFile := ca.WriteCA(t, dir, "ca.pem")
	cert, key := testpki.WritePair(t, dir, "nrpe", ca.Issue(t, testpki.Leaf{CommonName: "127.0.0.1", IPs: testpki.Loopback}))
	commands := map[string]string{
		"check_ok":   peers.PluginDir + "/check_dummy 0 'all good | latency=0.25s;1;2;0'",
		"check_crit": peers.PluginDir + "/check_dummy 2 'disk full'",
	}
	plain := peers.NRPE(t, peers.NRPEOptions{Plain: true, Commands: commands})
	secure := peers.NRPE(t, peers.NRPEOptions{CertFile: cert, KeyFile: key, Commands: commands})

	r := newRig(t, time.Second)
	writeFile(t, r.collectorCfg, fmt.Sprintf(`listen: %q
tokens_file: %q
store:
  sqlite:
    path: %q
alerting:
  evaluation_interval: 200ms
nrpe_targets:
  - host: legacy-plain
    address: %q
    plaintext: true
    interval: 1s
    retry_interval: 1s
    max_attempts: 2
    commands:
      - {name: ok, command: check_ok}
      - {name: crit, command: check_crit}
  - host: legacy-tls
    address: %q
    tls: {ca_file: %q}
    interval: 1s
    max_attempts: 1
    commands:
      - {name: ok, command: check_ok}
log:
  level: debug
`, strings.TrimPrefix(r.api, "http://"), filepath.Join(r.dir, "tokens"), r.db, plain.Addr, secure.Addr, caFile))
	r.startCollector()

	type check struct {
		Name       string
		State      string
		StateCode  int    `json:"state_code"`
		StateType  string `json:"state_type"`
		Output     string
		LastChange time.Time `json:"last_change"`
		Perf       []struct {
			Label string
			Value float64
			Unit  string
		}
	}
	hostChecks := func(name string) map[string]check {
		if httpStatus(r.api+"/api/v1/hosts/"+name) != 200 {
			return nil
		}
		var h struct{ Checks []check }
		getJSON(t, r.api+"/api/v1/hosts/"+name, &h)
		out := map[string]check{}
		for _, c := range h.Checks {
			out[c.Name] = c
		}
		return out
	}
	waitFor(t, "the plaintext daemon's CRITICAL to turn HARD", 30*time.Second, func() bool {
		c, ok := hostChecks("legacy-plain")["crit"]
		return ok && c.StateType == "hard"
	})
	plainChecks := hostChecks("legacy-plain")
	if c := plainChecks["crit"]; c.State != "CRITICAL" || c.StateCode != 2 || c.Output != "CRITICAL: disk full" || c.LastChange.IsZero() {
		t.Fatalf("crit: %+v", c)
	}
	if c := plainChecks["ok"]; c.State != "OK" || c.Output != "OK: all good" || len(c.Perf) != 1 || c.Perf[0].Label != "latency" ||
		c.Perf[0].Value != 0.25 || c.Perf[0].Unit != "s" {
		t.Fatalf("ok: %+v", c)
	}
	waitFor(t, "the TLS daemon's result", 30*time.Second, func() bool {
		c, ok := hostChecks("legacy-tls")["ok"]
		return ok && c.State == "OK" && c.Output == "OK: all good"
	})

	var alerts []struct {
		Rule   string
		State  string
		Labels map[string]string
	}
	waitFor(t, "the Check alert of legacy-plain/crit to fire", 30*time.Second, func() bool {
		getJSON(t, r.api+"/api/v1/alerts", &alerts)
		for _, a := range alerts {
			if a.Rule == "Check" && a.State == "firing" && a.Labels["host"] == "legacy-plain" && a.Labels["check"] == "crit" {
				return true
			}
		}
		return false
	})
	// The perfdata became a metric series of the polled host.
	waitFor(t, "perfdata as a metric", 10*time.Second, func() bool {
		var series []struct{ Points []struct{ V float64 } }
		getJSON(t, r.api+"/api/v1/metrics?host=legacy-plain&field=vigil.check.perfdata.latency", &series)
		return len(series) == 1 && len(series[0].Points) > 0 && series[0].Points[0].V == 0.25
	})
}

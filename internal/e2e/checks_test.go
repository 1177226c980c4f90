package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/testutil/peers"
)

// The agent runs a real monitoring plugin, a built-in check and a failing
// plugin on schedule; the collector shows their states and fires the Check
// alert once the failure is HARD; stock check_nrpe queries the same checks
// through the agent's NRPE server.
func TestAgentChecksToCollectorAndNRPE(t *testing.T) {
	plugins := peers.Plugins(t)
	r := newRig(t, time.Second)
	writeFile(t, r.collectorCfg, fmt.Sprintf("listen: %q\ntokens_file: %q\nstore:\n  sqlite:\n    path: %q\nalerting:\n  evaluation_interval: 200ms\nlog:\n  level: debug\n",
		strings.TrimPrefix(r.api, "http://"), r.dir+"/tokens", r.db))
	nrpeAddr := freePort(t)
	base, err := os.ReadFile(r.agentCfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, r.agentCfg, string(base)+fmt.Sprintf(`checks:
  - name: dummy_ok
    command: [%[1]s/check_dummy, "0", "plugin fine"]
    interval: 1s
    retry_interval: 1s
    timeout: 1s
  - name: dummy_crit
    command: [%[1]s/check_dummy, "2", "plugin broken"]
    interval: 1s
    retry_interval: 1s
    timeout: 1s
    max_attempts: 2
  - name: root_disk
    builtin: [disk, -w, "0%%", -c, "0%%", -p, /]
    interval: 1s
    retry_interval: 1s
    timeout: 1s
nrpe:
  listen: %[2]q
  plaintext: true
  commands:
    check_ok: {check: dummy_ok}
    check_disk: {check: root_disk}
`, plugins, nrpeAddr))
	r.startCollector()
	r.startAgent()

	type check struct {
		Name      string
		State     string
		StateType string `json:"state_type"`
		Output    string
	}
	checks := func() map[string]check {
		if httpStatus(r.api+"/api/v1/hosts/e2e-host") != 200 {
			return nil
		}
		var h struct{ Checks []check }
		getJSON(t, r.api+"/api/v1/hosts/e2e-host", &h)
		out := map[string]check{}
		for _, c := range h.Checks {
			out[c.Name] = c
		}
		return out
	}
	waitFor(t, "the failing plugin to turn HARD at the collector", 30*time.Second, func() bool {
		c := checks()
		return c["dummy_crit"].StateType == "hard" && c["dummy_ok"].State == "OK" && c["root_disk"].State != ""
	})
	got := checks()
	if c := got["dummy_crit"]; c.State != "CRITICAL" || c.Output != "CRITICAL: plugin broken" {
		t.Errorf("dummy_crit: %+v", c)
	}
	if c := got["root_disk"]; c.State != "OK" || !strings.HasPrefix(c.Output, "DISK OK") {
		t.Errorf("root_disk: %+v", c)
	}
	var alerts []struct {
		Rule, State string
		Labels      map[string]string
	}
	waitFor(t, "the Check alert of dummy_crit", 20*time.Second, func() bool {
		getJSON(t, r.api+"/api/v1/alerts", &alerts)
		for _, a := range alerts {
			if a.Rule == "Check" && a.State == "firing" && a.Labels["check"] == "dummy_crit" {
				return true
			}
		}
		return false
	})

	host, port, _ := strings.Cut(nrpeAddr, ":")
	out, rc := peers.CheckNRPE(t, "-n", "-H", host, "-p", port, "-c", "check_ok")
	if rc != 0 || strings.TrimSpace(out) != "OK: plugin fine" {
		t.Errorf("check_nrpe check_ok: %q rc %d", out, rc)
	}
	out, rc = peers.CheckNRPE(t, "-n", "-H", host, "-p", port, "-c", "check_disk")
	if rc != 0 || !strings.HasPrefix(out, "DISK OK") || !strings.Contains(out, "|") {
		t.Errorf("check_nrpe check_disk: %q rc %d", out, rc)
	}
	out, rc = peers.CheckNRPE(t, "-n", "-H", host, "-p", port, "-c", "nosuch")
	if rc != 3 || !strings.Contains(out, "NRPE: Command 'nosuch' not defined") {
		t.Errorf("check_nrpe nosuch: %q rc %d", out, rc)
	}
}

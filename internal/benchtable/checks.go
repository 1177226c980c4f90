package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/proc"
)

// checksResult is part 4: the check runner and the NRPE server of a real
// agent, side by side with Debian's nrpe.
type checksResult struct {
	checksPerCPUSecond float64 // scheduled check_dummy runs per agent CPU-second, fork/exec included
	checksPerSecond    float64
	agentPlugin        loadResult // NRPE, command = check_dummy through the runner
	agentBuiltin       loadResult // NRPE, command = built-in load check (no fork)
	peer               loadResult // Debian's nrpe, command = check_dummy
}

// scheduledChecks runs this many check_dummy checks every second in the agent.
const scheduledChecks = 40

func checksThroughput(bin, dir string, conc int, d time.Duration) (checksResult, error) {
	var res checksResult
	if err := ensureNRPE(); err != nil {
		return res, err
	}
	collector, api, err := startCollector(bin, filepath.Join(dir, "collector"))
	if err != nil {
		return res, err
	}
	defer stop(collector)
	agent, metricsURL, nrpeAddr, err := startCheckAgent(bin, dir, api)
	if err != nil {
		return res, err
	}
	defer stop(agent)

	// Scheduled checks alone first: the NRPE load would be counted too.
	runs0 := promSum(metricsURL, "vigil_agent_check_runs_total")
	cpu0, err := cpuWithChildren(agent.Pid())
	if err != nil {
		return res, err
	}
	start := time.Now()
	time.Sleep(d) // measuring a steady rate over a span of time
	runs := promSum(metricsURL, "vigil_agent_check_runs_total") - runs0
	cpu1, err := cpuWithChildren(agent.Pid())
	if err != nil {
		return res, err
	}
	if runs <= 0 {
		return res, fmt.Errorf("the agent ran no scheduled check in %s (see %s)", d, filepath.Join(dir, "agent.log"))
	}
	res.checksPerSecond = runs / time.Since(start).Seconds()
	res.checksPerCPUSecond = runs / (cpu1 - cpu0).Seconds()

	if res.agentPlugin, err = nrpeLoad(nrpeAddr, "bench_dummy", agent.Pid(), conc, d); err != nil {
		return res, err
	}
	if res.agentBuiltin, err = nrpeLoad(nrpeAddr, "bench_load", agent.Pid(), conc, d); err != nil {
		return res, err
	}
	peer, peerAddr, err := startNRPE(filepath.Join(dir, "nrpe"))
	if err != nil {
		return res, err
	}
	defer stop(peer)
	if res.peer, err = nrpeLoad(peerAddr, nrpeCommand, peer.Pid(), conc, d); err != nil {
		return res, err
	}
	return res, nil
}

// startCheckAgent runs an agent with scheduledChecks check_dummy checks at
// 1s and an NRPE server (plaintext, loopback) with a plugin and a built-in
// command.
func startCheckAgent(bin, dir, api string) (*proc.Proc, string, string, error) {
	tokenFile := filepath.Join(dir, "checks-agent.token")
	if err := os.WriteFile(tokenFile, []byte(benchToken), 0o600); err != nil {
		return nil, "", "", err
	}
	metricsAddr, err := freeAddr()
	if err != nil {
		return nil, "", "", err
	}
	nrpeAddr, err := freeAddr()
	if err != nil {
		return nil, "", "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "interval: 10s\ncollector:\n  url: %s/api/v1/ingest\n  token_file: %q\nspool:\n  dir: %q\nhost:\n  name: bench-checks\n  imds: false\n",
		api, tokenFile, filepath.Join(dir, "checks-spool"))
	fmt.Fprintf(&b, "metrics_listen: %q\nlog:\n  level: warn\ncheck_concurrency: 8\nchecks:\n", metricsAddr)
	for i := range scheduledChecks {
		fmt.Fprintf(&b, "  - {name: dummy%d, command: [%s, \"0\", fine], interval: 1s, retry_interval: 1s, timeout: 1s}\n", i, checkDummy)
	}
	fmt.Fprintf(&b, "  - {name: nrpe_dummy, command: [%s, \"0\", fine], on_demand: true}\n", checkDummy)
	fmt.Fprintf(&b, "  - {name: nrpe_load, builtin: [load, -w, \"1000,1000,1000\", -c, \"2000,2000,2000\"], on_demand: true}\n")
	fmt.Fprintf(&b, "nrpe:\n  listen: %q\n  plaintext: true\n  max_connections: 64\n  commands:\n    bench_dummy: {check: nrpe_dummy}\n    bench_load: {check: nrpe_load}\n", nrpeAddr)
	cfg := filepath.Join(dir, "checks-agent.yaml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		return nil, "", "", err
	}
	p, err := proc.Start(filepath.Join(dir, "agent.log"), filepath.Join(bin, "vigil-agent"), "-config", cfg)
	if err != nil {
		return nil, "", "", err
	}
	if err := waitTCP(nrpeAddr, 20*time.Second); err != nil {
		stop(p)
		return nil, "", "", fmt.Errorf("agent NRPE server: %w\n%s", err, p.LogText())
	}
	return p, "http://" + metricsAddr + "/metrics", nrpeAddr, nil
}

// promSum adds up every series of a metric family.
func promSum(url, name string) float64 {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			v, _ := strconv.ParseFloat(line[i+1:], 64)
			sum += v
		}
	}
	return sum
}

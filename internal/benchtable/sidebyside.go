package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/proc"
)

const benchToken = "bench-token-0123456789abcdef"

type sideResult struct {
	agentCPU, peerCPU         time.Duration // per cycle / per scrape
	agentRSS, peerRSS         int64         // KiB
	agentHWM, peerHWM         int64
	agentSamples, peerSamples float64 // per cycle / per scrape
}

// startCollector writes a config into dir and starts a collector on a free port.
func startCollector(bin, dir string) (*proc.Proc, string, error) {
	return startCollectorWith(bin, dir, fmt.Sprintf("store:\n  sqlite:\n    path: %q\n", filepath.Join(dir, "vigil.db")))
}

// startCollectorWith starts a collector whose config has storeYAML (the
// store: block) besides the listener and tokens.
func startCollectorWith(bin, dir, storeYAML string) (*proc.Proc, string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("bench "+benchToken+"\n"), 0o600); err != nil {
		return nil, "", err
	}
	cfg := filepath.Join(dir, "collector.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "listen: %q\ntokens_file: %q\n%slog:\n  level: warn\n",
		addr, tokens, storeYAML), 0o600); err != nil {
		return nil, "", err
	}
	d, err := proc.Start(filepath.Join(dir, "collector.log"), filepath.Join(bin, "vigil-collector"), "-config", cfg)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := waitOK(ctx, "http://"+addr+"/healthz"); err != nil {
		stop(d)
		return nil, "", err
	}
	return d, "http://" + addr, nil
}

func sideBySide(bin, exporter, dir string, cycles int, interval time.Duration) (sideResult, error) {
	var res sideResult
	collector, api, err := startCollector(bin, filepath.Join(dir, "collector"))
	if err != nil {
		return res, err
	}
	defer stop(collector)
	tokenFile := filepath.Join(dir, "agent.token")
	if err := os.WriteFile(tokenFile, []byte(benchToken), 0o600); err != nil {
		return res, err
	}
	agentMetrics, err := freeAddr()
	if err != nil {
		return res, err
	}
	agentCfg := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(agentCfg, fmt.Appendf(nil, `interval: %s
jitter: 0s
input_timeout: %s
collector:
  url: %s/api/v1/ingest
  token_file: %q
spool:
  dir: %q
host:
  imds: false
metrics_listen: %q
log:
  level: warn
`, interval, interval, api, tokenFile, filepath.Join(dir, "spool"), agentMetrics), 0o600); err != nil {
		return res, err
	}
	agent, err := proc.Start(filepath.Join(dir, "agent.log"), filepath.Join(bin, "vigil-agent"), "-config", agentCfg)
	if err != nil {
		return res, err
	}
	defer stop(agent)
	peerAddr, err := freeAddr()
	if err != nil {
		return res, err
	}
	peer, err := proc.Start(filepath.Join(dir, "node_exporter.log"), exporter, "--web.listen-address="+peerAddr)
	if err != nil {
		return res, err
	}
	defer stop(peer)
	peerURL := "http://" + peerAddr + "/metrics"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := waitOK(ctx, peerURL); err != nil {
		return res, err
	}
	// Warm up: a few cycles each so both have their steady-state heaps and caches.
	for range 3 {
		if _, err := scrape(peerURL); err != nil {
			return res, err
		}
		time.Sleep(interval)
	}
	batches0, samples0 := promValue(api+"/metrics", "vigil_collector_ingest_batches_total"), promValue(api+"/metrics", "vigil_collector_ingest_samples_total")
	agentCPU0, err := cpuTime(agent.Pid())
	if err != nil {
		return res, err
	}
	peerCPU0, err := cpuTime(peer.Pid())
	if err != nil {
		return res, err
	}
	tick := time.NewTicker(interval)
	peerSamples := 0
	for range cycles {
		<-tick.C
		n, err := scrape(peerURL)
		if err != nil {
			return res, err
		}
		peerSamples += n
	}
	tick.Stop()
	agentCPU1, _ := cpuTime(agent.Pid())
	peerCPU1, _ := cpuTime(peer.Pid())
	batches := promValue(api+"/metrics", "vigil_collector_ingest_batches_total") - batches0
	samples := promValue(api+"/metrics", "vigil_collector_ingest_samples_total") - samples0
	if batches < float64(cycles)/2 {
		return res, fmt.Errorf("the agent delivered only %.0f batches in %d cycles; see %s", batches, cycles, filepath.Join(dir, "agent.log"))
	}
	res.agentCPU = time.Duration(float64(agentCPU1-agentCPU0) / batches)
	res.peerCPU = (peerCPU1 - peerCPU0) / time.Duration(cycles)
	res.agentSamples = samples / batches
	res.peerSamples = float64(peerSamples) / float64(cycles)
	res.agentRSS, res.agentHWM = memKB(agent.Pid())
	res.peerRSS, res.peerHWM = memKB(peer.Pid())
	return res, nil
}

// scrape fetches a Prometheus endpoint and counts its samples.
func scrape(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" && line[0] != '#' {
			n++
		}
	}
	return n, sc.Err()
}

// promValue reads one unlabelled sample from a Prometheus endpoint (0 if absent).
func promValue(url, name string) float64 {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return 0
}

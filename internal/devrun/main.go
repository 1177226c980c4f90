// Command devrun is what `make run` starts: a collector with the embedded store and
// one agent against it, both on loopback, with a fresh token, state kept in one
// directory. It prints where to look and stops both on Ctrl-C.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vigilmon/vigil/internal/proc"
)

const (
	collectorAddr = "127.0.0.1:8470"
	agentMetrics  = "127.0.0.1:8471"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding vigil-agent and vigil-collector")
	dir := flag.String("dir", ".run", "state directory (configs, database, spool, logs)")
	rules := flag.String("rules", "configs/rules/*.yaml", "alert rule files (glob)")
	flag.Parse()
	if err := run(*bin, *dir, *rules); err != nil {
		fmt.Fprintln(os.Stderr, "make run:", err)
		os.Exit(1)
	}
}

func run(bin, dir, rules string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "collector"), 0o750); err != nil {
		return err
	}
	if err := ensureToken(dir); err != nil {
		return err
	}
	collectorCfg := filepath.Join(dir, "collector.yaml")
	agentCfg := filepath.Join(dir, "agent.yaml")
	db := filepath.Join(dir, "collector", "vigil.db")
	rules, err = filepath.Abs(rules)
	if err != nil {
		return err
	}
	if err := os.WriteFile(collectorCfg, fmt.Appendf(nil, collectorYAML, collectorAddr, filepath.Join(dir, "tokens"), db, rules, "http://"+collectorAddr), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(agentCfg, fmt.Appendf(nil, agentYAML, collectorAddr, filepath.Join(dir, "agent.token"), filepath.Join(dir, "spool"), agentMetrics), 0o600); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Children run in their own process group: Ctrl-C reaches devrun only, which
	// stops the agent first so its last batch can still be delivered.
	collector, err := proc.Start(filepath.Join(dir, "collector.log"), filepath.Join(bin, "vigil-collector"), "-config", collectorCfg)
	if err != nil {
		return err
	}
	defer terminate(collector, "collector")
	if err := waitHTTP(ctx, "http://"+collectorAddr+"/healthz", 15*time.Second); err != nil {
		return fmt.Errorf("collector did not come up (see %s): %w", filepath.Join(dir, "collector.log"), err)
	}
	agent, err := proc.Start(filepath.Join(dir, "agent.log"), filepath.Join(bin, "vigil-agent"), "-config", agentCfg)
	if err != nil {
		return err
	}
	defer terminate(agent, "agent")

	host, _ := os.Hostname()
	api := "http://" + collectorAddr
	fmt.Printf(`
Vigil is running (state in %s).

  Status page     %s/
  Hosts (JSON)    %s/api/v1/hosts
  This host       %s/api/v1/hosts/%s
  Collector /metrics %s/metrics     Agent /metrics http://%s/metrics
  Alerts          %s/api/v1/alerts   history: %s/api/v1/alerts/history
  Silences        %s/api/v1/silences
  Database        %s
  Logs            %s/collector.log  %s/agent.log  (notifications go to the collector log)

Try:
  curl -s %s/api/v1/hosts/%s
  curl -s '%s/api/v1/metrics?host=%s&field=system.cpu.total.norm.pct&from=-15m'

Waiting for the first batch... `, dir, api, api, api, host, api, agentMetrics, api, api, api, db, dir, dir, api, host, api, host)
	if err := waitHost(ctx, api, host, 60*time.Second); err != nil {
		fmt.Println("not yet:", err)
	} else {
		fmt.Println("this host is reporting.")
	}
	fmt.Println("Ctrl-C stops both.")

	select {
	case <-ctx.Done():
	case <-collector.Done():
		return fmt.Errorf("collector exited: %v (see %s/collector.log)", collector.Err(), dir)
	case <-agent.Done():
		return fmt.Errorf("agent exited: %v (see %s/agent.log)", agent.Err(), dir)
	}
	fmt.Println("\nstopping agent and collector...")
	return nil
}

const collectorYAML = `# written by make run
listen: %q
tokens_file: %q
store:
  sqlite:
    path: %q
alerting:
  rule_files: [%q]
external_url: %q
route:
  receiver: log
  group_wait: 5s
log:
  level: info
`

const agentYAML = `# written by make run
interval: 10s
jitter: 0s
collector:
  url: http://%s/api/v1/ingest
  token_file: %q
  min_backoff: 500ms
  max_backoff: 10s
spool:
  dir: %q
host:
  imds: false
metrics_listen: %q
log:
  level: info
`

// ensureToken creates the tokens file and the agent's token file once; later runs
// reuse them so the agent's spool stays valid.
func ensureToken(dir string) error {
	path := filepath.Join(dir, "agent.token")
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	tok := hex.EncodeToString(raw[:])
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "tokens"), []byte("# name token\nlocal-agent "+tok+"\n"), 0o600)
}

// terminate stops p with SIGTERM, killing it after 15 s, and says how it went.
func terminate(p *proc.Proc, name string) {
	err, killed := p.Stop(syscall.SIGTERM, 15*time.Second)
	switch {
	case killed:
		fmt.Printf("%s did not stop in 15s; killed\n", name)
	case err != nil:
		fmt.Printf("%s stopped: %v\n", name, err)
	default:
		fmt.Printf("%s stopped cleanly\n", name)
	}
}

func waitHTTP(ctx context.Context, url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", url, errors.Join(ctx.Err(), err))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func waitHost(ctx context.Context, api, host string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		resp, err := http.Get(api + "/api/v1/hosts/" + host)
		if err == nil {
			var detail struct {
				Metrics []json.RawMessage `json:"metrics"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&detail)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && len(detail.Metrics) > 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

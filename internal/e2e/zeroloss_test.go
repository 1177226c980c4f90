package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

const e2eToken = "e2e-token-0123456789abcdef"

// rig is one collector + one agent with their configs in a temp dir.
type rig struct {
	t            *testing.T
	dir          string
	collectorCfg string
	agentCfg     string
	api          string
	agentMetrics string
	db           string
	spool        string
}

func newRig(t *testing.T, interval time.Duration) *rig {
	t.Helper()
	dir := t.TempDir()
	r := &rig{t: t, dir: dir, db: filepath.Join(dir, "collector", "vigil.db"), spool: filepath.Join(dir, "spool")}
	listen := freePort(t)
	r.api = "http://" + listen
	metricsAddr := freePort(t)
	r.agentMetrics = "http://" + metricsAddr + "/metrics"
	writeFile(t, filepath.Join(dir, "tokens"), "e2e "+e2eToken+"\n")
	writeFile(t, filepath.Join(dir, "agent.token"), e2eToken+"\n")
	r.collectorCfg = filepath.Join(dir, "collector.yaml")
	writeFile(t, r.collectorCfg, fmt.Sprintf("listen: %q\ntokens_file: %q\nstore:\n  sqlite:\n    path: %q\nlog:\n  level: debug\n",
		listen, filepath.Join(dir, "tokens"), r.db))
	r.agentCfg = filepath.Join(dir, "agent.yaml")
	r.writeAgentConfig(interval)
	return r
}

func (r *rig) writeAgentConfig(interval time.Duration) {
	writeFile(r.t, r.agentCfg, fmt.Sprintf(`interval: %s
jitter: 0s
input_timeout: %s
filesystem:
  mount_timeout: %s
collector:
  url: %s/api/v1/ingest
  token_file: %q
  min_backoff: 20ms
  max_backoff: 200ms
spool:
  dir: %q
host:
  name: e2e-host
  imds: false
metrics_listen: %q
shutdown_timeout: 20s
log:
  level: debug
`, interval, interval, interval/2, r.api, filepath.Join(r.dir, "agent.token"), r.spool, strings.TrimSuffix(strings.TrimPrefix(r.agentMetrics, "http://"), "/metrics")))
}

func (r *rig) startCollector() *daemon {
	p := start(r.t, "vigil-collector", "-config", r.collectorCfg)
	waitFor(r.t, "collector /healthz", 20*time.Second, func() bool { return httpStatus(r.api+"/healthz") == 200 })
	return p
}

func (r *rig) startAgent() *daemon {
	p := start(r.t, "vigil-agent", "-config", r.agentCfg)
	waitFor(r.t, "agent /metrics", 20*time.Second, func() bool { return metric(r.agentMetrics, "vigil_agent_spool_next_seq") > 0 })
	return p
}

func (r *rig) collectorBatches() float64 {
	return metric(r.api+"/metrics", "vigil_collector_ingest_batches_total")
}

func (r *rig) agentSpooled() float64 { return metric(r.agentMetrics, "vigil_agent_spool_batches") }

// TestZeroLossAcrossOutageReloadAndKill is the foundation's promise: with the
// collector away, the agent reloaded and then killed with SIGKILL, every batch the
// agent produced is stored exactly once when the collector returns.
func TestZeroLossAcrossOutageReloadAndKill(t *testing.T) {
	r := newRig(t, 100*time.Millisecond)
	collector := r.startCollector()
	agent := r.startAgent()
	waitFor(t, "first batches stored", 30*time.Second, func() bool { return r.collectorBatches() >= 5 })

	// Outage: the agent must keep producing into its spool.
	if err := collector.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("collector exit: %v", err)
	}
	waitFor(t, "agent spooling during the outage", 30*time.Second, func() bool { return r.agentSpooled() >= 10 })

	// A reload during the outage keeps the spool and continues the sequence.
	seqBefore := metric(r.agentMetrics, "vigil_agent_spool_next_seq")
	r.writeAgentConfig(150 * time.Millisecond)
	agent.Signal(syscall.SIGHUP)
	waitFor(t, "reload logged", 10*time.Second, func() bool { return strings.Contains(agent.LogText(), "configuration reloaded") })
	waitFor(t, "spooling after reload", 30*time.Second, func() bool {
		return metric(r.agentMetrics, "vigil_agent_spool_next_seq") >= seqBefore+3
	})

	// kill -9 mid-outage, then restart: nothing spooled may be lost or renumbered.
	if err := agent.stop(syscall.SIGKILL); err == nil {
		t.Fatal("agent exited cleanly on SIGKILL?")
	}
	onDisk := countFiles(t, filepath.Join(r.spool, "*.json.gz"))
	if onDisk < 10 {
		t.Fatalf("only %d batches on disk after SIGKILL", onDisk)
	}
	agent = r.startAgent()
	waitFor(t, "spooling after restart", 30*time.Second, func() bool { return r.agentSpooled() >= float64(onDisk+5) })

	// The collector returns: the backlog drains.
	collector = r.startCollector()
	waitFor(t, "backlog delivered", 60*time.Second, func() bool { return r.agentSpooled() == 0 })
	if err := agent.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("agent exit on SIGTERM: %v", err)
	}
	if err := collector.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("collector exit on SIGTERM: %v", err)
	}

	// What the agent produced: its persisted state after a clean, drained stop.
	var state struct {
		AgentID   string `json:"agent_id"`
		LastAcked uint64 `json:"last_acked_seq"`
		Dropped   uint64 `json:"dropped_batches"`
		Rejected  uint64 `json:"rejected_batches"`
	}
	raw, err := os.ReadFile(filepath.Join(r.spool, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatal(err)
	}
	if left := countFiles(t, filepath.Join(r.spool, "*.json.gz")); left != 0 {
		t.Fatalf("%d batches left in the spool after a drained stop", left)
	}
	if state.Dropped != 0 || state.Rejected != 0 {
		t.Fatalf("agent dropped %d and had %d rejected batches; this test must lose nothing", state.Dropped, state.Rejected)
	}

	db, err := sql.Open("sqlite", "file:"+r.db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT seq FROM batches WHERE agent_id = ? ORDER BY seq`, state.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	var want uint64 = 1
	for rows.Next() {
		var seq uint64
		if err := rows.Scan(&seq); err != nil {
			t.Fatal(err)
		}
		if seq != want {
			t.Fatalf("stored sequence jumps from %d to %d: batches lost", want-1, seq)
		}
		want++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// At least: 5 before the outage, what was on disk at the kill, 5 after restart.
	if stored := want - 1; stored != state.LastAcked || stored < uint64(onDisk+10) {
		t.Fatalf("collector stored batches 1..%d, agent produced 1..%d (want equal and ≥ %d)", stored, state.LastAcked, onDisk+10)
	}
	var declared, samples int64
	if err := db.QueryRow(`SELECT sum(samples) FROM batches`).Scan(&declared); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM samples`).Scan(&samples); err != nil {
		t.Fatal(err)
	}
	if declared != samples {
		t.Fatalf("batches declare %d samples, the store holds %d: samples lost or duplicated", declared, samples)
	}
	t.Logf("%d batches, %d samples stored exactly once across outage, reload and SIGKILL", state.LastAcked, samples)
}

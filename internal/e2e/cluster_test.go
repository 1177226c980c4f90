package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/testutil/fakees"
)

// clusterCollector is the config of a collector on a (fake) Elasticsearch.
func clusterCollector(t *testing.T, dir, name, listen, esURL, extra string) string {
	t.Helper()
	path := filepath.Join(dir, name+".yaml")
	writeFile(t, path, fmt.Sprintf(`name: %q
listen: %q
tokens_file: %q
store:
  elasticsearch:
    addresses: [%q]
    outbox:
      dir: %q
    bulk:
      max_backoff: 1s
    request_timeout: 5s
    peer_poll: 200ms
    claim_lease: 3s
log:
  level: debug
%s`, name, listen, filepath.Join(dir, "tokens"), esURL, filepath.Join(dir, name+"-outbox"), extra))
	return path
}

// sender posts synthetic agent batches, counting what was acked.
type sender struct {
	url   string
	agent string
	seq   atomic.Uint64
	acked atomic.Int64
}

// post sends one batch with three events and reports the HTTP status.
func (s *sender) post(t *testing.T, cpu float64) int {
	seq := s.seq.Add(1)
	ts := time.Now().UnixMilli() + int64(seq) // distinct timestamps even within a millisecond
	b, _ := json.Marshal(map[string]any{"agent_id": s.agent, "seq": seq,
		"agent": map[string]any{"version": "e2e", "interval_ms": 60000}, "host": map[string]any{"name": s.agent + "-host"},
		"events": []any{
			map[string]any{"ts": ts, "dataset": "system.cpu", "values": map[string]float64{"system.cpu.total.norm.pct": cpu}},
			map[string]any{"ts": ts, "dataset": "system.load", "values": map[string]float64{"system.load.norm.1": 0.1}},
			map[string]any{"ts": ts, "dataset": "system.filesystem", "dims": map[string]string{"system.filesystem.mount_point": "/"},
				"values": map[string]float64{"system.filesystem.used.pct": 0.4}},
		}})
	status, body := postRaw(s.url, e2eToken, "", b)
	switch status {
	case 200:
		s.acked.Add(1)
	case 429:
		s.seq.Add(^uint64(0)) // not taken: the agent would resend this seq; so do we
	default:
		t.Errorf("ingest %s seq %d: %d %s", s.agent, seq, status, body)
	}
	return status
}

// The cluster goes away under load and the collector is killed meanwhile:
// agents keep being acked (the outbox), and once the cluster is back every
// acked document is in it exactly once.
func TestClusterOutageUnderLoadLosesNothing(t *testing.T) {
	srv := fakees.New(fakees.Options{})
	defer srv.Close()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tokens"), e2eToken+"\n")
	api := "http://" + freePort(t)
	cfg := clusterCollector(t, dir, "c1", strings.TrimPrefix(api, "http://"), srv.URL(), "")
	col := start(t, "vigil-collector", "-config", cfg)
	waitFor(t, "collector up", 30*time.Second, func() bool { return httpStatus(api+"/healthz") == 200 })

	senders := make([]*sender, 4)
	for i := range senders {
		senders[i] = &sender{url: api + "/api/v1/ingest", agent: fmt.Sprintf("load-%d", i)}
	}
	load := func(rounds int) {
		var wg sync.WaitGroup
		for _, s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					s.post(t, 0.1)
				}
			}()
		}
		wg.Wait()
	}
	acked := func() int64 {
		n := int64(0)
		for _, s := range senders {
			n += s.acked.Load()
		}
		return n
	}

	load(50)
	srv.Stop()
	before := acked()
	load(100) // cluster down: still acked, from the outbox
	if acked()-before != 400 {
		t.Fatalf("%d of 400 batches acked while the cluster was down", acked()-before)
	}
	if metric(api+"/metrics", "vigil_collector_outbox_entries") <= 0 {
		t.Fatal("outbox empty while the cluster is down")
	}
	// kill -9 with the outbox full of acked batches, then back, cluster too.
	col.Signal(syscall.SIGKILL)
	<-col.Done()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	start(t, "vigil-collector", "-config", cfg)
	waitFor(t, "collector up again", 30*time.Second, func() bool { return httpStatus(api+"/healthz") == 200 })
	load(50)

	want := int(acked()) * 3
	waitFor(t, "every acked document in the cluster", 60*time.Second, func() bool {
		return len(srv.Docs("metrics-vigil.host-default")) >= want && metric(api+"/metrics", "vigil_collector_outbox_entries") == 0
	})
	docs := srv.Docs("metrics-vigil.host-default")
	seen := map[string]int{}
	for _, d := range docs {
		seen[fmt.Sprint(d.Source["agent.id"], d.Source["@timestamp"], d.Source["event.dataset"])]++
	}
	dups := 0
	for k, n := range seen {
		if n > 1 {
			dups++
			t.Errorf("stored %d times: %s", n, k)
		}
	}
	if len(docs) != want || len(seen) != want {
		t.Fatalf("cluster holds %d documents (%d distinct), want %d: every acked batch exactly once", len(docs), len(seen), want)
	}
	t.Logf("%d batches acked, %d documents stored once each, %d duplicates resent and ignored",
		acked(), len(docs), int(metric(api+"/metrics", `vigil_collector_es_documents_total{result="duplicate"}`)))
}

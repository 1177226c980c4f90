package elastic

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/testutil/fakees"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testCommon is the default config with a private outbox and fast retries.
func testCommon(t testing.TB) Common {
	c := DefaultCommon()
	c.Outbox.Dir = t.TempDir()
	c.Bulk.MaxBackoff = time.Second
	c.RequestTimeout = 5 * time.Second
	return c
}

func esClient(t testing.TB, srv *fakees.Server) *Client {
	t.Helper()
	cfg := DefaultES()
	cfg.Addresses = []string{srv.URL()}
	cfg.Common = testCommon(t)
	c, err := NewES(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rig is one collector's store on a fake cluster.
type rig struct {
	t   testing.TB
	srv *fakees.Server
	st  *Store
	reg *prometheus.Registry
	// stop ends the drain loop and waits for it.
	stop func()
}

func openRig(t testing.TB, srv *fakees.Server, c *Client, common Common, name string) *rig {
	t.Helper()
	reg := prometheus.NewRegistry()
	st, _, err := Open(context.Background(), c, Options{Common: common, Collector: name, Metrics: reg, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	st.w.wait = func(ctx context.Context, _ time.Duration) error { return ctx.Err() } // no sleeps between retries
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); st.Drain(ctx) }()
	r := &rig{t: t, srv: srv, st: st, reg: reg}
	r.stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(func() { r.stop(); _ = st.Close() })
	return r
}

// batch is a small batch of agent a, sequence seq, sampled at ts.
func batch(agent string, seq uint64, ts time.Time, cpu float64) *model.Batch {
	return &model.Batch{AgentID: agent, Seq: seq, Agent: model.Agent{Version: "1.0", IntervalMS: 10000},
		Host: model.Host{Name: "host-" + agent},
		Events: []model.Event{
			{Timestamp: ts.UnixMilli(), Dataset: "system.cpu", Values: map[string]float64{"system.cpu.total.norm.pct": cpu}},
			{Timestamp: ts.UnixMilli(), Dataset: "system.filesystem", Dims: map[string]string{"system.filesystem.mount_point": "/"},
				Values: map[string]float64{"system.filesystem.used.pct": 0.5}},
		}}
}

func (r *rig) write(batches ...*model.Batch) {
	r.t.Helper()
	if _, err := r.st.WriteBatches(context.Background(), batches, time.Now()); err != nil {
		r.t.Fatal(err)
	}
}

// waitDocs waits until target holds n documents and the outbox is empty.
func (r *rig) waitDocs(target string, n int) []fakees.Doc {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		docs := r.srv.Docs(target)
		if len(docs) == n && r.st.OutboxStats().Entries == 0 {
			return docs
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: %d documents (want %d), outbox %+v", target, len(docs), n, r.st.OutboxStats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) docsMetric(result string) float64 {
	return testutil.ToFloat64(r.st.w.m.docs.WithLabelValues(result))
}

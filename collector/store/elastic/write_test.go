package elastic

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/testutil/fakees"
)

// Every document of every batch arrives once; a resent batch (another
// collector, or an ack lost on the way to the agent) is a 409 and stored once.
func TestWriteExactlyOnce(t *testing.T) {
	for _, ts := range []string{"auto", "off"} {
		t.Run("time_series="+ts, func(t *testing.T) {
			srv := fakees.New(fakees.Options{})
			defer srv.Close()
			common := testCommon(t)
			common.TimeSeries = ts
			r := openRig(t, srv, esClient(t, srv), common, "c1")
			now := time.Now()
			for seq := uint64(1); seq <= 50; seq++ {
				r.write(batch("a", seq, now.Add(time.Duration(seq)*time.Second), 0.1))
			}
			r.waitDocs("metrics-vigil.host-default", 100)
			r.write(batch("a", 7, now.Add(7*time.Second), 0.1), batch("a", 8, now.Add(8*time.Second), 0.1))
			r.waitDocs("metrics-vigil.host-default", 100)
			if got := r.docsMetric("duplicate"); got != 4 {
				t.Errorf("duplicates counted %v, want 4", got)
			}
			hosts := r.srv.Docs(NamesFor("default").Hosts)
			if len(hosts) != 1 || hosts[0].Source["host.name"] != "host-a" {
				t.Errorf("host registry: %+v", hosts)
			}
		})
	}
}

// Rejected items (429) and whole failed requests (503) are retried until
// stored; a cluster that goes away and comes back loses nothing.
func TestWriteRetriesAndSurvivesOutage(t *testing.T) {
	srv := fakees.New(fakees.Options{})
	defer srv.Close()
	r := openRig(t, srv, esClient(t, srv), testCommon(t), "c1")
	now := time.Now()
	srv.RejectItems(30)
	srv.FailRequests(503, 2)
	for seq := uint64(1); seq <= 20; seq++ {
		r.write(batch("a", seq, now.Add(time.Duration(seq)*time.Second), 0.1))
	}
	r.waitDocs("metrics-vigil.host-default", 40)
	if r.docsMetric("retried") == 0 {
		t.Error("no retries counted after 429s and 503s")
	}
	srv.Stop()
	for seq := uint64(21); seq <= 40; seq++ {
		r.write(batch("a", seq, now.Add(time.Duration(seq)*time.Second), 0.1))
	}
	if st := r.st.OutboxStats(); st.Entries == 0 {
		t.Fatal("outbox empty while the cluster is down")
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	docs := r.waitDocs("metrics-vigil.host-default", 80)
	seen := map[string]bool{}
	for _, d := range docs {
		k := fmt.Sprint(d.Source["@timestamp"], d.Source["event.dataset"])
		if seen[k] {
			t.Errorf("stored twice: %s", k)
		}
		seen[k] = true
	}
}

// A document the cluster refuses (here: older than the time series index
// accepts, and a field whose type clashes with its mapping) goes to the
// dead-letter stream with the reason; the rest is stored.
func TestRejectedDocumentsGoToDeadLetter(t *testing.T) {
	srv := fakees.New(fakees.Options{})
	defer srv.Close()
	r := openRig(t, srv, esClient(t, srv), testCommon(t), "c1")
	now := time.Now()
	old := batch("a", 1, now.Add(-30*24*time.Hour), 0.1) // before index.look_back_time
	clash := batch("b", 1, now, 0.2)
	// A dimension where the mapping has a metric: a string into a double.
	clash.Events[0].Dims = map[string]string{"system.filesystem.used.pct": "full"}
	clash.Events[0].Dataset = "system.filesystem"
	// c maps system.filesystem.used.pct as a double first (with two bulk
	// workers the order inside one chunk is not fixed).
	r.write(batch("c", 1, now, 0.3))
	r.waitDocs("metrics-vigil.host-default", 2)
	r.write(old, clash)
	dead := r.waitDocs("logs-vigil.deadletter-default", 3)
	r.waitDocs("metrics-vigil.host-default", 3)
	for _, d := range dead {
		if d.Source["error.type"] == "" || d.Source["vigil.deadletter.index"] != "metrics-vigil.host-default" ||
			!strings.Contains(fmt.Sprint(d.Source["vigil.deadletter.document"]), `"host.name"`) {
			t.Errorf("dead letter without reason or document: %+v", d.Source)
		}
	}
	if got := r.docsMetric("dead_letter"); got != 3 {
		t.Errorf("dead_letter counted %v, want 3", got)
	}
}

// A full outbox refuses with store.ErrFull (ingest answers 429) and takes
// batches again once drained.
func TestFullOutboxRefuses(t *testing.T) {
	srv := fakees.New(fakees.Options{})
	defer srv.Close()
	common := testCommon(t)
	common.Outbox.MaxBytes = 1 << 20
	r := openRig(t, srv, esClient(t, srv), common, "c1")
	srv.Stop()
	big := agentBatch(t)
	var err error
	for seq := uint64(1); seq < 10000 && err == nil; seq++ {
		b := *big
		b.Seq = seq
		_, err = r.st.WriteBatches(context.Background(), []*model.Batch{&b}, time.Now())
	}
	if !errors.Is(err, store.ErrFull) {
		t.Fatalf("got %v, want store.ErrFull", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for r.st.OutboxStats().Entries > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := r.st.WriteBatches(context.Background(), []*model.Batch{batch("z", 1, time.Now(), 0)}, time.Now()); err != nil {
		t.Fatalf("after draining: %v", err)
	}
}

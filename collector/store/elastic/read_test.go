package elastic

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/testutil/fakees"
)

// The JSON API's reads come from the cluster.
func TestReadPath(t *testing.T) {
	srv := fakees.New(fakees.Options{})
	defer srv.Close()
	r := openRig(t, srv, esClient(t, srv), testCommon(t), "c1")
	now := time.Now().Truncate(time.Second)
	for i := 0; i < 5; i++ {
		r.write(batch("a", uint64(i+1), now.Add(time.Duration(i-5)*10*time.Second), float64(i)/10))
	}
	r.waitDocs("metrics-vigil.host-default", 10)
	ctx := context.Background()
	hosts, err := r.st.Hosts(ctx)
	if err != nil || len(hosts) != 1 || hosts[0].Name != "host-a" || hosts[0].IntervalMS != 10000 {
		t.Fatalf("hosts %+v, %v", hosts, err)
	}
	d, err := r.st.Host(ctx, "host-a")
	if err != nil {
		t.Fatal(err)
	}
	latest := map[string]float64{}
	for _, m := range d.Metrics {
		latest[m.Field] = m.Value
	}
	if latest["system.cpu.total.norm.pct"] != 0.4 || latest["system.filesystem.used.pct"] != 0.5 || len(d.Metrics) != 2 {
		t.Errorf("latest values %+v", d.Metrics)
	}
	if _, err := r.st.Host(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown host: %v", err)
	}
	series, err := r.st.Series(ctx, store.SeriesQuery{Host: "host-a", Field: "system.cpu.total.norm.pct", From: now.Add(-time.Hour), To: now, Limit: 3})
	if err != nil || len(series) != 1 || len(series[0].Points) != 3 || series[0].Points[2].Value != 0.4 {
		t.Fatalf("series %+v, %v", series, err)
	}
	fs, err := r.st.Series(ctx, store.SeriesQuery{Host: "host-a", Field: "system.filesystem.used.pct"})
	if err != nil || len(fs) != 1 || fs[0].Dims["system.filesystem.mount_point"] != "/" || len(fs[0].Points) != 5 {
		t.Fatalf("filesystem series %+v, %v", fs, err)
	}
}

// Each collector's rules get the samples the others stored, never its own.
func TestPeerFeed(t *testing.T) {
	srv := fakees.New(fakees.Options{})
	defer srv.Close()
	a := openRig(t, srv, esClient(t, srv), testCommon(t), "a")
	b := openRig(t, srv, esClient(t, srv), testCommon(t), "b")
	now := time.Now()
	withCheck := batch("x", 1, now, 0.1)
	withCheck.Checks = []model.CheckResult{{Timestamp: now.UnixMilli(), Name: "disk", State: 2, StateType: "hard",
		Attempt: 3, MaxAttempts: 3, Output: "DISK CRITICAL", LastChange: now.UnixMilli()}}
	a.write(withCheck)
	b.write(batch("y", 1, now, 0.2))
	a.waitDocs("metrics-vigil.host-default", 4)
	b.waitDocs("metrics-vigil.host-default", 4)
	a.waitDocs("logs-vigil.check-default", 1)
	var got []*model.Batch
	feed := NewPeerFeed(b.st.c, NamesFor("default"), "b", time.Second, func(bt *model.Batch, _ time.Time) { got = append(got, bt) }, nil, nil)
	feed.cursor = now.Add(-time.Minute)
	if err := feed.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Host.Name != "host-x" || len(got[0].Events) != 2 || got[0].Agent.IntervalMS != 10000 {
		t.Fatalf("b observed %+v, want host-x's two events with its interval", got)
	}
	if cs := got[0].Checks; len(cs) != 1 || cs[0].Name != "disk" || cs[0].State != 2 || cs[0].StateType != "hard" || cs[0].Output != "DISK CRITICAL" {
		t.Fatalf("b observed checks %+v, want host-x's disk check", cs)
	}
	if err := feed.Poll(context.Background()); err != nil || len(got) != 1 {
		t.Fatalf("a second poll fed %d batches (%v), want nothing new", len(got)-1, err)
	}
}

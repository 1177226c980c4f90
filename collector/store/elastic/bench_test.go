package elastic

import (
	"context"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/testutil/fakees"
)

// BenchmarkEncodeBatch: documents of one real agent batch.
func BenchmarkEncodeBatch(b *testing.B) {
	batch := agentBatch(b)
	enc := encoder{names: NamesFor("default"), tsds: true, collector: "bench"}
	now := time.Now()
	var bytes int
	for _, it := range enc.metricDocs(nil, batch, now) {
		bytes += len(it.body)
	}
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	for b.Loop() {
		enc.metricDocs(nil, batch, now)
	}
	b.ReportMetric(float64(bytes)/float64(len(batch.Events)), "bytes/doc")
}

// BenchmarkBulkPath: encode and write through the library's bulk helper into
// the fake cluster (whose own work is part of the number: make bench reports
// the collector's CPU alone).
func BenchmarkBulkPath(b *testing.B) {
	srv := fakees.New(fakees.Options{})
	defer srv.Close()
	r := openRig(b, srv, esClient(b, srv), testCommon(b), "bench")
	r.stop()
	batch := agentBatch(b)
	ts := time.Now().Add(-time.Hour)
	docs := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		bt := *batch
		bt.Seq = uint64(i + 1)
		bt.Events = append(bt.Events[:0:0], batch.Events...)
		for j := range bt.Events {
			bt.Events[j].Timestamp = ts.Add(time.Duration(i) * time.Millisecond).UnixMilli()
		}
		items := r.st.enc.metricDocs(nil, &bt, time.Now())
		if err := r.st.w.write(context.Background(), items); err != nil {
			b.Fatal(err)
		}
		docs += len(items)
	}
	b.ReportMetric(float64(docs)/b.Elapsed().Seconds(), "docs/s")
}

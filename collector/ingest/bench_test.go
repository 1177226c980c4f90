package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/model"
)

// realisticBatch has the shape of one agent cycle: ~100 values over 17 events.
func realisticBatch(seq uint64) *model.Batch {
	b := &model.Batch{AgentID: "bench-agent", Seq: seq, Agent: model.Agent{Version: "bench", IntervalMS: 10000}, Host: model.Host{Name: "bench-host"}}
	ts := int64(1_700_000_000_000) + int64(seq)*10_000
	for e := range 17 {
		ev := model.Event{Timestamp: ts, Dataset: fmt.Sprintf("system.set%d", e), Values: map[string]float64{}}
		if e > 4 {
			ev.Dims = map[string]string{"system.filesystem.mount_point": fmt.Sprintf("/mnt/%d", e)}
		}
		for v := range 6 {
			ev.Values[fmt.Sprintf("system.set%d.value%d.pct", e, v)] = float64(v) / 7
		}
		b.Events = append(b.Events, ev)
	}
	return b
}

// BenchmarkHandler is the collector's cost per batch outside the store: HTTP
// handler, gzip, JSON decode, validation, and the writer hand-off.
func BenchmarkHandler(b *testing.B) {
	toks, err := ParseTokens("t", []byte(testToken+"\n"))
	if err != nil {
		b.Fatal(err)
	}
	st := newMemStore()
	w := NewWriter(st, WriterOptions{})
	defer w.Stop()
	h := NewHandler(HandlerOptions{Tokens: toks, Writer: w})
	bodies := make([][]byte, 256)
	samples := 0
	for i := range bodies {
		raw, _ := json.Marshal(realisticBatch(uint64(i + 1)))
		bodies[i] = gz(b, raw)
		samples = realisticBatch(1).Samples()
	}
	b.ReportAllocs()
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/ingest", bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Encoding", "gzip")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(samples*b.N)/cpu.Seconds(), "samples/cpu-s")
	_ = start
}

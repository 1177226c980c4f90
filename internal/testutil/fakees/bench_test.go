package fakees

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
)

// BenchmarkBulk measures docs/s through _bulk with 1000-document requests
// into a data stream, the collector's hot path against the fake.
func BenchmarkBulk(b *testing.B) {
	s := newServer(b, Options{})
	dsTemplate(b, s, "bench", "metrics-bench-*", 500, `{"mappings":{"properties":{"host":{"properties":{"name":{"type":"keyword"}}},"system":{"properties":{"cpu":{"properties":{"total":{"properties":{"norm":{"properties":{"pct":{"type":"scaled_float","scaling_factor":1000}}}}}}}}}}}}`)
	const perReq = 1000
	client := &http.Client{Transport: transport(b)}
	var seq atomic.Int64
	body := func() []byte {
		var buf bytes.Buffer
		for range perReq {
			seq := seq.Add(1)
			fmt.Fprintf(&buf, "{\"create\":{\"_index\":\"metrics-bench-default\",\"_id\":\"%d\"}}\n", seq)
			fmt.Fprintf(&buf, `{"@timestamp":"2025-03-14T11:59:00.%03dZ","host":{"name":"h%d"},"system":{"cpu":{"total":{"norm":{"pct":0.%d}}}},"agent":{"id":"a1","seq":%d}}`+"\n", seq%1000, seq%50, seq%100, seq)
		}
		return buf.Bytes()
	}
	// Payloads are built up front so the benchmark measures the server.
	payloads := make([][]byte, b.N)
	for i := range payloads {
		payloads[i] = body()
	}
	var next atomic.Int64
	b.ResetTimer()
	// Several concurrent senders, like BulkIndexer workers.
	b.SetParallelism(2)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			payload := payloads[next.Add(1)-1]
			res, err := client.Post(s.URL()+"/_bulk", "application/x-ndjson", bytes.NewReader(payload))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("status %d", res.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N*perReq)/b.Elapsed().Seconds(), "docs/s")
}

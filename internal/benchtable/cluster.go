package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/testutil/fakees"
)

type clusterResult struct {
	docs                      int
	perSecond, perCPUSecond   float64
	docBytes, bulkBytesPerDoc float64
	gzipBytesPerDoc           float64
	cpuPerDoc                 time.Duration
}

// clusterThroughput drives a collector writing to an in-process fake
// Elasticsearch (time series data stream) with synthetic agents, and reports
// documents through the bulk path per second of the collector's own CPU:
// the fake's work is in this process, not in the collector's.
func clusterThroughput(bin, dir string, agents, batches int) (clusterResult, error) {
	var res clusterResult
	srv := fakees.New(fakees.Options{})
	defer srv.Close()
	bodies, eventsPerBatch, err := syntheticBodies(agents, batches, time.Now().Add(-time.Hour))
	if err != nil {
		return res, err
	}
	collector, api, err := startCollectorWith(bin, dir, fmt.Sprintf(
		"store:\n  elasticsearch:\n    addresses: [%q]\n    outbox:\n      dir: %q\n    peer_poll: 0s\n", srv.URL(), filepath.Join(dir, "outbox")))
	if err != nil {
		return res, err
	}
	defer stop(collector)
	cpu0, err := cpuTime(collector.Pid())
	if err != nil {
		return res, err
	}
	t0 := time.Now()
	if err := sendAll(api, bodies); err != nil {
		return res, fmt.Errorf("ingest (see %s): %w", filepath.Join(dir, "collector.log"), err)
	}
	want := agents * batches * eventsPerBatch
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for len(srv.Docs("metrics-vigil.host-default")) < want {
		if ctx.Err() != nil {
			return res, fmt.Errorf("only %d of %d documents arrived", len(srv.Docs("metrics-vigil.host-default")), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	wall := time.Since(t0)
	cpu1, _ := cpuTime(collector.Pid())
	docs := srv.Docs("metrics-vigil.host-default")
	res.docs = len(docs)
	for _, d := range docs {
		res.docBytes += float64(len(d.Raw))
	}
	res.docBytes /= float64(len(docs))
	var bulkBytes, bulkDocs float64
	var sample []byte
	for _, r := range srv.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/_bulk") {
			bulkBytes += float64(len(r.Body))
			bulkDocs += float64(bytes.Count(r.Body, []byte("\n")) / 2)
			if len(r.Body) > len(sample) {
				sample = r.Body
			}
		}
	}
	if bulkDocs > 0 {
		res.bulkBytesPerDoc = bulkBytes / bulkDocs
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		_, _ = zw.Write(sample)
		_ = zw.Close()
		res.gzipBytesPerDoc = res.bulkBytesPerDoc * float64(zb.Len()) / float64(len(sample))
	}
	res.perSecond = float64(want) / wall.Seconds()
	res.perCPUSecond = float64(want) / (cpu1 - cpu0).Seconds()
	res.cpuPerDoc = (cpu1 - cpu0) / time.Duration(want)
	return res, nil
}

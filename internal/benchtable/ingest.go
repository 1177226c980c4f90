package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"time"
)

type ingestResult struct {
	perSecond, perCPUSecond float64
	cpuPerBatch             time.Duration
	samplesPerBatch         int
	batchesPerCommit        float64
	peakRSS                 int64
}

// syntheticBatch looks like one real cycle of a host: cpu, memory, load, four
// mounts, two interfaces, two disks, uptime and process counts.
func syntheticBatch(agent, seq int, ts int64) map[string]any {
	vals := func(prefix string, names ...string) map[string]float64 {
		m := make(map[string]float64, len(names))
		for i, n := range names {
			m[prefix+n] = float64(seq*31+i) / 7
		}
		return m
	}
	ev := func(dataset string, dims map[string]string, v map[string]float64) map[string]any {
		return map[string]any{"ts": ts, "dataset": dataset, "dims": dims, "values": v}
	}
	events := []any{
		ev("system.cpu", nil, vals("system.cpu.", "cores", "user.pct", "user.norm.pct", "system.pct", "system.norm.pct", "idle.pct",
			"idle.norm.pct", "iowait.pct", "iowait.norm.pct", "steal.pct", "steal.norm.pct", "total.pct", "total.norm.pct")),
		ev("system.memory", nil, vals("system.memory.", "total", "free", "used.bytes", "used.pct", "actual.free",
			"actual.used.bytes", "actual.used.pct", "cached", "swap.total", "swap.free", "swap.used.bytes", "swap.used.pct")),
		ev("system.load", nil, vals("system.load.", "1", "5", "15", "norm.1", "norm.5", "norm.15", "cores")),
		ev("system.uptime", nil, vals("system.uptime.", "duration.ms")),
		ev("system.process.summary", nil, vals("system.process.summary.", "total", "running", "sleeping", "stopped", "zombie", "idle")),
	}
	for _, mp := range []string{"/", "/boot", "/var", "/data"} {
		events = append(events, ev("system.filesystem", map[string]string{"system.filesystem.mount_point": mp},
			vals("system.filesystem.", "total", "free", "available", "used.bytes", "used.pct", "files", "free_files")))
	}
	for _, nic := range []string{"eth0", "eth1"} {
		events = append(events, ev("system.network", map[string]string{"system.network.name": nic},
			vals("system.network.", "in.bytes", "in.packets", "in.errors", "in.dropped", "out.bytes", "out.packets", "out.errors", "out.dropped")))
	}
	for _, dev := range []string{"nvme0n1", "nvme1n1"} {
		events = append(events, ev("system.diskio", map[string]string{"system.diskio.name": dev},
			vals("system.diskio.", "read.bytes", "read.count", "read.time", "write.bytes", "write.count", "write.time", "io.time", "io.ops")))
	}
	return map[string]any{"agent_id": fmt.Sprintf("bench-agent-%03d", agent), "seq": seq,
		"agent": map[string]any{"version": "bench", "interval_ms": 10000},
		"host":  map[string]any{"name": fmt.Sprintf("bench-host-%03d", agent)}, "events": events}
}

func countSamples(b map[string]any) int {
	n := 0
	for _, e := range b["events"].([]any) {
		n += len(e.(map[string]any)["values"].(map[string]float64))
	}
	return n
}

// syntheticBodies builds every agent's gzipped batches, 10 s apart from
// start, before any clock starts, so only the collector is measured. It
// also returns the events per batch.
func syntheticBodies(agents, batches int, start time.Time) ([][][]byte, int, error) {
	bodies := make([][][]byte, agents)
	events := 0
	for a := range agents {
		for s := 1; s <= batches; s++ {
			b := syntheticBatch(a, s, start.UnixMilli()+int64(s)*10_000)
			events = len(b["events"].([]any))
			raw, err := json.Marshal(b)
			if err != nil {
				return nil, 0, err
			}
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(raw)
			_ = zw.Close()
			bodies[a] = append(bodies[a], buf.Bytes())
		}
	}
	return bodies, events, nil
}

func ingestThroughput(bin, dir string, agents, batches int) (ingestResult, error) {
	var res ingestResult
	bodies, _, err := syntheticBodies(agents, batches, time.Now().Add(-time.Duration(batches)*10*time.Second))
	if err != nil {
		return res, err
	}
	res.samplesPerBatch = countSamples(syntheticBatch(0, 1, 0))
	collector, api, err := startCollector(bin, dir)
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
	wall := time.Since(t0)
	cpu1, _ := cpuTime(collector.Pid())
	if n := promValue(api+"/metrics", "vigil_collector_store_write_group_batches_count"); n > 0 {
		res.batchesPerCommit = promValue(api+"/metrics", "vigil_collector_store_write_group_batches_sum") / n
	}
	total := float64(agents * batches * res.samplesPerBatch)
	res.perSecond = total / wall.Seconds()
	res.perCPUSecond = total / (cpu1 - cpu0).Seconds()
	res.cpuPerBatch = (cpu1 - cpu0) / time.Duration(agents*batches)
	_, res.peakRSS = memKB(collector.Pid())
	return res, nil
}

// sendAll posts every agent's bodies, one goroutine per agent, as agents
// would, and returns the first error.
func sendAll(api string, bodies [][][]byte) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(bodies))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(bodies)}}
	for _, agent := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, body := range agent {
				if err := post(client, api+"/api/v1/ingest", body); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// post sends one batch like an agent: retry on 429 after Retry-After.
func post(c *http.Client, url string, body []byte) error {
	for attempt := 0; attempt < 50; attempt++ {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+benchToken)
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case 200:
			return nil
		case 429:
			time.Sleep(time.Second)
		default:
			return fmt.Errorf("status %d: %s", resp.StatusCode, msg)
		}
	}
	return fmt.Errorf("still throttled after 50 attempts")
}

// Package elastic stores Vigil's data in Elasticsearch 8 or AWS OpenSearch
// Service: ECS documents in data streams (host metrics as a time series data
// stream where the cluster has them), lifecycle policies, a host registry,
// and the alert state shared by several collectors with compare-and-set.
//
// Every acked batch goes to an on-disk outbox first, so agents keep being
// acked while the cluster is away; a drain loop writes the outbox to the
// cluster through the client library's bulk helper.
package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/collector/outbox"
	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
)

// Options configure a Store.
type Options struct {
	Common Common
	// Collector names this collector in documents (vigil.collector) and
	// alert state, and tells its own documents from its peers'.
	Collector string
	Logger    *slog.Logger
	Metrics   prometheus.Registerer
	Now       func() time.Time
	// NoSync skips the outbox fsync (benchmarks only).
	NoSync bool
}

// Store is the collector's store on a cluster: writes through the outbox,
// reads and alert state from the cluster.
type Store struct {
	*Reader
	*StateStore
	c     *Client
	info  ClusterInfo
	ob    *outbox.Outbox
	enc   encoder
	w     *writer
	log   *slog.Logger
	chunk int
}

// Info asks the cluster what it is and decides on time series data streams.
func (c *Client) Info(ctx context.Context, timeSeries string) (ClusterInfo, error) {
	status, body, err := c.do(ctx, "GET", "/", nil)
	if err != nil {
		return ClusterInfo{}, fmt.Errorf("reach %s: %w", c.Flavor, err)
	}
	if status != 200 {
		return ClusterInfo{}, statusError("GET", "/", status, body)
	}
	var v struct {
		Version struct {
			Number       string `json:"number"`
			Distribution string `json:"distribution"`
		} `json:"version"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return ClusterInfo{}, fmt.Errorf("decode cluster info: %w", err)
	}
	info := ClusterInfo{Flavor: c.Flavor, Version: v.Version.Number}
	if v.Version.Distribution == "opensearch" && c.Flavor == Elasticsearch {
		return info, errors.New("the cluster is OpenSearch: configure store.opensearch, not store.elasticsearch")
	}
	// index.look_back_time, which lets the first backing index take a
	// week of spooled data, needs 8.11.
	supports := c.Flavor == Elasticsearch && versionAtLeast(info.Version, 8, 11)
	switch timeSeries {
	case "on":
		if !supports {
			return info, fmt.Errorf("time_series: on, but %s %s has no time series data streams (need Elasticsearch 8.11+)", c.Flavor, info.Version)
		}
		info.TSDS = true
	case "auto":
		info.TSDS = supports
	}
	return info, nil
}

func versionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

// Open sets the cluster up (idempotently) and opens the outbox. The cluster
// must answer: a collector that cannot install its templates would write
// documents with guessed mappings.
func Open(ctx context.Context, c *Client, o Options) (*Store, []Result, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	info, err := c.Info(ctx, o.Common.TimeSeries)
	if err != nil {
		return nil, nil, err
	}
	results, err := c.Apply(ctx, Plan(info, o.Common))
	if err != nil {
		return nil, results, err
	}
	ob, err := outbox.Open(outbox.Options{Dir: o.Common.Outbox.Dir, MaxBytes: int64(o.Common.Outbox.MaxBytes),
		Logger: o.Logger.With("component", "outbox"), Metrics: o.Metrics, Now: o.Now, NoSync: o.NoSync})
	if err != nil {
		return nil, results, err
	}
	names := NamesFor(o.Common.Namespace)
	bulk, err := c.bulk(o.Common.Bulk.Workers, int(o.Common.Bulk.FlushBytes))
	if err != nil {
		_ = ob.Close()
		return nil, results, err
	}
	w := &writer{bulk: bulk,
		maxBackoff: o.Common.Bulk.MaxBackoff, deadLetter: names.DeadLetter, collector: o.Collector, now: o.Now,
		log: o.Logger.With("component", "bulk"), m: newWriteMetrics(o.Metrics), wait: sleepCtx}
	st := &Store{
		Reader:     &Reader{c: c, names: names},
		StateStore: &StateStore{c: c, index: names.State, history: names.Alerts, collector: o.Collector, w: w, now: o.Now, versions: map[string]docVersion{}},
		c:          c, info: info, ob: ob, w: w, log: o.Logger,
		enc:   encoder{names: names, tsds: info.TSDS, collector: o.Collector},
		chunk: 4 * int(o.Common.Bulk.FlushBytes),
	}
	return st, results, nil
}

// Info is what the store found at Open.
func (s *Store) Info() ClusterInfo { return s.info }

// WriteBatches appends the batches to the outbox: durable on this host, in
// the cluster once the drain loop has written them. A full outbox answers
// store.ErrFull (ingest: 429, agents keep spooling).
func (s *Store) WriteBatches(_ context.Context, batches []*model.Batch, received time.Time) ([]store.WriteResult, error) {
	if err := s.ob.Append(batches, received); err != nil {
		if errors.Is(err, outbox.ErrFull) {
			return nil, fmt.Errorf("%w: %w", store.ErrFull, err)
		}
		return nil, err
	}
	// Duplicates are found by the cluster (409 on create), not here: another
	// collector may have taken the first copy.
	res := make([]store.WriteResult, len(batches))
	for i, b := range batches {
		res[i].DurableSeq = b.Seq
	}
	return res, nil
}

// DeleteBefore does nothing: the lifecycle policies delete old data.
func (s *Store) DeleteBefore(context.Context, time.Time) (int64, error) { return 0, nil }

// Drain writes the outbox to the cluster until ctx ends. Entries are acked
// (and their disk space freed) only when every document of them is stored,
// a duplicate, or in the dead-letter stream.
func (s *Store) Drain(ctx context.Context) {
	for {
		entries, err := s.ob.Next(ctx, 4096, int64(s.chunk))
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, outbox.ErrClosed) {
				s.log.Error("read outbox", "err", err)
			}
			return
		}
		items := s.encode(entries)
		if err := s.w.write(ctx, items); err != nil {
			s.ob.Rewind() // shutdown: the next start sends them again
			return
		}
		if err := s.ob.Ack(entries); err != nil {
			s.log.Error("ack outbox entries", "entries", len(entries), "err", err)
		}
	}
}

// encode makes the documents of a chunk: metrics and check results of every batch, and one
// host registry update per host (its newest batch).
func (s *Store) encode(entries []outbox.Entry) []*item {
	items := make([]*item, 0, 32*len(entries))
	newest := map[string]int{}
	for i := range entries {
		e := &entries[i]
		items = s.enc.metricDocs(items, e.Batch, e.Received)
		items = s.enc.checkDocs(items, e.Batch, e.Received)
		if j, ok := newest[e.Batch.Host.Name]; !ok || !entries[j].Received.After(e.Received) {
			newest[e.Batch.Host.Name] = i
		}
	}
	for _, name := range sortedKeys(newest) {
		e := &entries[newest[name]]
		items = append(items, s.enc.hostUpdate(e.Batch, e.Received))
	}
	return items
}

// OutboxStats reports the outbox, for the status page.
func (s *Store) OutboxStats() outbox.Stats { return s.ob.Stats() }

// Close stops the bulk workers and closes the outbox; call after Drain has
// returned.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.c.timeout)
	defer cancel()
	err := s.w.bulk.close(ctx)
	return errors.Join(err, s.ob.Close())
}

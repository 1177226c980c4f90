package elastic

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/opensearch-project/opensearch-go/v4/opensearchutil"
)

// item is one document of the write path and, after a round, its outcome.
type item struct {
	index  string
	action string // create (data streams), update (hosts)
	id     string // empty: the cluster assigns it (time series data streams)
	body   []byte

	status  int    // HTTP status of the item; 0 when the request itself failed
	errType string // the cluster's error type, e.g. version_conflict_engine_exception
	reason  string
	err     error // transport or whole-request failure
}

// reset clears the outcome before the item is sent (again).
func (it *item) reset() { it.status, it.errType, it.reason, it.err = 0, "", "", nil }

// outcome classifies a sent item.
type outcome int

const (
	stored    outcome = iota // 200/201
	duplicate                // 409 on create: stored before, by us or another collector
	retry                    // 429, 5xx, or the request failed: send again later
	rejected                 // any other 4xx: the document itself is wrong (mapping, timestamp range)
)

func (it *item) outcome() outcome {
	switch {
	case it.err != nil || it.status == 0:
		return retry
	case it.status == 200 || it.status == 201:
		return stored
	case it.status == 409 && it.action == "create":
		return duplicate
	case it.status == 429 || it.status >= 500:
		return retry
	}
	return rejected
}

// bulker sends items through the client library's bulk helper. round
// returns when every item has its outcome.
type bulker interface {
	round(ctx context.Context, items []*item) error
	close(ctx context.Context) error
}

// bulkFactory makes the bulker of a client: workers concurrent _bulk
// requests of about flushBytes each.
type bulkFactory func(workers, flushBytes int) (bulker, error)

// esBulker keeps one esutil.BulkIndexer for the collector's life: its Flush
// waits until every queued item is answered, which is the completion point a
// round needs, and its workers keep their FlushBytes buffers between rounds.
type esBulker struct{ bi esutil.BulkIndexer }

func esBulk(es *elasticsearch.Client) bulkFactory {
	return func(workers, flushBytes int) (bulker, error) {
		bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
			Client: es, NumWorkers: workers, FlushBytes: flushBytes,
			// Rounds end with Flush; the timer only matters for nothing.
			FlushInterval: time.Hour,
			// Only item-level fields are read: smaller responses.
			FilterPath: []string{"errors", "items.*.status", "items.*.error", "items.*._id", "items.*._seq_no"},
		})
		if err != nil {
			return nil, fmt.Errorf("start bulk indexer: %w", err)
		}
		return &esBulker{bi: bi}, nil
	}
}

func (b *esBulker) round(ctx context.Context, items []*item) error {
	for _, it := range items {
		if err := b.bi.Add(ctx, esItem(it)); err != nil {
			return fmt.Errorf("queue bulk item: %w", err)
		}
	}
	return b.bi.Flush(ctx)
}

func esItem(it *item) esutil.BulkIndexerItem {
	return esutil.BulkIndexerItem{
		Index: it.index, Action: it.action, DocumentID: it.id, Body: bytes.NewReader(it.body),
		OnSuccess: func(_ context.Context, _ esutil.BulkIndexerItem, resp esutil.BulkIndexerResponseItem) {
			it.status = resp.Status
		},
		OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, resp esutil.BulkIndexerResponseItem, err error) {
			it.status, it.errType, it.reason, it.err = resp.Status, resp.Error.Type, resp.Error.Reason, err
			if resp.Error.Cause.Reason != "" {
				it.reason += ": " + resp.Error.Cause.Reason
			}
		},
	}
}

func (b *esBulker) close(ctx context.Context) error { return b.bi.Close(ctx) }

// osBulker starts an opensearchutil.BulkIndexer per round and closes it at
// the end (Close flushes and waits): that helper has no Flush.
type osBulker struct {
	api                 *opensearchapi.Client
	workers, flushBytes int
}

func osBulk(api *opensearchapi.Client) bulkFactory {
	return func(workers, flushBytes int) (bulker, error) {
		return &osBulker{api: api, workers: workers, flushBytes: flushBytes}, nil
	}
}

func (b *osBulker) round(ctx context.Context, items []*item) error {
	bi, err := opensearchutil.NewBulkIndexer(opensearchutil.BulkIndexerConfig{
		Client: b.api, NumWorkers: b.workers, FlushBytes: b.flushBytes,
	})
	if err != nil {
		return fmt.Errorf("start bulk indexer: %w", err)
	}
	for _, it := range items {
		if err := bi.Add(ctx, osItem(it)); err != nil {
			_ = bi.Close(ctx)
			return fmt.Errorf("queue bulk item: %w", err)
		}
	}
	return bi.Close(ctx)
}

func osItem(it *item) opensearchutil.BulkIndexerItem {
	return opensearchutil.BulkIndexerItem{
		Index: it.index, Action: it.action, DocumentID: it.id, Body: bytes.NewReader(it.body),
		OnSuccess: func(_ context.Context, _ opensearchutil.BulkIndexerItem, resp opensearchapi.BulkRespItem) {
			it.status = resp.Status
		},
		OnFailure: func(_ context.Context, _ opensearchutil.BulkIndexerItem, resp opensearchapi.BulkRespItem, err error) {
			it.status, it.err = resp.Status, err
			if resp.Error != nil {
				it.errType, it.reason = resp.Error.Type, resp.Error.Reason
				if resp.Error.Cause.Reason != "" {
					it.reason += ": " + resp.Error.Cause.Reason
				}
			}
		},
	}
}

func (b *osBulker) close(context.Context) error { return nil }

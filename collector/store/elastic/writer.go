package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// writer is the write path: it sends items until each is stored, found to be
// a duplicate, or (rejected by the cluster as malformed) written to the
// dead-letter data stream with the reason. Nothing leaves it any other way:
// while the cluster is down it keeps retrying, and the outbox behind it keeps
// the data on disk.
type writer struct {
	bulk       bulker
	maxBackoff time.Duration
	deadLetter string
	collector  string
	now        func() time.Time
	log        *slog.Logger
	m          *writeMetrics
	// wait sleeps between retry rounds; injected so tests run without sleeps.
	wait func(ctx context.Context, d time.Duration) error
}

type writeMetrics struct {
	docs      *prometheus.CounterVec // by result
	rounds    prometheus.Counter
	roundTime prometheus.Histogram
	retries   prometheus.Counter
}

func newWriteMetrics(reg prometheus.Registerer) *writeMetrics {
	m := &writeMetrics{
		docs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_collector_es_documents_total",
			Help: "Documents by outcome: stored, duplicate (409 on create), dead_letter (rejected, kept in the dead-letter stream), retried."},
			[]string{"result"}),
		rounds: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_collector_es_bulk_rounds_total",
			Help: "Bulk rounds sent (each one or more _bulk requests)."}),
		roundTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_collector_es_bulk_round_seconds",
			Help: "Time of one bulk round.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_collector_es_bulk_retry_rounds_total",
			Help: "Rounds that had to resend items (429, 5xx, cluster unreachable)."}),
	}
	for _, r := range []string{"stored", "duplicate", "dead_letter", "retried"} {
		m.docs.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.docs, m.rounds, m.roundTime, m.retries)
	}
	return m
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// write returns nil once every item is settled, or ctx's error (shutdown):
// then the caller keeps the items (in the outbox) for the next start.
func (w *writer) write(ctx context.Context, items []*item) error {
	pending := items
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 {
			w.m.retries.Inc()
			if err := w.wait(ctx, w.backoff(attempt)); err != nil {
				return err
			}
		}
		if err := w.round(ctx, pending); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			w.log.Warn("bulk round failed; retrying", "items", len(pending), "err", err)
			continue
		}
		var again []*item
		var lastErr error
		for _, it := range pending {
			switch it.outcome() {
			case stored:
				w.m.docs.WithLabelValues("stored").Inc()
			case duplicate:
				w.m.docs.WithLabelValues("duplicate").Inc()
			case retry:
				w.m.docs.WithLabelValues("retried").Inc()
				again = append(again, it)
				lastErr = it.failure()
			case rejected:
				if it.index == w.deadLetter {
					// The dead-letter stream has a mapping that takes any
					// document; if even it refuses, keep retrying rather than
					// drop: an operator must see this.
					w.log.Error("dead-letter stream refused a document; retrying", "err", it.failure())
					again = append(again, it)
					continue
				}
				w.m.docs.WithLabelValues("dead_letter").Inc()
				w.log.Warn("document rejected by the cluster; kept in the dead-letter stream",
					"index", it.index, "status", it.status, "type", it.errType, "reason", it.reason)
				again = append(again, w.deadLetterItem(it))
			}
		}
		if len(again) > 0 && lastErr != nil {
			w.log.Warn("cluster did not take every document; retrying", "items", len(again), "attempt", attempt+1, "err", lastErr)
		}
		pending = again
	}
	return nil
}

// round sends items once.
func (w *writer) round(ctx context.Context, items []*item) error {
	start := time.Now()
	defer func() { w.m.roundTime.Observe(time.Since(start).Seconds()) }()
	w.m.rounds.Inc()
	for _, it := range items {
		it.reset()
	}
	if err := w.bulk.round(ctx, items); err != nil {
		return fmt.Errorf("bulk: %w", err)
	}
	return nil
}

func (w *writer) backoff(attempt int) time.Duration {
	ceil := min(100*time.Millisecond<<min(attempt, 10), w.maxBackoff)
	return ceil/2 + time.Duration(rand.Int64N(int64(ceil/2)+1))
}

func (it *item) failure() error {
	if it.err != nil {
		return it.err
	}
	return fmt.Errorf("status %d %s: %s", it.status, it.errType, it.reason)
}

// deadLetterItem wraps a rejected document, with the reason, for the
// dead-letter stream. Its ID derives from the original so that a retried
// dead-lettering is not stored twice.
func (w *writer) deadLetterItem(it *item) *item {
	doc := map[string]any{
		"@timestamp":                 w.now().UTC().Format(time.RFC3339Nano),
		"event.dataset":              "vigil.deadletter",
		"error.type":                 it.errType,
		"error.message":              it.reason,
		"http.response.status_code":  it.status,
		"vigil.collector":            w.collector,
		"vigil.deadletter.index":     it.index,
		"vigil.deadletter.action":    it.action,
		"vigil.deadletter.id":        it.id,
		"vigil.deadletter.document":  string(it.body),
		"vigil.deadletter.retryable": false,
	}
	body, _ := json.Marshal(doc)
	return &item{index: w.deadLetter, action: "create", id: contentID(it.index, it.id, string(it.body)), body: body}
}

// writeOnce sends items in one round (plus one for dead letters) and returns
// an error if any still needs a retry: for callers that retry themselves.
func (w *writer) writeOnce(ctx context.Context, items []*item) error {
	for pass := 0; pass < 2 && len(items) > 0; pass++ {
		if err := w.round(ctx, items); err != nil {
			return err
		}
		var dead []*item
		for _, it := range items {
			switch it.outcome() {
			case retry:
				return fmt.Errorf("write %s: %w", it.index, it.failure())
			case rejected:
				if it.index == w.deadLetter {
					return fmt.Errorf("dead-letter stream refused a document: %w", it.failure())
				}
				w.m.docs.WithLabelValues("dead_letter").Inc()
				w.log.Warn("document rejected by the cluster; kept in the dead-letter stream",
					"index", it.index, "status", it.status, "type", it.errType, "reason", it.reason)
				dead = append(dead, w.deadLetterItem(it))
			default:
				w.m.docs.WithLabelValues(it.outcome().String()).Inc()
			}
		}
		items = dead
	}
	return nil
}

func (o outcome) String() string {
	switch o {
	case stored:
		return "stored"
	case duplicate:
		return "duplicate"
	case retry:
		return "retried"
	}
	return "dead_letter"
}

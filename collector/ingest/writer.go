package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
)

// ErrOverloaded is returned by Submit when the write queue is full; the handler
// turns it into 429 so agents back off and keep the data in their spools.
var ErrOverloaded = errors.New("write queue full")

// errStopped is returned to requests still queued when the writer stops.
var errStopped = errors.New("collector is shutting down")

type writeRequest struct {
	batch *model.Batch
	done  chan writeResult
}

type writeResult struct {
	res store.WriteResult
	err error
}

// Writer serialises batches into the store with group commit: whatever is queued
// when the previous transaction finishes goes into the next one, so the fsync cost
// is shared by every batch waiting and latency stays one commit under load.
type Writer struct {
	st       store.Store
	queue    chan writeRequest
	maxGroup int
	now      func() time.Time
	log      *slog.Logger
	m        *Metrics
	// committed is WriterOptions.Committed.
	committed func(b *model.Batch, received time.Time)

	stopOnce sync.Once
	stop     chan struct{}
	stopped  chan struct{}
}

// WriterOptions configures a Writer.
type WriterOptions struct {
	// QueueLen bounds the batches waiting for the store.
	QueueLen int
	// MaxGroup bounds the batches committed in one transaction.
	MaxGroup int
	Now      func() time.Time
	Logger   *slog.Logger
	Metrics  *Metrics
	// Committed, when set, sees every newly stored batch after its commit
	// (never a duplicate, never one that failed): the rule engine's feed. It
	// runs on the writer goroutine and must be quick.
	Committed func(b *model.Batch, received time.Time)
}

// NewWriter starts a Writer on st. Stop it with Stop.
func NewWriter(st store.Store, o WriterOptions) *Writer {
	if o.QueueLen <= 0 {
		o.QueueLen = 256
	}
	if o.MaxGroup <= 0 {
		o.MaxGroup = 64
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	w := &Writer{st: st, queue: make(chan writeRequest, o.QueueLen), maxGroup: o.MaxGroup, now: o.Now,
		log: o.Logger, m: o.Metrics, committed: o.Committed, stop: make(chan struct{}), stopped: make(chan struct{})}
	go w.run()
	return w
}

// Submit queues b and waits until it is durable (or failed). It never blocks on a
// full queue: it returns ErrOverloaded at once.
func (w *Writer) Submit(ctx context.Context, b *model.Batch) (store.WriteResult, error) {
	req := writeRequest{batch: b, done: make(chan writeResult, 1)}
	select {
	case <-w.stop:
		return store.WriteResult{}, errStopped
	default:
	}
	select {
	case w.queue <- req:
		w.m.queueDepth.Set(float64(len(w.queue)))
	default:
		return store.WriteResult{}, ErrOverloaded
	}
	select {
	case r := <-req.done:
		return r.res, r.err
	case <-ctx.Done():
		// The batch may still be committed; the agent resends and gets a duplicate ack.
		return store.WriteResult{}, ctx.Err()
	}
}

func (w *Writer) run() {
	defer close(w.stopped)
	group := make([]writeRequest, 0, w.maxGroup)
	for {
		select {
		case <-w.stop:
			w.failQueued()
			return
		case req := <-w.queue:
			group = append(group[:0], req)
		}
	collect:
		for len(group) < w.maxGroup {
			select {
			case req := <-w.queue:
				group = append(group, req)
			default:
				break collect
			}
		}
		w.m.queueDepth.Set(float64(len(w.queue)))
		w.commit(group)
	}
}

func (w *Writer) commit(group []writeRequest) {
	batches := make([]*model.Batch, len(group))
	for i, r := range group {
		batches[i] = r.batch
	}
	start := time.Now()
	// The store gets its own deadline rather than a request's: a commit that has
	// started should finish even if the agent that sent one batch went away.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	received := w.now()
	results, err := w.st.WriteBatches(ctx, batches, received)
	cancel()
	w.m.storeLatency.Observe(time.Since(start).Seconds())
	w.m.groupSize.Observe(float64(len(group)))
	if err == nil && len(results) != len(group) {
		err = fmt.Errorf("store returned %d results for %d batches", len(results), len(group))
	}
	if err != nil {
		w.m.storeErrors.Inc()
		w.log.Error("store batches", "batches", len(group), "err", err)
	}
	for i, r := range group {
		if err != nil {
			r.done <- writeResult{err: err}
			continue
		}
		if results[i].Duplicate {
			w.m.duplicates.Inc()
		} else {
			w.m.batches.Inc()
			w.m.samples.Add(float64(r.batch.Samples()))
			if w.committed != nil {
				w.committed(r.batch, received)
			}
		}
		r.done <- writeResult{res: results[i]}
	}
}

func (w *Writer) failQueued() {
	for {
		select {
		case req := <-w.queue:
			req.done <- writeResult{err: errStopped}
		default:
			return
		}
	}
}

// Stop ends the writer after the transaction in progress; queued batches are
// answered with an error (their agents keep them spooled). Idempotent.
func (w *Writer) Stop() {
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.stopped
}

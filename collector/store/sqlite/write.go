package sqlite

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
)

// WriteBatches stores batches in one transaction; see store.Store.
func (s *Store) WriteBatches(ctx context.Context, batches []*model.Batch, received time.Time) ([]store.WriteResult, error) {
	if len(batches) == 0 {
		return []store.WriteResult{}, nil
	}
	// Refuse bad input before taking the writer: nothing is written for any
	// batch of the call when one is bad.
	for i, b := range batches {
		if err := validate(b); err != nil {
			return nil, fmt.Errorf("write batches: batch %d: %w", i, err)
		}
	}
	if err := s.acquireWriter(ctx); err != nil {
		return nil, fmt.Errorf("write batches: %w", err)
	}
	defer s.releaseWriter()
	res, st, err := s.w.write(ctx, batches, received.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("write batches: %w", err)
	}
	s.stats.batches.Add(st.batches)
	s.stats.duplicates.Add(st.duplicates)
	s.stats.samples.Add(st.samples)
	s.stats.ignored.Add(st.ignored)
	s.stats.series.Store(int64(s.w.cached))
	if st.ignored > 0 {
		s.log.Debug("samples ignored: same series and timestamp stored before", "ignored", st.ignored)
	}
	return res, nil
}

// validate refuses what the store cannot keep faithfully. The ingest layer
// checks the same; this is the last line against storing garbage.
func validate(b *model.Batch) error {
	if b == nil {
		return errors.New("nil batch")
	}
	if b.AgentID == "" {
		return errors.New("empty agent id")
	}
	if b.Seq > math.MaxInt64 {
		return fmt.Errorf("agent %q: seq %d out of range", b.AgentID, b.Seq)
	}
	if b.Host.Name == "" {
		return fmt.Errorf("agent %q seq %d: empty host name", b.AgentID, b.Seq)
	}
	for _, e := range b.Events {
		if e.Timestamp < 0 {
			return fmt.Errorf("agent %q seq %d: timestamp %d before 1970", b.AgentID, b.Seq, e.Timestamp)
		}
		for f, v := range e.Values {
			if f == "" {
				return fmt.Errorf("agent %q seq %d: empty field name", b.AgentID, b.Seq)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("agent %q seq %d: field %s: value %v is not a finite number", b.AgentID, b.Seq, f, v)
			}
		}
	}
	for _, c := range b.Checks {
		if c.Name == "" {
			return fmt.Errorf("agent %q seq %d: check without a name", b.AgentID, b.Seq)
		}
		// JSON cannot carry NaN: one would fail the whole group commit.
		for _, p := range c.Perf {
			for _, v := range []*float64{&p.Value, p.Min, p.Max} {
				if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
					return fmt.Errorf("agent %q seq %d: check %s perfdata %s: not a finite number", b.AgentID, b.Seq, c.Name, p.Label)
				}
			}
		}
	}
	return nil
}

type writeStats struct {
	batches, duplicates, samples, ignored int64
}

// write runs one transaction. On error it has rolled back and left the cache
// as it was.
func (w *writer) write(ctx context.Context, batches []*model.Batch, received int64) (_ []store.WriteResult, st writeStats, err error) {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, st, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
		w.endTx(err == nil)
	}()
	t := txStmts{tx: tx, w: w}

	res := make([]store.WriteResult, len(batches))
	newest := make(map[string]uint64)  // agent -> highest seq written by this call
	lastOfHost := make(map[string]int) // host -> index of its last batch written
	for i, b := range batches {
		r, err := t.stmt(ctx, w.batch).ExecContext(ctx, b.AgentID, int64(b.Seq), received, b.Samples())
		if err != nil {
			return nil, st, fmt.Errorf("record batch %s/%d: %w", b.AgentID, b.Seq, err)
		}
		if n, err := r.RowsAffected(); err != nil {
			return nil, st, fmt.Errorf("record batch %s/%d: %w", b.AgentID, b.Seq, err)
		} else if n == 0 {
			res[i].Duplicate = true
			st.duplicates++
			continue
		}
		st.batches++
		newest[b.AgentID] = max(newest[b.AgentID], b.Seq)
		lastOfHost[b.Host.Name] = i
		if err := t.addSamples(ctx, b, &st); err != nil {
			return nil, st, fmt.Errorf("store samples of batch %s/%d: %w", b.AgentID, b.Seq, err)
		}
		if err := t.addChecks(ctx, b); err != nil {
			return nil, st, fmt.Errorf("store checks of batch %s/%d: %w", b.AgentID, b.Seq, err)
		}
	}
	if err := t.flush(ctx, &st); err != nil {
		return nil, st, fmt.Errorf("store samples: %w", err)
	}
	if err := t.advanceBlocks(ctx); err != nil {
		return nil, st, err
	}
	for _, i := range lastOfHost {
		if err := t.upsertHost(ctx, batches[i], received); err != nil {
			return nil, st, err
		}
	}
	durable, err := t.durableSeqs(ctx, batches, newest)
	if err != nil {
		return nil, st, err
	}
	for i, b := range batches {
		res[i].DurableSeq = durable[b.AgentID]
	}
	if err := tx.Commit(); err != nil {
		return nil, st, fmt.Errorf("commit: %w", err)
	}
	return res, st, nil
}

// endTx makes the transaction's series changes visible to the next one when it
// committed and forgets them when it rolled back.
func (w *writer) endTx(committed bool) {
	for _, e := range w.touched {
		if committed {
			e.lastBlock = max(e.lastBlock, e.pending)
		}
		e.pending = 0
	}
	w.touched = w.touched[:0]
	if committed {
		for k, e := range w.created {
			w.remember(k, e)
		}
	}
	clear(w.created)
	w.buf = w.buf[:0]
}

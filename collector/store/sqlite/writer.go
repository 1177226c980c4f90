package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigilmon/vigil/internal/model"
)

// sampleChunk is the number of rows per multi-row INSERT into samples.
// BenchmarkSampleChunk: one row per statement costs ~2.6 µs a row, 16 rows
// ~1.8 µs, and from 32 to 512 rows it stays at 1.7-1.8 µs, the b-tree insert
// itself. 128 is well inside the flat part.
const sampleChunk = 128

const (
	sqlInsertBatch = `INSERT OR IGNORE INTO batches (agent_id, seq, received, samples) VALUES (?, ?, ?, ?)`
	sqlUpsertAgent = `INSERT INTO agents (agent_id, durable_seq) VALUES (?, ?)
ON CONFLICT (agent_id) DO UPDATE SET durable_seq = max(durable_seq, excluded.durable_seq)
RETURNING durable_seq`
	sqlAgentSeq = `SELECT durable_seq FROM agents WHERE agent_id = ?`
	// The newest batch (by received) decides the identity fields; first_seen and
	// last_seen only widen, so a clock step back does not rewrite history.
	sqlUpsertHost = `INSERT INTO hosts (name, agent_id, agent_version, interval_ms, first_seen, last_seen, identity)
VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)
ON CONFLICT (name) DO UPDATE SET
	first_seen    = min(first_seen, excluded.first_seen),
	last_seen     = max(last_seen, excluded.last_seen),
	agent_id      = iif(excluded.last_seen >= last_seen, excluded.agent_id, agent_id),
	agent_version = iif(excluded.last_seen >= last_seen, excluded.agent_version, agent_version),
	interval_ms   = iif(excluded.last_seen >= last_seen, excluded.interval_ms, interval_ms),
	identity      = iif(excluded.last_seen >= last_seen, excluded.identity, identity)`
	sqlSeriesID = `SELECT id, last_block FROM series WHERE host = ? AND field = ? AND dims = ?`
	// OR IGNORE returns no row when the series exists; the caller looks it up.
	sqlInsertSeries = `INSERT OR IGNORE INTO series (host, field, dims) VALUES (?, ?, ?) RETURNING id`
	// One statement per distinct block, whatever the number of series: ids
	// come as a JSON array.
	sqlAdvanceBlock = `UPDATE series SET last_block = ?1
WHERE id IN (SELECT value FROM json_each(?2)) AND last_block < ?1`
)

// sqlInsertSamples returns the INSERT of n sample rows.
func sqlInsertSamples(n int) string {
	var b strings.Builder
	b.WriteString("INSERT OR IGNORE INTO samples (block, series_id, ts, value) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?)")
	}
	return b.String()
}

// writer is the state of the write path. Only the holder of Store.wsem uses it.
type writer struct {
	db *sql.DB

	batch, agent, agentSeq, host, seriesID, insertSeries, advance *sql.Stmt
	check, checkResult                                            *sql.Stmt
	// samples[k] inserts 1<<k rows; the last one inserts sampleChunk rows.
	samples []*sql.Stmt

	// cache holds every series seen since Open, by host and dims, then field:
	// one lookup per event and a short one per value, rather than hashing all
	// three strings per value. It is not bounded: one entry per series, a few
	// hundred series per host, and evicting would turn misses into queries on
	// the hot path.
	cache  map[groupKey]map[string]*seriesEntry
	cached int // entries in cache

	// Per-transaction state, reused between calls.
	buf     []sampleRow
	args    []any
	dimsBuf []byte
	// created holds series inserted by the open transaction; they reach cache
	// only once it commits, because a rollback takes their ids back.
	created map[seriesKey]*seriesEntry
	// touched lists the entries whose pending block the transaction set.
	touched []*seriesEntry
}

type sampleRow struct {
	series *seriesEntry
	ts     int64
	value  float64
}

func newWriter(ctx context.Context, db *sql.DB) (*writer, error) {
	w := &writer{
		db:      db,
		cache:   make(map[groupKey]map[string]*seriesEntry),
		created: make(map[seriesKey]*seriesEntry),
		buf:     make([]sampleRow, 0, sampleChunk),
		args:    make([]any, 0, 4*sampleChunk),
	}
	prep := func(dst **sql.Stmt, q string) error {
		s, err := db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %.40q: %w", q, err)
		}
		*dst = s
		return nil
	}
	err := errors.Join(
		prep(&w.batch, sqlInsertBatch),
		prep(&w.agent, sqlUpsertAgent),
		prep(&w.agentSeq, sqlAgentSeq),
		prep(&w.host, sqlUpsertHost),
		prep(&w.seriesID, sqlSeriesID),
		prep(&w.insertSeries, sqlInsertSeries),
		prep(&w.advance, sqlAdvanceBlock),
		prep(&w.check, sqlUpsertCheck),
		prep(&w.checkResult, sqlInsertCheckResult),
	)
	for n := 1; err == nil && n <= sampleChunk; n *= 2 {
		var s *sql.Stmt
		err = prep(&s, sqlInsertSamples(n))
		w.samples = append(w.samples, s)
	}
	if err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *writer) close() error {
	var errs []error
	for _, s := range append([]*sql.Stmt{w.batch, w.agent, w.agentSeq, w.host, w.seriesID, w.insertSeries, w.advance, w.check, w.checkResult}, w.samples...) {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// txStmts binds the writer's prepared statements to one transaction.
type txStmts struct {
	tx    *sql.Tx
	w     *writer
	bound map[*sql.Stmt]*sql.Stmt
}

func (t *txStmts) stmt(ctx context.Context, s *sql.Stmt) *sql.Stmt {
	if b, ok := t.bound[s]; ok {
		return b
	}
	if t.bound == nil {
		t.bound = make(map[*sql.Stmt]*sql.Stmt)
	}
	b := t.tx.StmtContext(ctx, s)
	t.bound[s] = b
	return b
}

// addSamples queues the samples of b, flushing full chunks as it goes.
func (t *txStmts) addSamples(ctx context.Context, b *model.Batch, st *writeStats) error {
	w := t.w
	for _, e := range b.Events {
		var dims string
		var err error
		dims, w.dimsBuf, err = canonicalDims(e.Dims, w.dimsBuf)
		if err != nil {
			return err
		}
		block := blockOf(e.Timestamp)
		group := w.cache[groupKey{host: b.Host.Name, dims: dims}]
		for field, v := range e.Values {
			s := group[field]
			if s == nil {
				if s, err = t.series(ctx, seriesKey{host: b.Host.Name, field: field, dims: dims}); err != nil {
					return err
				}
			}
			if block > s.lastBlock && block > s.pending {
				if s.pending == 0 {
					w.touched = append(w.touched, s)
				}
				s.pending = block
			}
			w.buf = append(w.buf, sampleRow{series: s, ts: e.Timestamp, value: v})
			if len(w.buf) == sampleChunk {
				if err := t.flush(ctx, st); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// remember adds a committed series to the cache.
func (w *writer) remember(k seriesKey, e *seriesEntry) {
	gk := groupKey{host: k.host, dims: k.dims}
	g := w.cache[gk]
	if g == nil {
		g = make(map[string]*seriesEntry)
		w.cache[gk] = g
	}
	if _, ok := g[k.field]; !ok {
		w.cached++
	}
	g[k.field] = e
}

// series returns the entry of k when it is not in the cache, creating the
// series when it is new.
func (t *txStmts) series(ctx context.Context, k seriesKey) (*seriesEntry, error) {
	w := t.w
	if e, ok := w.created[k]; ok {
		return e, nil
	}
	var id int64
	err := t.stmt(ctx, w.insertSeries).QueryRowContext(ctx, k.host, k.field, k.dims).Scan(&id)
	if err == nil {
		e := &seriesEntry{id: id}
		w.created[k] = e
		return e, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("create series %s %s %s: %w", k.host, k.field, k.dims, err)
	}
	// It exists (stored before this Open): committed, so safe to cache
	// whatever this transaction does.
	e := &seriesEntry{}
	if err := t.stmt(ctx, w.seriesID).QueryRowContext(ctx, k.host, k.field, k.dims).Scan(&e.id, &e.lastBlock); err != nil {
		return nil, fmt.Errorf("look up series %s %s %s: %w", k.host, k.field, k.dims, err)
	}
	w.remember(k, e)
	return e, nil
}

// flush inserts the queued samples: full chunks with the widest statement, a
// remainder with the power-of-two statements that add up to it.
func (t *txStmts) flush(ctx context.Context, st *writeStats) error {
	w := t.w
	rows := w.buf
	for len(rows) > 0 {
		k := len(w.samples) - 1
		for 1<<k > len(rows) {
			k--
		}
		n := 1 << k
		args := w.args[:0]
		for _, r := range rows[:n] {
			args = append(args, blockOf(r.ts), r.series.id, r.ts, r.value)
		}
		res, err := t.stmt(ctx, w.samples[k]).ExecContext(ctx, args...)
		clear(args) // drop references to the boxed values
		if err != nil {
			return fmt.Errorf("insert %d samples: %w", n, err)
		}
		added, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("insert %d samples: %w", n, err)
		}
		st.samples += added
		st.ignored += int64(n) - added
		rows = rows[n:]
	}
	w.buf = w.buf[:0]
	return nil
}

// advanceBlocks stores the new last block of every series the transaction
// wrote beyond it, one statement per distinct block.
func (t *txStmts) advanceBlocks(ctx context.Context) error {
	byBlock := make(map[int64][]byte)
	for _, e := range t.w.touched {
		ids := byBlock[e.pending]
		if ids == nil {
			ids = append(ids, '[')
		} else {
			ids = append(ids, ',')
		}
		byBlock[e.pending] = strconv.AppendInt(ids, e.id, 10)
	}
	for block, ids := range byBlock {
		ids = append(ids, ']')
		if _, err := t.stmt(ctx, t.w.advance).ExecContext(ctx, block, string(ids)); err != nil {
			return fmt.Errorf("advance last block of series to %d: %w", block, err)
		}
	}
	return nil
}

func (t *txStmts) upsertHost(ctx context.Context, b *model.Batch, received int64) error {
	identity, err := json.Marshal(b.Host)
	if err != nil {
		return fmt.Errorf("encode identity of host %s: %w", b.Host.Name, err)
	}
	if _, err := t.stmt(ctx, t.w.host).ExecContext(ctx, b.Host.Name, b.AgentID, b.Agent.Version,
		b.Agent.IntervalMS, received, string(identity)); err != nil {
		return fmt.Errorf("upsert host %s: %w", b.Host.Name, err)
	}
	return nil
}

// durableSeqs raises the durable seq of every agent that got new batches and
// reads it for agents that sent only duplicates.
func (t *txStmts) durableSeqs(ctx context.Context, batches []*model.Batch, newest map[string]uint64) (map[string]uint64, error) {
	out := make(map[string]uint64, len(newest))
	for agent, seq := range newest {
		var d int64
		if err := t.stmt(ctx, t.w.agent).QueryRowContext(ctx, agent, int64(seq)).Scan(&d); err != nil {
			return nil, fmt.Errorf("update durable seq of agent %s: %w", agent, err)
		}
		out[agent] = uint64(d)
	}
	for _, b := range batches {
		if _, ok := out[b.AgentID]; ok {
			continue
		}
		var d int64
		err := t.stmt(ctx, t.w.agentSeq).QueryRowContext(ctx, b.AgentID).Scan(&d)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("read durable seq of agent %s: %w", b.AgentID, err)
		}
		out[b.AgentID] = uint64(d)
	}
	return out, nil
}

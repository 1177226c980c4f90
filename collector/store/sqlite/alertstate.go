package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/vigilmon/vigil/collector/alert"
)

// The alert.StateStore half of the store. Writes take the same writer lock as
// WriteBatches, one short transaction each: SQLite has one writer anyway, and
// a second write connection would only move the wait into busy_timeout, where
// it does not honour ctx and can fail with SQLITE_BUSY. A SaveState waits at
// most for the ingest commit in progress, and ingest at most for one SaveState.
// Reads go through the read pool and, under WAL, wait for no one.

var _ alert.StateStore = (*Store)(nil)

// Limits of Events: a query without Limit gets eventsDefault, and none gets
// more than eventsMax, so a history API call cannot pull the whole table.
const (
	eventsDefault = 1000
	eventsMax     = 10000
)

const (
	sqlLoadState = `SELECT key, value FROM alert_state WHERE bucket = ?`
	// updated comes from SQLite's clock: it is never read by code, only by
	// someone looking at the file, and the interface carries no time.
	sqlPutState = `INSERT INTO alert_state (bucket, key, value, updated)
VALUES (?1, ?2, ?3, CAST(unixepoch('subsec') * 1000 AS INTEGER))
ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value, updated = excluded.updated`
	sqlDeleteState  = `DELETE FROM alert_state WHERE bucket = ? AND key = ?`
	sqlInsertEvent  = `INSERT INTO alert_events (ts, kind, alert_id, host, data) VALUES (?, ?, ?, ?, ?)`
	sqlDeleteEvents = `DELETE FROM alert_events WHERE seq IN
	(SELECT seq FROM alert_events WHERE ts < ? ORDER BY ts LIMIT ?)`
)

// LoadState returns every key of bucket with its value (an empty map for an
// unknown bucket).
func (s *Store) LoadState(ctx context.Context, bucket string) (map[string][]byte, error) {
	if err := s.readable(); err != nil {
		return nil, fmt.Errorf("load alert state %s: %w", bucket, err)
	}
	rows, err := s.rdb.QueryContext(ctx, sqlLoadState, bucket)
	if err != nil {
		return nil, fmt.Errorf("load alert state %s: %w", bucket, err)
	}
	defer rows.Close()
	out := make(map[string][]byte)
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("load alert state %s: %w", bucket, err)
		}
		if v == nil {
			v = []byte{}
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load alert state %s: %w", bucket, err)
	}
	return out, nil
}

// eventRow is an alert.Event as stored.
type eventRow struct {
	ts                  int64
	kind, alertID, host string
	data                []byte
}

// encodeEvents turns events into rows. It runs before the writer is taken,
// so an event that cannot be stored fails the call without writing anything.
func encodeEvents(events []alert.Event) ([]eventRow, error) {
	rows := make([]eventRow, len(events))
	for i, e := range events {
		// JSON has no NaN or infinity; saying so beats json's "unsupported value".
		if math.IsNaN(e.Value) || math.IsInf(e.Value, 0) {
			return nil, fmt.Errorf("event %d (%s %s): value %v is not a finite number", i, e.Kind, e.AlertID, e.Value)
		}
		e.Seq = 0 // the row's seq is the truth
		data, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode event %d (%s %s): %w", i, e.Kind, e.AlertID, err)
		}
		rows[i] = eventRow{ts: e.Time.UnixMilli(), kind: string(e.Kind), alertID: e.AlertID,
			host: e.Labels[alert.LabelHost], data: data}
	}
	return rows, nil
}

// SaveState applies puts, then deletes (a key in both ends up deleted, as in
// alert.MemStore), and appends events, all in one transaction. Each event gets
// the next seq.
func (s *Store) SaveState(ctx context.Context, bucket string, put map[string][]byte, del []string, events []alert.Event) error {
	if bucket == "" {
		return errors.New("save alert state: empty bucket name")
	}
	rows, err := encodeEvents(events)
	if err != nil {
		return fmt.Errorf("save alert state %s: %w", bucket, err)
	}
	if err := s.acquireWriter(ctx); err != nil {
		return fmt.Errorf("save alert state %s: %w", bucket, err)
	}
	defer s.releaseWriter()
	if err := s.saveState(ctx, bucket, put, del, rows); err != nil {
		return fmt.Errorf("save alert state %s: %w", bucket, err)
	}
	return nil
}

func (s *Store) saveState(ctx context.Context, bucket string, put map[string][]byte, del []string, events []eventRow) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if len(put) > 0 {
		stmt, err := tx.PrepareContext(ctx, sqlPutState)
		if err != nil {
			return fmt.Errorf("prepare put: %w", err)
		}
		defer stmt.Close()
		for k, v := range put {
			if v == nil {
				v = []byte{} // NULL would break NOT NULL; nil and empty mean the same here
			}
			if _, err := stmt.ExecContext(ctx, bucket, k, v); err != nil {
				return fmt.Errorf("put %q: %w", k, err)
			}
		}
	}
	if len(del) > 0 {
		stmt, err := tx.PrepareContext(ctx, sqlDeleteState)
		if err != nil {
			return fmt.Errorf("prepare delete: %w", err)
		}
		defer stmt.Close()
		for _, k := range del {
			if _, err := stmt.ExecContext(ctx, bucket, k); err != nil {
				return fmt.Errorf("delete %q: %w", k, err)
			}
		}
	}
	if len(events) > 0 {
		stmt, err := tx.PrepareContext(ctx, sqlInsertEvent)
		if err != nil {
			return fmt.Errorf("prepare event insert: %w", err)
		}
		defer stmt.Close()
		for i, e := range events {
			if _, err := stmt.ExecContext(ctx, e.ts, e.kind, e.alertID, e.host, e.data); err != nil {
				return fmt.Errorf("append event %d (%s %s): %w", i, e.kind, e.alertID, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Events returns the history entries q selects, newest first (by time, then
// by seq for the same millisecond). Times are compared at millisecond
// precision: From and To are truncated to the millisecond, as stored times are.
func (s *Store) Events(ctx context.Context, q alert.EventQuery) ([]alert.Event, error) {
	if err := s.readable(); err != nil {
		return nil, fmt.Errorf("read alert history: %w", err)
	}
	query, args := eventsQuery(q)
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read alert history: %w", err)
	}
	defer rows.Close()
	out := []alert.Event{}
	for rows.Next() {
		var seq int64
		var data []byte
		if err := rows.Scan(&seq, &data); err != nil {
			return nil, fmt.Errorf("read alert history: %w", err)
		}
		var e alert.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, fmt.Errorf("read alert history: decode event %d: %w", seq, err)
		}
		e.Seq = seq
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read alert history: %w", err)
	}
	return out, nil
}

// eventsQuery builds the SELECT for q with only the conditions it uses:
// "?1 = ” OR alert_id = ?1" would keep SQLite from using the indexes.
func eventsQuery(q alert.EventQuery) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if q.AlertID != "" {
		add("alert_id = ?", q.AlertID)
	}
	if q.Host != "" {
		add("host = ?", q.Host)
	}
	if q.Kind != "" {
		add("kind = ?", string(q.Kind))
	}
	if !q.From.IsZero() {
		add("ts >= ?", q.From.UnixMilli())
	}
	if !q.To.IsZero() {
		add("ts < ?", q.To.UnixMilli())
	}
	var b strings.Builder
	b.WriteString("SELECT seq, data FROM alert_events")
	if len(conds) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(conds, " AND "))
	}
	b.WriteString(" ORDER BY ts DESC, seq DESC LIMIT ?")
	return b.String(), append(args, eventsLimit(q.Limit))
}

func eventsLimit(n int) int {
	switch {
	case n <= 0:
		return eventsDefault
	case n > eventsMax:
		return eventsMax
	}
	return n
}

// deleteEvents runs one retention transaction of at most s.retentionRows
// history entries older than cutoff (Unix ms). alert_state is never aged out:
// its owners delete what they no longer need.
func (s *Store) deleteEvents(ctx context.Context, cutoff int64) (int64, error) {
	if err := s.acquireWriter(ctx); err != nil {
		return 0, err
	}
	defer s.releaseWriter()
	r, err := s.wdb.ExecContext(ctx, sqlDeleteEvents, cutoff, s.retentionRows)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

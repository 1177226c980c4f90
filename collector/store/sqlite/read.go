package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/vigilmon/vigil/collector/store"
)

const (
	sqlHosts = `SELECT name, agent_id, agent_version, first_seen, last_seen, interval_ms FROM hosts ORDER BY name`
	sqlHost  = `SELECT name, agent_id, agent_version, first_seen, last_seen, interval_ms, identity FROM hosts WHERE name = ?`
	sqlKnown = `SELECT 1 FROM hosts WHERE name = ?`
	// The newest sample of every series of a host: per series, max(ts) within
	// its last block is one seek (SQLite's min/max optimisation) and the join
	// one more, so the cost grows with the number of series, not samples.
	sqlLatest = `SELECT s.field, s.dims, x.ts, x.value
FROM series AS s
JOIN samples AS x ON x.block = s.last_block AND x.series_id = s.id
	AND x.ts = (SELECT max(ts) FROM samples WHERE block = s.last_block AND series_id = s.id)
WHERE s.host = ?
ORDER BY s.field, s.dims`
	sqlSeriesOf   = `SELECT id, dims, last_block FROM series WHERE host = ? AND field = ? ORDER BY dims`
	sqlFirstBlock = `SELECT min(block) FROM samples`
	// Points of one series: one seek per block. The CTE is the outer loop
	// (CROSS JOIN pins the order), so rows come block by block, ascending in
	// time within a block.
	sqlPointsAsc = `WITH RECURSIVE b(n) AS (SELECT ?1 UNION ALL SELECT n + 1 FROM b WHERE n < ?2)
SELECT x.ts, x.value FROM b CROSS JOIN samples AS x
WHERE x.block = b.n AND x.series_id = ?3 AND x.ts BETWEEN ?4 AND ?5`
	// The same, newest block first, for Limit: reading stops once enough
	// blocks are in.
	sqlPointsDesc = `WITH RECURSIVE b(n) AS (SELECT ?2 UNION ALL SELECT n - 1 FROM b WHERE n > ?1)
SELECT x.ts, x.value FROM b CROSS JOIN samples AS x
WHERE x.block = b.n AND x.series_id = ?3 AND x.ts BETWEEN ?4 AND ?5`
)

// readable fails reads after Close with ErrClosed instead of database/sql's error.
func (s *Store) readable() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// Hosts lists every known host, ordered by name.
func (s *Store) Hosts(ctx context.Context) ([]store.HostSummary, error) {
	if err := s.readable(); err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, sqlHosts)
	if err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	defer rows.Close()
	out := []store.HostSummary{}
	for rows.Next() {
		var h store.HostSummary
		var first, last int64
		if err := rows.Scan(&h.Name, &h.AgentID, &h.AgentVersion, &first, &last, &h.IntervalMS); err != nil {
			return nil, fmt.Errorf("list hosts: %w", err)
		}
		h.FirstSeen, h.LastSeen = fromMS(first), fromMS(last)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	return out, nil
}

// Host returns one host with the newest value of each of its series. Both
// queries run in one read transaction so they see the same snapshot.
func (s *Store) Host(ctx context.Context, name string) (store.HostDetail, error) {
	var d store.HostDetail
	if err := s.readable(); err != nil {
		return d, fmt.Errorf("read host %s: %w", name, err)
	}
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return d, fmt.Errorf("read host %s: %w", name, err)
	}
	defer tx.Rollback()

	var first, last int64
	var identity string
	err = tx.QueryRowContext(ctx, sqlHost, name).Scan(&d.Name, &d.AgentID, &d.AgentVersion,
		&first, &last, &d.IntervalMS, &identity)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("read host %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("read host %s: %w", name, err)
	}
	d.FirstSeen, d.LastSeen = fromMS(first), fromMS(last)
	if err := json.Unmarshal([]byte(identity), &d.Identity); err != nil {
		return d, fmt.Errorf("read host %s: decode identity: %w", name, err)
	}

	rows, err := tx.QueryContext(ctx, sqlLatest, name)
	if err != nil {
		return d, fmt.Errorf("read latest values of host %s: %w", name, err)
	}
	defer rows.Close()
	d.Metrics = []store.LatestValue{}
	for rows.Next() {
		var v store.LatestValue
		var dims string
		var ts int64
		if err := rows.Scan(&v.Field, &dims, &ts, &v.Value); err != nil {
			return d, fmt.Errorf("read latest values of host %s: %w", name, err)
		}
		if v.Dims, err = parseDims(dims); err != nil {
			return d, fmt.Errorf("read latest values of host %s: %w", name, err)
		}
		v.Timestamp = fromMS(ts)
		d.Metrics = append(d.Metrics, v)
	}
	if err := rows.Err(); err != nil {
		return d, fmt.Errorf("read latest values of host %s: %w", name, err)
	}
	if d.Checks, err = hostChecks(ctx, tx, name); err != nil {
		return d, fmt.Errorf("read checks of host %s: %w", name, err)
	}
	return d, nil
}

// Series returns the points of q.Field on q.Host in [q.From, q.To], one Series
// per set of dims, ordered by their canonical form. A zero q.To means no upper
// bound. An unknown host is store.ErrNotFound; a known host without the field
// gives an empty slice.
func (s *Store) Series(ctx context.Context, q store.SeriesQuery) ([]store.Series, error) {
	if err := s.readable(); err != nil {
		return nil, fmt.Errorf("read series %s %s: %w", q.Host, q.Field, err)
	}
	if q.Limit < 0 {
		return nil, fmt.Errorf("read series %s %s: negative limit %d", q.Host, q.Field, q.Limit)
	}
	from, to := q.From.UnixMilli(), int64(math.MaxInt64)
	if !q.To.IsZero() {
		to = q.To.UnixMilli()
	}
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read series %s %s: %w", q.Host, q.Field, err)
	}
	defer tx.Rollback()

	var one int
	err = tx.QueryRowContext(ctx, sqlKnown, q.Host).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read series %s %s: %w", q.Host, q.Field, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read series %s %s: %w", q.Host, q.Field, err)
	}

	ids, out, err := seriesOf(ctx, tx, q.Host, q.Field)
	if err != nil {
		return nil, fmt.Errorf("read series %s %s: %w", q.Host, q.Field, err)
	}
	if len(ids) == 0 {
		return out, nil
	}
	// Clamp the block range to what exists so an open range does not walk
	// every block since 1970.
	var first sql.NullInt64
	if err := tx.QueryRowContext(ctx, sqlFirstBlock).Scan(&first); err != nil {
		return nil, fmt.Errorf("read series %s %s: %w", q.Host, q.Field, err)
	}
	query := sqlPointsAsc
	if q.Limit > 0 {
		query = sqlPointsDesc
	}
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("read series %s %s: %w", q.Host, q.Field, err)
	}
	defer stmt.Close()
	for i, id := range ids {
		lo, hi := max(blockOf(max(from, 0)), first.Int64), min(blockOf(max(to, 0)), id.lastBlock)
		if !first.Valid || from > to || lo > hi {
			out[i].Points = []store.Point{}
			continue
		}
		out[i].Points, err = points(ctx, stmt, q.Limit, lo, hi, id.id, from, to)
		if err != nil {
			return nil, fmt.Errorf("read series %s %s %v: %w", q.Host, q.Field, out[i].Dims, err)
		}
	}
	return out, nil
}

type seriesRef struct {
	id, lastBlock int64
}

// seriesOf returns the ids of one field of one host and a Series without
// points for each.
func seriesOf(ctx context.Context, tx *sql.Tx, host, field string) ([]seriesRef, []store.Series, error) {
	rows, err := tx.QueryContext(ctx, sqlSeriesOf, host, field)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []seriesRef
	out := []store.Series{}
	for rows.Next() {
		var id seriesRef
		var dims string
		if err := rows.Scan(&id.id, &dims, &id.lastBlock); err != nil {
			return nil, nil, err
		}
		d, err := parseDims(dims)
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
		out = append(out, store.Series{Field: field, Dims: d})
	}
	return ids, out, rows.Err()
}

// points reads one series. With limit > 0 the blocks come newest first and
// reading stops at the first block boundary with limit points in hand.
func points(ctx context.Context, stmt *sql.Stmt, limit int, args ...any) ([]store.Point, error) {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	pts := []store.Point{}
	block := int64(-1)
	for rows.Next() {
		var ts int64
		var v float64
		if err := rows.Scan(&ts, &v); err != nil {
			return nil, err
		}
		if b := blockOf(ts); b != block {
			if limit > 0 && len(pts) >= limit {
				break
			}
			block = b
		}
		pts = append(pts, store.Point{Time: fromMS(ts), Value: v})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Ascending already when no limit, as the plan reads; sorting is cheap
	// insurance against a plan change.
	byTime := func(a, b store.Point) int { return a.Time.Compare(b.Time) }
	if !slices.IsSortedFunc(pts, byTime) {
		slices.SortFunc(pts, byTime)
	}
	if limit > 0 && len(pts) > limit {
		pts = pts[len(pts)-limit:]
	}
	return pts, nil
}

func fromMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

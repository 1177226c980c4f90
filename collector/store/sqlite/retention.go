package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// deleteRows bounds each retention transaction, so ingest, which waits for
// the same writer, is never held up for long. BenchmarkDeleteBefore: ~1.5M
// samples deleted a second, and the slowest concurrent WriteBatches ~50 ms.
// Store.retentionRows holds it so tests can shrink it.
const deleteRows = 50_000

const (
	// Samples go oldest first: they are keyed by block, so what retention
	// deletes is always a leading range of the table. The key of the
	// (n+1)th-oldest expired row bounds a chunk of exactly n rows.
	sqlExpiredBound = `SELECT block, series_id, ts FROM samples
WHERE block <= ?1 AND ts < ?2 ORDER BY block, series_id, ts LIMIT 1 OFFSET ?3`
	// Everything before a key (block, series_id, ts), in three statements
	// because each is a plain index range for SQLite's planner; one row-value
	// comparison was not, and rescanned every expired row on every chunk.
	sqlDeleteBlocks = `DELETE FROM samples WHERE block < ?1`
	sqlDeleteSeries = `DELETE FROM samples WHERE block = ?1 AND series_id < ?2 AND ts < ?3`
	sqlDeleteTimes  = `DELETE FROM samples WHERE block = ?1 AND series_id = ?2 AND ts < ?3`
	// The rest, when fewer than a chunk are left.
	sqlDeleteExpired = `DELETE FROM samples WHERE block <= ?1 AND ts < ?2`
	sqlDeleteBatches = `DELETE FROM batches WHERE (agent_id, seq) IN
	(SELECT agent_id, seq FROM batches WHERE received < ? LIMIT ?)`
)

// DeleteBefore removes samples with a timestamp before cutoff, the records
// of batches received before it and the alert history entries (alert_events)
// older than it, and returns how many samples went. Series and hosts stay:
// they are small, and keeping them keeps ids stable for the write path's
// cache. Alert state stays too: its owners delete their own keys. On error,
// the chunks already committed stay deleted and are counted.
func (s *Store) DeleteBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	if err := s.readable(); err != nil {
		return 0, fmt.Errorf("delete before %s: %w", cutoff.Format(time.RFC3339), err)
	}
	c := max(cutoff.UnixMilli(), 0)
	var total int64
	for {
		n, done, err := s.deleteSamples(ctx, c)
		total += n
		if err != nil {
			return total, fmt.Errorf("delete samples before %s: %w", cutoff.Format(time.RFC3339), err)
		}
		if done {
			break
		}
	}
	for {
		n, err := s.deleteBatches(ctx, c)
		if err != nil {
			return total, fmt.Errorf("delete batch records before %s: %w", cutoff.Format(time.RFC3339), err)
		}
		if n < s.retentionRows {
			break
		}
	}
	var events int64
	for {
		n, err := s.deleteEvents(ctx, c)
		events += n
		if err != nil {
			return total, fmt.Errorf("delete alert history before %s: %w", cutoff.Format(time.RFC3339), err)
		}
		if n < s.retentionRows {
			break
		}
	}
	var checks int64
	for {
		n, err := s.deleteCheckResults(ctx, c)
		checks += n
		if err != nil {
			return total, fmt.Errorf("delete check results before %s: %w", cutoff.Format(time.RFC3339), err)
		}
		if n < s.retentionRows {
			break
		}
	}
	s.log.Debug("retention", "cutoff", cutoff, "samples_deleted", total, "alert_events_deleted", events, "check_results_deleted", checks)
	return total, nil
}

// deleteSamples runs one retention transaction of at most s.retentionRows
// samples and reports whether nothing expired is left.
func (s *Store) deleteSamples(ctx context.Context, cutoff int64) (deleted int64, done bool, err error) {
	if err := s.acquireWriter(ctx); err != nil {
		return 0, false, err
	}
	defer s.releaseWriter()
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()

	last := blockOf(cutoff)
	var block, series, ts int64
	err = tx.QueryRowContext(ctx, sqlExpiredBound, last, cutoff, s.retentionRows).Scan(&block, &series, &ts)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		done = true
		deleted, err = execCount(ctx, tx, sqlDeleteExpired, last, cutoff)
	case err == nil:
		// The bound row is expired, so everything before it is: blocks
		// before its block end before the cutoff's block.
		var n [3]int64
		n[0], err = execCount(ctx, tx, sqlDeleteBlocks, block)
		if err == nil {
			n[1], err = execCount(ctx, tx, sqlDeleteSeries, block, series, cutoff)
		}
		if err == nil {
			n[2], err = execCount(ctx, tx, sqlDeleteTimes, block, series, min(ts, cutoff))
		}
		deleted = n[0] + n[1] + n[2]
	}
	if err != nil {
		return 0, false, err
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("commit: %w", err)
	}
	return deleted, done, nil
}

func execCount(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	r, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func (s *Store) deleteBatches(ctx context.Context, cutoff int64) (int64, error) {
	if err := s.acquireWriter(ctx); err != nil {
		return 0, err
	}
	defer s.releaseWriter()
	// A single statement is its own transaction.
	r, err := s.wdb.ExecContext(ctx, sqlDeleteBatches, cutoff, s.retentionRows)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

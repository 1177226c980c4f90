package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
)

const (
	// A replayed older result never replaces a newer one.
	sqlUpsertCheck = `INSERT INTO checks (host, name, ts, data) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (host, name) DO UPDATE SET ts = excluded.ts, data = excluded.data WHERE excluded.ts >= checks.ts`
	sqlInsertCheckResult  = `INSERT OR IGNORE INTO check_results (host, name, ts, state, data) VALUES (?1, ?2, ?3, ?4, ?5)`
	sqlHostChecks         = `SELECT data FROM checks WHERE host = ? ORDER BY name`
	sqlDeleteCheckResults = `DELETE FROM check_results WHERE (host, name, ts) IN
	(SELECT host, name, ts FROM check_results WHERE ts < ?1 LIMIT ?2)`
	// A check that has not reported for the whole retention is gone from the host.
	sqlDeleteStaleChecks = `DELETE FROM checks WHERE ts < ?1`
)

// addChecks stores the check results of b: each in the history and, when it
// is the newest of its check, as the check's status.
func (t *txStmts) addChecks(ctx context.Context, b *model.Batch) error {
	for i := range b.Checks {
		c := &b.Checks[i]
		data, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode check %s: %w", c.Name, err)
		}
		if _, err := t.stmt(ctx, t.w.checkResult).ExecContext(ctx, b.Host.Name, c.Name, c.Timestamp, c.State, data); err != nil {
			return fmt.Errorf("store result of check %s: %w", c.Name, err)
		}
		if _, err := t.stmt(ctx, t.w.check).ExecContext(ctx, b.Host.Name, c.Name, c.Timestamp, data); err != nil {
			return fmt.Errorf("store status of check %s: %w", c.Name, err)
		}
	}
	return nil
}

// hostChecks reads the status of every check of host, ordered by name.
func hostChecks(ctx context.Context, tx *sql.Tx, host string) ([]store.CheckStatus, error) {
	rows, err := tx.QueryContext(ctx, sqlHostChecks, host)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.CheckStatus{}
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var c model.CheckResult
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("decode check result: %w", err)
		}
		out = append(out, store.NewCheckStatus(c))
	}
	return out, rows.Err()
}

// deleteCheckResults runs one retention transaction of at most
// s.retentionRows check results older than cutoff (Unix ms), and drops the
// status of checks silent since before it.
func (s *Store) deleteCheckResults(ctx context.Context, cutoff int64) (int64, error) {
	if err := s.acquireWriter(ctx); err != nil {
		return 0, err
	}
	defer s.releaseWriter()
	r, err := s.wdb.ExecContext(ctx, sqlDeleteCheckResults, cutoff, s.retentionRows)
	if err != nil {
		return 0, err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return 0, err
	}
	if n < s.retentionRows {
		if _, err := s.wdb.ExecContext(ctx, sqlDeleteStaleChecks, cutoff); err != nil {
			return n, err
		}
	}
	return n, nil
}

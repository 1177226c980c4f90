package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations[i] brings a database from schema version i to i+1. The version is
// kept in PRAGMA user_version, which lives in the database header and costs no
// table. Append only: a released migration never changes.
var migrations = []string{
	// 0 -> 1: initial schema. Times are Unix milliseconds.
	`
-- The host registry, upserted by every batch. identity is the model.Host JSON.
-- first_seen and last_seen are the collector's receive times, so a host
-- replaying a backlog after an outage shows as alive now.
CREATE TABLE hosts (
	name          TEXT PRIMARY KEY,
	agent_id      TEXT NOT NULL,
	agent_version TEXT NOT NULL,
	interval_ms   INTEGER NOT NULL,
	first_seen    INTEGER NOT NULL,
	last_seen     INTEGER NOT NULL,
	identity      TEXT NOT NULL
) WITHOUT ROWID;

-- Highest stored seq per agent. Kept apart from batches because retention
-- deletes batch records, and the durable seq an agent is told must never go back.
CREATE TABLE agents (
	agent_id    TEXT PRIMARY KEY,
	durable_seq INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per stored batch: the dedup key. A batch whose key exists is a
-- duplicate and nothing of it is written again.
CREATE TABLE batches (
	agent_id TEXT NOT NULL,
	seq      INTEGER NOT NULL,
	received INTEGER NOT NULL,
	samples  INTEGER NOT NULL,
	PRIMARY KEY (agent_id, seq)
) WITHOUT ROWID;
-- For retention. received only grows, so the index is appended to.
CREATE INDEX batches_received ON batches (received);

-- dims is the canonical JSON of the event's dims (sorted keys), '' when none.
-- last_block is the newest block (see samples) holding a sample of the
-- series, so its latest value is two index seeks away however long ago it
-- stopped reporting.
CREATE TABLE series (
	id         INTEGER PRIMARY KEY,
	host       TEXT NOT NULL,
	field      TEXT NOT NULL,
	dims       TEXT NOT NULL,
	last_block INTEGER NOT NULL DEFAULT 0,
	UNIQUE (host, field, dims)
);

-- Samples are clustered by time block first (block = ts / blockMS, one
-- minute), then series, then time. Keyed by (series_id, ts) alone, every
-- sample lands on its own series' last leaf page once a series outgrows one
-- page: a commit of 16 batches (2,448 samples) wrote 2,448 pages, 9.6 MiB of
-- WAL, and BenchmarkWriteBatches fell from ~300k to ~31k samples/s once every
-- series had an hour of history. Block first, the same commit writes ~55
-- pages (220 KiB), and the rate stays at ~330k samples/s with or without
-- history. The price: a range read of one series seeks once per block (a
-- day is 1,440 seeks, about a third of its ~9 ms), and the latest value needs
-- series.last_block. Retention deletes whole leading blocks. Changing blockMS
-- changes the meaning of stored rows: it needs a migration.
CREATE TABLE samples (
	block     INTEGER NOT NULL,
	series_id INTEGER NOT NULL,
	ts        INTEGER NOT NULL,
	value     REAL NOT NULL,
	PRIMARY KEY (block, series_id, ts)
) WITHOUT ROWID;
`,
	// 1 -> 2: alerting state and history (alert.StateStore, alertstate.go).
	`
-- Keyed blobs per owner (rule instances, notification log, silences,
-- acknowledgements). Never aged out: each owner deletes its own keys.
-- updated is informational, for someone looking at the file.
CREATE TABLE alert_state (
	bucket  TEXT NOT NULL,
	key     TEXT NOT NULL,
	value   BLOB NOT NULL,
	updated INTEGER NOT NULL,
	PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

-- The alert history, append only; data is the alert.Event JSON without seq.
-- AUTOINCREMENT so that a seq is never handed out twice, even after
-- retention deleted the newest rows. host is '' for events not about one
-- host. Each index ends in ts (and implicitly seq, the rowid), so every
-- query shape reads newest first straight from an index, without sorting.
CREATE TABLE alert_events (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT,
	ts       INTEGER NOT NULL,
	kind     TEXT NOT NULL,
	alert_id TEXT NOT NULL,
	host     TEXT NOT NULL,
	data     BLOB NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, ts);
CREATE INDEX alert_events_host ON alert_events (host, ts);
CREATE INDEX alert_events_ts ON alert_events (ts);
`,
	// 2 -> 3: check results. data is the model.CheckResult JSON.
	`
-- The newest result of every check of every host, what the API shows.
CREATE TABLE checks (
	host TEXT NOT NULL,
	name TEXT NOT NULL,
	ts   INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (host, name)
) WITHOUT ROWID;

-- Every check result, aged out with the samples.
CREATE TABLE check_results (
	host  TEXT NOT NULL,
	name  TEXT NOT NULL,
	ts    INTEGER NOT NULL,
	state INTEGER NOT NULL,
	data  BLOB NOT NULL,
	PRIMARY KEY (host, name, ts)
) WITHOUT ROWID;
CREATE INDEX check_results_ts ON check_results (ts);
`,
}

// migrate brings the schema to the newest version, each step in its own transaction.
func migrate(ctx context.Context, db *sql.DB) error {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("check schema version: database is at version %d, this build knows up to %d", v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		if err := migrateStep(ctx, db, v); err != nil {
			return err
		}
	}
	return nil
}

func migrateStep(ctx context.Context, db *sql.DB, from int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration to version %d: %w", from+1, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, migrations[from]); err != nil {
		return fmt.Errorf("migrate schema to version %d: %w", from+1, err)
	}
	// PRAGMA takes no bound parameters; the value is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", from+1)); err != nil {
		return fmt.Errorf("set schema version %d: %w", from+1, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration to version %d: %w", from+1, err)
	}
	return nil
}

// Package sqlite is the embedded default store of vigil-collector: SQLite through
// modernc.org/sqlite (no cgo), so a single collector runs with nothing else installed.
//
// One writer connection takes every write (SQLite allows one writer at a time, and
// funnelling writes through one connection keeps its prepared statements and page
// cache warm); a separate pool of read-only connections serves the API. In WAL mode
// readers see the last committed snapshot and never wait for the writer, and the
// writer never waits for readers.
//
// Samples are keyed by (minute block, series, time) rather than (series, time),
// which keeps a commit's writes to a few pages per host; schema.go has the
// reasoning and the measurements.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/vigilmon/vigil/collector/store"
)

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("store is closed")

// Options configures Open.
type Options struct {
	// Path is the database file; its directory must exist.
	Path string
	// Synchronous is "full" (the default) or "normal". With FULL a commit is
	// durable against power loss (the WAL is fsynced on every commit); with NORMAL
	// it survives a crash of the collector but the last commits can be lost when
	// the machine loses power, because the WAL is fsynced only at checkpoints.
	Synchronous string
	// Logger receives the store's log lines; nil discards them.
	Logger *slog.Logger
}

// Tuning that is not worth an option; see bench_test.go for the measurements.
const (
	busyTimeoutMS = 5000
	// writerCacheKiB is the page cache of the writer connection. The write
	// path's hot set is the current block of samples (a few pages per host)
	// plus the interior pages above it, so 16 MiB covers about a thousand
	// hosts. 8, 16 and 64 MiB measured the same within noise; a bigger cache
	// costs at every commit, when SQLite walks its page hash.
	writerCacheKiB = 16 << 10
	// readerCacheKiB is the page cache of each read connection.
	readerCacheKiB = 8 << 10
	// walSizeLimit truncates the WAL file back to this size after a checkpoint,
	// so a burst of writes does not leave a huge file behind.
	walSizeLimit = 64 << 20
)

// Store is the SQLite implementation of store.Store. It is safe for concurrent use.
type Store struct {
	log *slog.Logger

	// wdb has exactly one connection: every write goes through it.
	wdb *sql.DB
	// rdb is the read-only pool behind the API.
	rdb *sql.DB

	// wsem is the writer lock, a channel so waiting for it honours ctx. It guards w.
	wsem chan struct{}
	w    *writer
	// closed is set under wsem by Close; reads check it without the lock.
	closed atomic.Bool

	closeOnce sync.Once
	closeErr  error

	retentionRows int64
	stats         counters
}

var _ store.Store = (*Store)(nil)

// Stats are cumulative counters since Open, for the collector's /metrics.
type Stats struct {
	// Batches is the number of batches stored (duplicates excluded).
	Batches int64
	// DuplicateBatches is the number of batches skipped because they were stored before.
	DuplicateBatches int64
	// Samples is the number of samples stored.
	Samples int64
	// SamplesIgnored counts samples dropped because their series already had a
	// value at that timestamp (INSERT OR IGNORE); the first value wins.
	SamplesIgnored int64
	// SeriesCached is the number of series ids held in memory.
	SeriesCached int64
}

type counters struct {
	batches, duplicates, samples, ignored, series atomic.Int64
}

// Stats returns the counters.
func (s *Store) Stats() Stats {
	return Stats{
		Batches:          s.stats.batches.Load(),
		DuplicateBatches: s.stats.duplicates.Load(),
		Samples:          s.stats.samples.Load(),
		SamplesIgnored:   s.stats.ignored.Load(),
		SeriesCached:     s.stats.series.Load(),
	}
}

// Open opens (creating it when missing) the database at o.Path and brings its
// schema up to date.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Path == "" {
		return nil, errors.New("open sqlite store: empty path")
	}
	syncMode := strings.ToUpper(o.Synchronous)
	switch syncMode {
	case "":
		syncMode = "FULL"
	case "FULL", "NORMAL":
	default:
		return nil, fmt.Errorf("open sqlite store: synchronous %q: want full or normal", o.Synchronous)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		log:           log.With("component", "store.sqlite", "path", o.Path),
		wsem:          make(chan struct{}, 1),
		retentionRows: deleteRows,
	}

	var err error
	s.wdb, err = sql.Open("sqlite", dsn(o.Path, writerPragmas(syncMode), "_txlock", "immediate"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", o.Path, err)
	}
	// One connection, never recycled: it holds the prepared statements and the
	// warm page cache of the write path. Its transactions begin IMMEDIATE, taking
	// the write lock up front: a deferred one that upgrades later can fail with
	// SQLITE_BUSY that busy_timeout does not retry, should anything else (the
	// sqlite3 shell, a backup tool) write to the file.
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)

	// The schema must exist before the read pool and the statements are
	// prepared, and query_only connections could not create it.
	if err := migrate(ctx, s.wdb); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", o.Path, err)
	}

	s.rdb, err = sql.Open("sqlite", dsn(o.Path, readerPragmas()))
	if err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", o.Path, err)
	}
	// Bounded: each connection has its own page cache and libc thread state.
	n := max(2, runtime.GOMAXPROCS(0))
	s.rdb.SetMaxOpenConns(n)
	s.rdb.SetMaxIdleConns(n)

	s.w, err = newWriter(ctx, s.wdb)
	if err != nil {
		s.rdb.Close()
		s.wdb.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", o.Path, err)
	}
	s.log.Debug("opened", "synchronous", syncMode)
	return s, nil
}

// writerPragmas are applied to the writer connection as it is opened.
func writerPragmas(sync string) []string {
	return []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS),
		"journal_mode(WAL)",
		"synchronous(" + sync + ")",
		"foreign_keys(0)",
		fmt.Sprintf("cache_size(-%d)", writerCacheKiB),
		"temp_store(memory)",
		fmt.Sprintf("journal_size_limit(%d)", walSizeLimit),
	}
}

// readerPragmas are applied to each read connection. query_only makes a bug
// that writes through the read pool fail instead of racing the writer.
func readerPragmas() []string {
	return []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS),
		"foreign_keys(0)",
		fmt.Sprintf("cache_size(-%d)", readerCacheKiB),
		"temp_store(memory)",
		"query_only(1)",
	}
}

// dsn builds a file: URI for the driver, extra being more key, value pairs.
// The path is escaped because SQLite decodes %XX in URIs and the driver splits
// the DSN at the first '?'.
func dsn(path string, pragmas []string, extra ...string) string {
	var b strings.Builder
	b.WriteString("file:")
	for _, r := range path {
		switch r {
		case '%', '?', '#':
			fmt.Fprintf(&b, "%%%02X", r)
		default:
			b.WriteRune(r)
		}
	}
	q := url.Values{"_pragma": pragmas}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	b.WriteByte('?')
	b.WriteString(q.Encode())
	return b.String()
}

// acquireWriter takes the writer lock, honouring ctx, and fails once the store
// is closed.
func (s *Store) acquireWriter(ctx context.Context) error {
	select {
	case s.wsem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if s.closed.Load() {
		<-s.wsem
		return ErrClosed
	}
	return nil
}

func (s *Store) releaseWriter() { <-s.wsem }

// Close waits for a write in progress, then closes both pools. It is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.wsem <- struct{}{}
		s.closed.Store(true)
		<-s.wsem
		s.closeErr = errors.Join(s.w.close(), s.rdb.Close(), s.wdb.Close())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("close sqlite store: %w", s.closeErr)
		}
	})
	return s.closeErr
}

// Package store defines what the collector needs from a storage backend: durable,
// idempotent batch writes and the reads behind the JSON API. Backends live in
// sub-packages (sqlite, later elastic).
package store

import (
	"context"
	"errors"
	"time"

	"github.com/vigilmon/vigil/internal/model"
)

// ErrNotFound is returned by reads for an unknown host.
var ErrNotFound = errors.New("not found")

// ErrFull is returned (wrapped) by WriteBatches when the store cannot take
// more now, e.g. a full outbox while the cluster is away: ingest answers 429
// and agents keep the data in their spools.
var ErrFull = errors.New("store full")

// Store is a durable metric store. Implementations must be safe for concurrent use.
type Store interface {
	// WriteBatches stores the batches in one durable transaction. A batch whose
	// (AgentID, Seq) is already stored is skipped and reported as a duplicate.
	// The returned slice has one result per input batch, in order. When it returns
	// nil error every non-duplicate batch is durable.
	WriteBatches(ctx context.Context, batches []*model.Batch, received time.Time) ([]WriteResult, error)
	// Hosts lists every known host, ordered by name.
	Hosts(ctx context.Context) ([]HostSummary, error)
	// Host returns one host with the latest value of every metric series.
	Host(ctx context.Context, name string) (HostDetail, error)
	// Series returns the samples of one field of one host in [From, To], one
	// Series per distinct set of dimensions, points in time order.
	Series(ctx context.Context, q SeriesQuery) ([]Series, error)
	// DeleteBefore removes samples (and batch records) older than cutoff and
	// returns how many samples went.
	DeleteBefore(ctx context.Context, cutoff time.Time) (int64, error)
	Close() error
}

// WriteResult reports what happened to one batch of a WriteBatches call.
type WriteResult struct {
	Duplicate bool
	// DurableSeq is the highest sequence of the batch's agent stored after the write.
	DurableSeq uint64
}

// HostSummary is one entry of GET /api/v1/hosts.
type HostSummary struct {
	Name         string    `json:"name"`
	AgentID      string    `json:"agent_id"`
	AgentVersion string    `json:"agent_version"`
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
	IntervalMS   int64     `json:"interval_ms"`
}

// HostDetail is GET /api/v1/hosts/{name}.
type HostDetail struct {
	HostSummary
	Identity model.Host    `json:"identity"`
	Metrics  []LatestValue `json:"metrics"`
	// Checks holds the newest result of every check, ordered by name.
	Checks []CheckStatus `json:"checks"`
}

// LatestValue is the newest sample of one series.
type LatestValue struct {
	Field     string            `json:"field"`
	Dims      map[string]string `json:"dims,omitempty"`
	Timestamp time.Time         `json:"timestamp"`
	Value     float64           `json:"value"`
}

// SeriesQuery selects samples of one field on one host.
type SeriesQuery struct {
	Host  string
	Field string
	From  time.Time
	To    time.Time
	// Limit caps the points returned per series (0 = no cap); the newest are kept.
	Limit int
}

// Series is the samples of one field with one set of dimensions.
type Series struct {
	Field  string            `json:"field"`
	Dims   map[string]string `json:"dims,omitempty"`
	Points []Point           `json:"points"`
}

// Point is one sample.
type Point struct {
	Time  time.Time `json:"t"`
	Value float64   `json:"v"`
}

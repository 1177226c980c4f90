package alert

import (
	"context"
	"maps"
	"sync"
)

// MemStore is a StateStore in memory, for `vigil-collector test-rules` (which
// must not touch a real store) and for tests.
type MemStore struct {
	mu      sync.Mutex
	buckets map[string]map[string][]byte
	events  []Event
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{buckets: map[string]map[string][]byte{}} }

// LoadState returns a copy of the bucket.
func (m *MemStore) LoadState(_ context.Context, bucket string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.buckets[bucket]), nil
}

// SaveState applies puts and deletes and appends events.
func (m *MemStore) SaveState(_ context.Context, bucket string, put map[string][]byte, del []string, events []Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[bucket]
	if b == nil {
		b = map[string][]byte{}
		m.buckets[bucket] = b
	}
	for k, v := range put {
		b[k] = append([]byte(nil), v...)
	}
	for _, k := range del {
		delete(b, k)
	}
	for _, e := range events {
		e.Seq = int64(len(m.events) + 1)
		m.events = append(m.events, e)
	}
	return nil
}

// Events returns matching events, newest first.
func (m *MemStore) Events(_ context.Context, q EventQuery) ([]Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	var out []Event
	for i := len(m.events) - 1; i >= 0 && len(out) < limit; i-- {
		if e := m.events[i]; q.Match(e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Match reports whether e passes the query's filters (not its limit).
func (q EventQuery) Match(e Event) bool {
	switch {
	case q.AlertID != "" && e.AlertID != q.AlertID,
		q.Host != "" && e.Labels[LabelHost] != q.Host,
		q.Kind != "" && e.Kind != q.Kind,
		!q.From.IsZero() && e.Time.Before(q.From),
		!q.To.IsZero() && !e.Time.Before(q.To):
		return false
	}
	return true
}

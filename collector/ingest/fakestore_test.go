package ingest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
)

// memStore is a store.Store keeping batches in memory, with hooks to block or fail
// writes.
type memStore struct {
	mu      sync.Mutex
	seen    map[string]map[uint64]bool
	samples int
	groups  []int
	block   chan struct{} // when set, writes wait for it to close
	entered chan int      // when set, receives the group size of every write that starts
	fail    error
}

func newMemStore() *memStore { return &memStore{seen: map[string]map[uint64]bool{}} }

func (m *memStore) WriteBatches(ctx context.Context, bs []*model.Batch, _ time.Time) ([]store.WriteResult, error) {
	if m.entered != nil {
		m.entered <- len(bs)
	}
	if m.block != nil {
		select {
		case <-m.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	m.groups = append(m.groups, len(bs))
	res := make([]store.WriteResult, len(bs))
	for i, b := range bs {
		if m.seen[b.AgentID] == nil {
			m.seen[b.AgentID] = map[uint64]bool{}
		}
		res[i].Duplicate = m.seen[b.AgentID][b.Seq]
		if !res[i].Duplicate {
			m.seen[b.AgentID][b.Seq] = true
			m.samples += b.Samples()
		}
		for s := range m.seen[b.AgentID] {
			res[i].DurableSeq = max(res[i].DurableSeq, s)
		}
	}
	return res, nil
}

func (m *memStore) Hosts(context.Context) ([]store.HostSummary, error) { return nil, nil }
func (m *memStore) Host(context.Context, string) (store.HostDetail, error) {
	return store.HostDetail{}, store.ErrNotFound
}
func (m *memStore) Series(context.Context, store.SeriesQuery) ([]store.Series, error) {
	return nil, errors.New("not implemented")
}
func (m *memStore) DeleteBefore(context.Context, time.Time) (int64, error) { return 0, nil }
func (m *memStore) Close() error                                           { return nil }

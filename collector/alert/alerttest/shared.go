// Package alerttest has test doubles for the alerting packages.
package alerttest

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/vigilmon/vigil/collector/alert"
)

// Shared is the state of one cluster shared by several collectors, in memory:
// each View is one collector's connection, which, like the Elasticsearch
// state store, remembers the version of every key it read or wrote and
// writes with compare-and-set on it.
type Shared struct {
	mu      sync.Mutex
	values  map[string][]byte // bucket + "\x00" + key
	version map[string]int64
	next    int64
	events  *alert.MemStore
}

// NewShared returns an empty shared store.
func NewShared() *Shared {
	return &Shared{values: map[string][]byte{}, version: map[string]int64{}, events: alert.NewMemStore()}
}

// View is one collector's StateStore on a Shared.
type View struct {
	s    *Shared
	mu   sync.Mutex
	seen map[string]int64
}

// View opens a new collector's connection.
func (s *Shared) View() *View { return &View{s: s, seen: map[string]int64{}} }

// Events returns every history event of every collector, newest first.
func (s *Shared) Events() []alert.Event {
	ev, _ := s.events.Events(context.Background(), alert.EventQuery{Limit: 1 << 30})
	return ev
}

// LoadState reads a bucket and remembers the versions.
func (v *View) LoadState(_ context.Context, bucket string) (map[string][]byte, error) {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[string][]byte{}
	for id, val := range v.s.values {
		b, k, _ := strings.Cut(id, "\x00")
		if b == bucket {
			out[k] = append([]byte(nil), val...)
			v.seen[id] = v.s.version[id]
		}
	}
	return out, nil
}

// SaveState writes with compare-and-set and reports lost keys as
// *alert.ConflictError, dropping their events, as the cluster store does.
func (v *View) SaveState(ctx context.Context, bucket string, put map[string][]byte, del []string, events []alert.Event) error {
	v.s.mu.Lock()
	v.mu.Lock()
	lost := map[string][]byte{}
	check := func(k string) (string, bool) {
		id := bucket + "\x00" + k
		have, exists := v.s.version[id]
		mine, known := v.seen[id]
		if (known && (!exists || have != mine)) || (!known && exists) {
			if exists {
				lost[k] = append([]byte(nil), v.s.values[id]...)
				v.seen[id] = have
			} else {
				lost[k] = nil
				delete(v.seen, id)
			}
			return id, false
		}
		return id, true
	}
	for _, k := range sortedKeys(put) {
		if id, ok := check(k); ok {
			v.s.next++
			v.s.values[id], v.s.version[id], v.seen[id] = append([]byte(nil), put[k]...), v.s.next, v.s.next
		}
	}
	for _, k := range del {
		id := bucket + "\x00" + k
		if _, known := v.seen[id]; !known {
			if _, exists := v.s.version[id]; !exists {
				continue
			}
		}
		if id, ok := check(k); ok {
			delete(v.s.values, id)
			delete(v.s.version, id)
			delete(v.seen, id)
		}
	}
	v.mu.Unlock()
	v.s.mu.Unlock()
	var keep []alert.Event
	for _, e := range events {
		owned := false
		for k := range lost {
			if k == e.AlertID || strings.HasSuffix(k, "/"+e.AlertID) {
				owned = true
			}
		}
		if !owned {
			keep = append(keep, e)
		}
	}
	if err := v.s.events.SaveState(ctx, bucket, nil, nil, keep); err != nil {
		return err
	}
	if len(lost) > 0 {
		return &alert.ConflictError{Bucket: bucket, Current: lost}
	}
	return nil
}

// Events reads the shared history.
func (v *View) Events(ctx context.Context, q alert.EventQuery) ([]alert.Event, error) {
	return v.s.events.Events(ctx, q)
}

// sortedKeys makes writes (and so versions) happen in a fixed order.
func sortedKeys(m map[string][]byte) []string { return slices.Sorted(maps.Keys(m)) }

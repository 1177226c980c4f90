package silence

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// Create validates s and stores it as a new silence with a new ID. Every
// problem is reported at once in an *InvalidError: at least one matcher, one
// of which must not match an empty value; EndsAt after now and after
// StartsAt; CreatedBy and Comment. A StartsAt that is zero or in the past
// becomes now. CreatedAt and UpdatedAt are set to now; the ID must be empty.
func (m *Manager) Create(ctx context.Context, s Silence) (Silence, error) {
	now := m.now()
	s, err := prepare(s, now)
	if err != nil {
		return Silence{}, err
	}
	s.ID = newID()

	m.wmu.Lock()
	defer m.wmu.Unlock()
	msg := fmt.Sprintf("silence %s created by %s: %s from %s until %s: %s", s.ID, s.CreatedBy,
		matchersString(s.Matchers), s.StartsAt.Format(time.RFC3339), s.EndsAt.Format(time.RFC3339), s.Comment)
	if err := m.save(ctx, &s, msg, now); err != nil {
		return Silence{}, err
	}
	m.put(s)
	m.log.Info("silence created", "id", s.ID, "matchers", matchersString(s.Matchers),
		"starts_at", s.StartsAt, "ends_at", s.EndsAt, "created_by", s.CreatedBy)
	return s.clone(), nil
}

// Expire ends the silence now (a pending one never starts). by names who
// did it, for the history ("" when unknown). It returns ErrNotFound for an
// unknown ID and ErrExpired for a silence that has already ended.
func (m *Manager) Expire(ctx context.Context, id, by string) error {
	now := m.now()
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.mu.RLock()
	s, ok := m.silences[id]
	m.mu.RUnlock()
	if !ok {
		return fmt.Errorf("expire silence %s: %w", id, ErrNotFound)
	}
	if s.Status(now) == StatusExpired {
		return fmt.Errorf("expire silence %s: %w at %s", id, ErrExpired, s.EndsAt.Format(time.RFC3339))
	}
	s.EndsAt, s.UpdatedAt = now, now
	if s.StartsAt.After(now) {
		s.StartsAt = now
	}
	if by == "" {
		by = "unknown"
	}
	msg := fmt.Sprintf("silence %s %s expired by %s", id, matchersString(s.Matchers), by)
	if err := m.save(ctx, &s, msg, now); err != nil {
		return err
	}
	m.put(s)
	m.log.Info("silence expired", "id", id, "by", by)
	return nil
}

// save writes s and its history entry; the caller holds wmu.
func (m *Manager) save(ctx context.Context, s *Silence, msg string, now time.Time) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode silence %s: %w", s.ID, err)
	}
	err = m.store.SaveState(ctx, alert.BucketSilences, map[string][]byte{s.ID: b}, nil,
		[]alert.Event{silenceEvent(now, msg)})
	if err != nil {
		return fmt.Errorf("save silence %s: %w", s.ID, err)
	}
	return nil
}

func (m *Manager) put(s Silence) {
	m.mu.Lock()
	m.silences[s.ID] = s
	m.publishLocked()
	m.mu.Unlock()
}

// Get returns one silence, or ErrNotFound.
func (m *Manager) Get(id string) (Silence, error) {
	m.mu.RLock()
	s, ok := m.silences[id]
	m.mu.RUnlock()
	if !ok {
		return Silence{}, fmt.Errorf("get silence %s: %w", id, ErrNotFound)
	}
	return s.clone(), nil
}

// List returns every silence still kept: active ones first, then pending,
// then expired, each group newest (by creation) first.
func (m *Manager) List(now time.Time) []Silence {
	m.mu.RLock()
	out := make([]Silence, 0, len(m.silences))
	for _, s := range m.silences {
		out = append(out, s.clone())
	}
	m.mu.RUnlock()
	rank := map[string]int{StatusActive: 0, StatusPending: 1, StatusExpired: 2}
	slices.SortFunc(out, func(a, b Silence) int {
		return cmp.Or(
			cmp.Compare(rank[a.Status(now)], rank[b.Status(now)]),
			b.CreatedAt.Compare(a.CreatedAt),
			cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Silenced returns the IDs of the silences active at now that match labels,
// nil when none does. Dispatch calls it for every alert on every tick: it
// reads memory only, takes no lock and allocates nothing when nothing
// matches.
func (m *Manager) Silenced(labels alert.Labels, now time.Time) []string {
	var ids []string
	hot := *m.hot.Load()
	for i := range hot {
		s := &hot[i]
		if s.active(now) && s.Matchers.Matches(labels) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

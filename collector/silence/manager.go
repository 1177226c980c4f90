package silence

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// DefaultRetention is how long an expired silence stays visible by default.
const DefaultRetention = 5 * 24 * time.Hour

// Options tunes a Manager.
type Options struct {
	// Retention is how long an expired silence stays listed (so that it can be
	// looked up and re-created) before GC deletes it. Zero means
	// DefaultRetention.
	Retention time.Duration
}

// Manager holds the silences and acknowledgements in memory, in front of their
// store. It is safe for concurrent use.
type Manager struct {
	store     alert.StateStore
	now       func() time.Time
	log       *slog.Logger
	retention time.Duration

	// wmu serialises changes. It is held across the store write and the
	// memory update, so two changes cannot commit in one order and apply in
	// the other.
	wmu sync.Mutex
	// mu guards the maps. It is never held across store I/O, so readers do
	// not wait for a write.
	mu       sync.RWMutex
	silences map[string]Silence
	// Stored *Ack values are never changed, only replaced: Acked compares
	// pointers to tell the ack it read from a newer one.
	acks map[string]*Ack
	// voided holds acks that Acked found at another severity. They are out of
	// acks at once, so they cannot come back in this process; GC deletes them
	// from the store and records why.
	voided map[string]voidedAck

	// hot is every silence as an immutable slice, replaced on each change,
	// so that Silenced reads it without a lock.
	hot atomic.Pointer[[]Silence]
}

type voidedAck struct {
	ack *Ack
	at  time.Time
	sev alert.Severity // the alert's severity that voided it
}

// New loads the silences and acknowledgements in store. A stored entry that
// cannot be decoded is logged and left out, not deleted: one bad entry must
// not keep the collector from starting, and an operator may want to look at
// it. now is the clock of changes (creation and expiry times); logger may be
// nil.
func New(ctx context.Context, store alert.StateStore, now func() time.Time, logger *slog.Logger, o Options) (*Manager, error) {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	m := &Manager{
		store:     store,
		now:       now,
		log:       logger.With("component", "silence"),
		retention: o.Retention,
		silences:  make(map[string]Silence),
		acks:      make(map[string]*Ack),
		voided:    make(map[string]voidedAck),
	}
	silences, acks, err := m.load(ctx)
	if err != nil {
		return nil, err
	}
	m.silences, m.acks = silences, acks
	m.publishLocked()
	m.log.Debug("loaded", "silences", len(m.silences), "acks", len(m.acks))
	return m, nil
}

// load reads the silences and acknowledgements from the store.
func (m *Manager) load(ctx context.Context) (map[string]Silence, map[string]*Ack, error) {
	silences, acks := map[string]Silence{}, map[string]*Ack{}
	raw, err := m.store.LoadState(ctx, alert.BucketSilences)
	if err != nil {
		return nil, nil, fmt.Errorf("load silences: %w", err)
	}
	for id, b := range raw {
		var s Silence
		if err := json.Unmarshal(b, &s); err != nil {
			m.log.Error("stored silence left out: cannot decode it", "id", id, "err", err)
			continue
		}
		s.ID = id // the key is what deletes it
		silences[id] = s
	}
	raw, err = m.store.LoadState(ctx, alert.BucketAcks)
	if err != nil {
		return nil, nil, fmt.Errorf("load acknowledgements: %w", err)
	}
	for id, b := range raw {
		a := new(Ack)
		if err := json.Unmarshal(b, a); err != nil {
			m.log.Error("stored acknowledgement left out: cannot decode it", "alert_id", id, "err", err)
			continue
		}
		a.AlertID = id
		acks[id] = a
	}
	return silences, acks, nil
}

// Reload replaces what is in memory with what the store holds: with a store
// shared by several collectors, a silence or acknowledgement made through
// another collector's API then applies here too. Acknowledgements voided
// here stay out until GC has deleted them.
func (m *Manager) Reload(ctx context.Context) error {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	silences, acks, err := m.load(ctx)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, a := range acks {
		if old, ok := m.acks[id]; ok && sameAck(old, a) {
			acks[id] = old // Acked tells acks apart by pointer
		}
		if _, voided := m.voided[id]; voided {
			delete(acks, id)
		}
	}
	m.silences, m.acks = silences, acks
	m.publishLocked()
	return nil
}

// publishLocked replaces the hot slice; the caller holds mu (or is New). It
// is in creation order, so Silenced lists IDs in a stable order.
func (m *Manager) publishLocked() {
	hot := slices.SortedFunc(maps.Values(m.silences), func(a, b Silence) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	m.hot.Store(&hot)
}

// GC deletes silences that expired more than the retention ago, and
// acknowledgements that expired or were voided, each with a history entry.
// The scheduler calls it periodically (every minute or so): until it runs, a
// voided acknowledgement is gone from memory but still in the store, and a
// restart in between would bring it back.
func (m *Manager) GC(ctx context.Context, now time.Time) error {
	m.wmu.Lock()
	defer m.wmu.Unlock()

	m.mu.RLock()
	var oldSilences []Silence
	for _, s := range m.silences {
		if !now.Before(s.EndsAt.Add(m.retention)) {
			oldSilences = append(oldSilences, s)
		}
	}
	var expired []*Ack
	for _, a := range m.acks {
		if a.expired(now) {
			expired = append(expired, a)
		}
	}
	voided := slices.Collect(maps.Values(m.voided))
	m.mu.RUnlock()

	if err := m.gcSilences(ctx, oldSilences, now); err != nil {
		return err
	}
	return m.gcAcks(ctx, expired, voided)
}

func (m *Manager) gcSilences(ctx context.Context, old []Silence, now time.Time) error {
	if len(old) == 0 {
		return nil
	}
	slices.SortFunc(old, func(a, b Silence) int { return a.EndsAt.Compare(b.EndsAt) })
	del := make([]string, len(old))
	events := make([]alert.Event, len(old))
	for i, s := range old {
		del[i] = s.ID
		events[i] = silenceEvent(now, fmt.Sprintf(
			"silence %s %s by %s deleted: expired at %s, more than %s ago",
			s.ID, matchersString(s.Matchers), s.CreatedBy, s.EndsAt.Format(time.RFC3339), m.retention))
	}
	if err := m.store.SaveState(ctx, alert.BucketSilences, nil, del, events); err != nil {
		return fmt.Errorf("delete %d expired silences: %w", len(del), err)
	}
	m.mu.Lock()
	for _, id := range del {
		delete(m.silences, id)
	}
	m.publishLocked()
	m.mu.Unlock()
	m.log.Debug("expired silences deleted", "count", len(del))
	return nil
}

func (m *Manager) gcAcks(ctx context.Context, expired []*Ack, voided []voidedAck) error {
	if len(expired)+len(voided) == 0 {
		return nil
	}
	var del []string
	var events []alert.Event
	for _, a := range expired {
		del = append(del, a.AlertID)
		events = append(events, ackEvent(a, a.ExpiresAt, fmt.Sprintf(
			"acknowledgement by %s expired", a.Author)))
	}
	for _, v := range voided {
		del = append(del, v.ack.AlertID)
		why := "the alert resolved"
		if v.sev != alert.SeverityNone {
			why = "the alert is now " + v.sev.String()
		}
		events = append(events, ackEvent(v.ack, v.at, fmt.Sprintf(
			"acknowledgement by %s of %s ended: %s", v.ack.Author, v.ack.Severity, why)))
	}
	slices.SortFunc(events, func(a, b alert.Event) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.AlertID, b.AlertID))
	})
	if err := m.store.SaveState(ctx, alert.BucketAcks, nil, del, events); err != nil {
		return fmt.Errorf("delete %d ended acknowledgements: %w", len(del), err)
	}
	m.mu.Lock()
	// Only what was read above: an ack voided since waits for the next GC.
	for _, a := range expired {
		if m.acks[a.AlertID] == a {
			delete(m.acks, a.AlertID)
		}
	}
	for _, v := range voided {
		if m.voided[v.ack.AlertID].ack == v.ack {
			delete(m.voided, v.ack.AlertID)
		}
	}
	m.mu.Unlock()
	m.log.Debug("ended acknowledgements deleted", "expired", len(expired), "voided", len(voided))
	return nil
}

// sameAck reports whether two acknowledgements are the same one.
func sameAck(a, b *Ack) bool {
	return a.AlertID == b.AlertID && a.Severity == b.Severity && a.Author == b.Author && a.Comment == b.Comment &&
		a.CreatedAt.Equal(b.CreatedAt) && a.ExpiresAt.Equal(b.ExpiresAt)
}

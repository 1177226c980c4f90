package dispatch

import (
	"slices"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// group is one aggregation group: the alerts of one route that share the
// route's group_by values. Its timers decide when it notifies; the
// notification log decides what each integration is told.
type group struct {
	key    string
	route  *node
	labels alert.Labels

	created time.Time
	// flushed is set by the first flush (group_wait after creation), whether
	// or not it sent anything.
	flushed   bool
	lastFlush time.Time
	// nextFlush is the earliest time a flush is due, as of the last Tick.
	nextFlush time.Time

	members      map[string]*member
	integrations map[string]*integrationState
}

// member is an alert in a group, as last reported by the engine.
type member struct {
	alert alert.Alert
	// held is why the alert is left out of notifications ("silence", or the
	// alert's Suppressed reason), as of the last Tick; "" when it is not.
	held string
	// ackCounted is the SentAt of the log entry whose repeat an
	// acknowledgement held back and was counted, so it counts once.
	ackCounted time.Time
}

// integrationState is the sending state of one integration of a group.
type integrationState struct {
	// inflight is set while a send (with its retries) runs; a Tick meanwhile
	// starts no other send for this group and integration.
	inflight bool
	// retryAt holds the integration back after a send was given up on, for a
	// group_interval, so that a refused notification is not resent at every
	// Tick.
	retryAt time.Time
}

func newGroup(key string, route *node, labels alert.Labels, now time.Time) *group {
	return &group{key: key, route: route, labels: labels, created: now,
		members: map[string]*member{}, integrations: map[string]*integrationState{}}
}

// update files the engine's latest report of a.
func (g *group) update(a alert.Alert) {
	if m := g.members[a.ID]; m != nil {
		m.alert = a
		return
	}
	g.members[a.ID] = &member{alert: a}
}

// ids returns the member IDs in order: notifications list alerts sorted by ID.
func (g *group) ids() []string {
	ids := make([]string, 0, len(g.members))
	for id := range g.members {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (g *group) integration(name string) *integrationState {
	st := g.integrations[name]
	if st == nil {
		st = &integrationState{}
		g.integrations[name] = st
	}
	return st
}

// idle reports whether the group can be forgotten: no alerts and no send in
// progress (a send still reports back to its group).
func (g *group) idle() bool {
	if len(g.members) > 0 {
		return false
	}
	for _, st := range g.integrations {
		if st.inflight {
			return false
		}
	}
	return true
}

package dispatch

import (
	"context"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
)

// verdict is what one integration has to be told about one alert.
type verdict int

const (
	// vSkip: a resolved alert this integration never heard of.
	vSkip verdict = iota
	// vHeld: silenced or suppressed; left out of notifications.
	vHeld
	// vCurrent: firing, and the integration knows exactly this.
	vCurrent
	// vAcked: firing, a repeat is due, but the alert is acknowledged.
	vAcked
	// vChange: new episode, or its severity or flapping changed.
	vChange
	// vRepeat: unchanged and unacknowledged for repeat_interval.
	vRepeat
	// vResolve: resolved, and its firing was announced.
	vResolve
)

// plan is the notification one integration would get if its group flushed now.
type plan struct {
	in       Integration
	st       *integrationState
	alerts   []alert.Alert
	notified map[string]bool
	// change, resolve and repeat say why it must be sent; with none set there
	// is nothing new to say.
	change, resolve, repeat bool
}

func (p *plan) needed() bool { return p.change || p.resolve || p.repeat }

// Tick flushes the groups that are due at now, starting one send per
// integration that has something to say. It is called by a scheduler every
// second or so; ctx only bounds Tick itself: sends outlive it and end with
// Stop.
func (d *Dispatcher) Tick(ctx context.Context, now time.Time) {
	d.refresh(ctx, now)
	d.mu.Lock()
	if d.stopped || ctx.Err() != nil {
		d.mu.Unlock()
		return
	}
	for key, g := range d.groups {
		d.tickGroup(g, now)
		if g.idle() {
			delete(d.groups, key)
		}
	}
	d.m.groups.Set(float64(len(d.groups)))
	del := d.collectLog(now)
	d.mu.Unlock()
	if len(del) > 0 {
		if err := d.opts.Store.SaveState(ctx, alert.BucketNotifyLog, nil, del, nil); err != nil {
			d.log.Warn("delete old notification log entries", "entries", len(del), "err", err)
		}
	}
}

// tickGroup decides whether g is due and starts its sends. Called with d.mu held.
func (d *Dispatcher) tickGroup(g *group, now time.Time) {
	o := &g.route.opts
	ids := g.ids()
	for _, id := range ids {
		m := g.members[id]
		reason := d.holdReason(&m.alert, now)
		if reason != "" && reason != m.held {
			d.m.suppressed.WithLabelValues(reason).Inc()
		}
		m.held = reason
	}

	var plans []*plan
	var change, resolve, repeat bool
	var nextRepeat time.Time
	for _, in := range d.opts.Receivers[o.receiver] {
		st := g.integration(in.Name)
		if st.inflight || now.Before(st.retryAt) {
			continue
		}
		p := &plan{in: in, st: st, notified: map[string]bool{}}
		for _, id := range ids {
			m := g.members[id]
			e, ok := d.nflog[logKey(o.receiver, in.Name, id)]
			v := d.verdict(m, e, ok, o.repeatInterval, now)
			switch v {
			case vSkip, vHeld:
				continue
			case vChange:
				p.change = true
			case vResolve:
				p.resolve = true
			case vRepeat:
				p.repeat = true
			case vCurrent:
				if due := e.SentAt.Add(o.repeatInterval); nextRepeat.IsZero() || due.Before(nextRepeat) {
					nextRepeat = due
				}
			}
			if ok && e.told(&m.alert) {
				p.notified[id] = true
			}
			p.alerts = append(p.alerts, m.alert)
		}
		change, resolve, repeat = change || p.change, resolve || p.resolve, repeat || p.repeat
		plans = append(plans, p)
	}

	// The first flush waits group_wait for more alerts; later changes wait
	// group_interval after the previous flush; resolves wait only
	// resolve_wait (0 by default) and repeats are due by their own clock.
	base := g.created
	if g.flushed {
		base = g.lastFlush
	}
	firstAt := g.created.Add(o.groupWait)
	resolveAt := base.Add(o.resolveWait)
	changeAt := g.lastFlush.Add(o.groupInterval)
	due := (!g.flushed && !now.Before(firstAt)) ||
		(resolve && !now.Before(resolveAt)) ||
		(g.flushed && change && !now.Before(changeAt)) ||
		repeat
	if !due {
		g.nextFlush = earliest(
			when(!g.flushed, firstAt), when(resolve, resolveAt),
			when(g.flushed && change, changeAt), nextRepeat)
		return
	}
	g.flushed, g.lastFlush = true, now
	g.nextFlush = nextRepeat
	for _, p := range plans {
		if !p.needed() {
			continue
		}
		p.st.inflight = true
		ng := notify.Group{Receiver: o.receiver, Key: g.key, Labels: g.labels, Notified: p.notified,
			ExternalURL: d.opts.ExternalURL}
		d.wg.Add(1)
		go d.deliver(&job{st: p.st, in: p.in, alerts: p.alerts, group: ng, start: now,
			holdOff: o.groupInterval})
	}
}

// holdReason says why a is left out of notifications, "" if it is not.
// Suppression (host_down) holds both states: a resolve seen while the host is
// down proves nothing. A silence holds only firing alerts: the resolve of an
// alert the receiver was told about closes its incident and is always sent.
func (d *Dispatcher) holdReason(a *alert.Alert, now time.Time) string {
	if a.Suppressed != "" {
		return a.Suppressed
	}
	if a.State == alert.Firing && d.opts.Silencer != nil && len(d.opts.Silencer.Silenced(a.Labels, now)) > 0 {
		return reasonSilence
	}
	return ""
}

// verdict compares m with the integration's log entry e (ok: it exists).
func (d *Dispatcher) verdict(m *member, e logEntry, ok bool, repeatInterval time.Duration, now time.Time) verdict {
	a := &m.alert
	if ok && e.claimedElsewhere(d.opts.Owner, a, now) {
		return vHeld // another collector is sending this very notification
	}
	if a.State == alert.Resolved {
		switch {
		case !ok || !e.told(a):
			return vSkip
		case m.held != "":
			return vHeld
		}
		return vResolve
	}
	switch {
	case m.held != "":
		return vHeld
	case !ok || !e.current(a):
		return vChange
	case now.Before(e.SentAt.Add(repeatInterval)):
		return vCurrent
	case d.opts.Silencer != nil && d.opts.Silencer.Acked(a.ID, a.Severity, now):
		if !m.ackCounted.Equal(e.SentAt) {
			m.ackCounted = e.SentAt
			d.m.suppressed.WithLabelValues(reasonAck).Inc()
		}
		return vAcked
	}
	return vRepeat
}

// when returns t if cond holds, else the zero time.
func when(cond bool, t time.Time) time.Time {
	if cond {
		return t
	}
	return time.Time{}
}

// earliest returns the earliest non-zero time, or zero.
func earliest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if !t.IsZero() && (out.IsZero() || t.Before(out)) {
			out = t
		}
	}
	return out
}

// collectLog drops log entries of alerts the engine no longer reports, or of
// integrations no longer configured, once they are older than logRetention.
// It runs every logGCInterval, and only after Process has reported at least
// once, so that a fresh start does not take "no alerts yet" for "all gone".
// Called with d.mu held; returns the keys to delete from the store.
func (d *Dispatcher) collectLog(now time.Time) []string {
	if d.present == nil || now.Sub(d.lastGC) < logGCInterval {
		return nil
	}
	d.lastGC = now
	var del []string
	for key, e := range d.nflog {
		live := d.present[logKeyAlert(key)] && d.configured[logKeyIntegration(key)]
		if !live && now.Sub(e.SentAt) > logRetention {
			d.deleteEntry(key)
			del = append(del, key)
		}
	}
	return del
}

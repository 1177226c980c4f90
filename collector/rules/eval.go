package rules

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"text/template"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// unboundGrace is how long a restored instance may wait for its series to
// report again before it is treated as having no data.
const unboundGrace = 5 * time.Minute

// evalHosts runs the built-in HostDown alert and marks down hosts, whose other
// alerts are then held (suppressed), not resolved.
func (e *Engine) evalHosts(now time.Time, events *[]alert.Event) {
	hd := e.cfg.HostDown
	for _, h := range e.hosts {
		in := e.hostDown[h.name]
		if !hd.Enabled {
			h.down = false
			continue
		}
		interval := h.interval
		if interval <= 0 {
			interval = 10 * time.Second
		}
		limit := max(time.Duration(hd.Multiple*float64(interval)), hd.MinSilence)
		silent := now.Sub(h.lastSeen)
		level := alert.SeverityNone
		if silent > limit {
			level = hd.Severity
		}
		if in == nil {
			if level == alert.SeverityNone {
				h.down = false
				continue
			}
			labels := alert.Labels{alert.LabelAlertname: HostDownRule, alert.LabelHost: h.name}
			for k, v := range hd.Labels {
				labels[k] = v
			}
			in = &instance{ID: labels.Fingerprint(), Rule: HostDownRule, Labels: labels, State: alert.Inactive}
			e.hostDown[h.name], e.instances[in.ID] = in, in
		}
		in.round = e.round
		changes := in.step(stepInput{now: now, level: level, value: silent.Seconds(), tries: 0}, flapConfig{})
		if len(changes) > 0 {
			e.annotate(in, e.hdAnn, "", 0, events, now)
		}
		e.record(in, changes, now, events)
		h.down = in.State == alert.Firing
	}
}

// evalBinding evaluates one rule on one series.
func (e *Engine) evalBinding(b *binding, now time.Time, events *[]alert.Event) {
	r, in, h := b.rule, b.inst, b.s.host
	if in != nil {
		in.round = e.round
	}
	if h.down {
		e.suppress(in, now, events)
		return
	}
	if in != nil && in.Suppressed != "" {
		in.Suppressed, in.dirty = "", true
		*events = append(*events, e.stateEvent(in, now, in.State, in.State, "host reports again; re-evaluating"))
	}
	stale := r.NoData.After
	if stale == 0 {
		stale = max(r.Window, 3*h.interval, 30*time.Second)
	}
	v, ok := b.s.value(r.Aggregate, r.Window, stale, now)
	fresh := ok && b.s.updates != 0 && (in == nil || in.updates != b.s.updates)
	level, tries := alert.SeverityNone, r.Attempts
	if ok {
		level = r.level(v)
		if level == alert.SeverityNone && in != nil && in.State == alert.Firing && r.Recover != nil && !r.Recover.Holds(v) {
			level = in.Severity // hysteresis: not recovered yet
		}
	} else {
		v, tries = math.NaN(), 1
		switch r.NoData.State {
		case NoDataKeep:
			return
		case NoDataWarning:
			level = alert.Warning
		case NoDataCritical:
			level = alert.Critical
		}
	}
	if in == nil {
		if level == alert.SeverityNone {
			return
		}
		in = &instance{ID: b.id, Rule: r.Alert, Labels: b.labels, State: alert.Inactive}
		b.inst, e.instances[in.ID] = in, in
		in.round = e.round
	}
	if fresh {
		in.updates = b.s.updates
	}
	if ok {
		in.LastEval = now
	}
	changes := in.step(stepInput{now: now, level: level, value: v, fresh: fresh, hold: r.For, tries: tries}, e.cfg.flap())
	if len(changes) > 0 {
		e.annotate(in, r.annotations, r.Field, r.threshold(in.Severity), events, now)
	}
	e.record(in, changes, now, events)
}

// suppress holds an active instance of a down host without resolving it.
func (e *Engine) suppress(in *instance, now time.Time, events *[]alert.Event) {
	if in == nil || in.Suppressed != "" || (in.State != alert.Firing && in.State != alert.Pending && !in.Flapping) {
		return
	}
	in.Suppressed, in.dirty = "host_down", true
	*events = append(*events, e.stateEvent(in, now, in.State, in.State, "host down; notifications held"))
}

// evalUnbound handles instances no series evaluated this round: restored ones
// whose series has not reported since the restart, and ones whose rule is gone.
func (e *Engine) evalUnbound(now time.Time, events *[]alert.Event) {
	for _, in := range e.instances {
		if in.round == e.round {
			continue
		}
		r := e.byName[in.Rule]
		h := e.hosts[in.Labels[alert.LabelHost]]
		switch {
		case in.Rule == HostDownRule:
			if h == nil { // host forgotten by the store: nothing to watch
				e.retire(in, now, "host no longer known", events)
			}
		case in.Rule == CheckRule:
			// Restored, and no result of its check since the restart.
			switch {
			case h != nil && h.down:
				e.suppress(in, now, events)
			case !e.cfg.Checks.Enabled:
				e.retire(in, now, "check alerts disabled", events)
			case now.Sub(maxTime(in.LastEval, e.started)) > e.cfg.Checks.StaleAfter:
				e.retire(in, now, "check no longer reported", events)
			}
		case r == nil:
			e.retire(in, now, "rule removed", events)
		case h != nil && h.down:
			e.suppress(in, now, events)
		case now.Sub(maxTime(in.LastEval, e.started)) > unboundGrace:
			e.retire(in, now, "series no longer reported", events)
		}
	}
}

// retire resolves an instance that can no longer be evaluated (or drops it when
// nothing was announced).
func (e *Engine) retire(in *instance, now time.Time, why string, events *[]alert.Event) {
	switch {
	case in.State == alert.Firing || in.Flapping:
		from := in.State
		in.State, in.ResolvedAt, in.Flapping, in.Suppressed, in.dirty = alert.Resolved, now, false, "", true
		*events = append(*events, e.stateEvent(in, now, from, alert.Resolved, why))
	case in.State == alert.Pending:
		in.State, in.dirty = alert.Inactive, true
		*events = append(*events, e.stateEvent(in, now, alert.Pending, alert.Inactive, why))
	}
}

// collect forgets inactive and long-resolved instances and returns what
// dispatch must see.
func (e *Engine) collect(now time.Time) []alert.Alert {
	var out []alert.Alert
	for id, in := range e.instances {
		switch {
		case in.Flapping || in.State == alert.Firing:
			out = append(out, in.report())
		case in.State == alert.Resolved && now.Sub(in.ResolvedAt) < e.cfg.ResolvedRetention:
			out = append(out, in.report())
		case in.State == alert.Pending:
		default: // inactive, or resolved long enough ago
			e.forget(id, in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (e *Engine) forget(id string, in *instance) {
	delete(e.instances, id)
	if in.Rule == HostDownRule {
		delete(e.hostDown, in.Labels[alert.LabelHost])
	} else if r := e.byName[in.Rule]; r != nil {
		for _, b := range e.bindings[r] {
			if b.inst == in {
				b.inst = nil
			}
		}
	}
	e.markDeleted(id)
}

func (e *Engine) markDeleted(id string) {
	if e.unsaved.dels == nil {
		e.unsaved.dels = map[string]bool{}
	}
	e.unsaved.dels[id] = true
	delete(e.unsaved.puts, id)
}

// annotate expands the annotation templates; a template that fails at run
// time leaves its error text in the annotation and in the history.
func (e *Engine) annotate(in *instance, tmpls map[string]*template.Template, field string, threshold float64, events *[]alert.Event, now time.Time) {
	if len(tmpls) == 0 {
		return
	}
	rep := in.report()
	d := TemplateData{Labels: rep.Labels, Host: in.Labels[alert.LabelHost], Value: in.Value,
		Severity: rep.Severity.String(), State: string(rep.State), Rule: in.Rule, Field: field, Threshold: threshold}
	ann := make(map[string]string, len(tmpls))
	for k, t := range tmpls {
		text, err := expand(t, &d)
		if err != nil {
			*events = append(*events, e.stateEvent(in, now, in.State, in.State, "annotation "+k+": "+err.Error()))
			e.logger.Warn("annotation template failed", "rule", in.Rule, "annotation", k, "err", err)
		}
		ann[k] = text
	}
	in.Annotations = ann
}

// record turns state machine changes into history events.
func (e *Engine) record(in *instance, changes []change, now time.Time, events *[]alert.Event) {
	for _, c := range changes {
		ev := e.stateEvent(in, now, c.from, c.to, c.msg)
		ev.Severity = c.sev
		*events = append(*events, ev)
	}
}

func (e *Engine) stateEvent(in *instance, now time.Time, from, to alert.State, msg string) alert.Event {
	return alert.Event{Time: now, Kind: alert.EventState, AlertID: in.ID, Rule: in.Rule, Labels: in.Labels,
		From: from, To: to, Severity: in.Severity, Value: finite(in.Value), Flapping: in.Flapping,
		Suppressed: in.Suppressed, Message: msg}
}

// takeWrites collects dirty instances and this round's events into the
// pending write, together with whatever an earlier failed write left.
func (e *Engine) takeWrites(events []alert.Event) pendingWrite {
	w := e.unsaved
	e.unsaved = pendingWrite{}
	if w.puts == nil {
		w.puts = map[string][]byte{}
	}
	for id, in := range e.instances {
		if !in.dirty {
			continue
		}
		in.dirty = false
		v := *in
		v.Value = finite(v.Value)
		b, err := json.Marshal(&v)
		if err != nil {
			e.logger.Error("encode alert state", "id", id, "err", err)
			continue
		}
		w.puts[id] = b
		delete(w.dels, id)
	}
	w.events = append(w.events, events...)
	return w
}

// persist writes outside the engine lock so ingest is never blocked on disk.
// On failure the write is kept and retried with the next round.
// It reports whether another collector's state was adopted.
func (e *Engine) persist(ctx context.Context, w pendingWrite) bool {
	if e.store == nil || (len(w.puts) == 0 && len(w.dels) == 0 && len(w.events) == 0) {
		return false
	}
	e.saveMu.Lock()
	defer e.saveMu.Unlock()
	dels := make([]string, 0, len(w.dels))
	for id := range w.dels {
		dels = append(dels, id)
	}
	err := e.store.SaveState(ctx, alert.BucketRules, w.puts, dels, w.events)
	var lost *alert.ConflictError
	switch {
	case errors.As(err, &lost):
		e.logger.Debug("another collector changed alert state first; adopting its version", "alerts", len(lost.Current))
		e.mu.Lock()
		e.adopt(lost.Current)
		e.mu.Unlock()
		return true
	case err != nil:
		e.logger.Error("persist alert state; will retry", "err", err, "changes", len(w.puts)+len(dels))
		e.mu.Lock()
		e.requeue(w)
		e.mu.Unlock()
	}
	return false
}

// adopt takes the versions another collector wrote first (a shared store's
// compare-and-set lost): the winner's transition stands, with its FiredAt,
// so both collectors describe the same episode and only the winner
// announced it. A key the winner deleted is written again from here on the
// next round, since this engine still holds it. Called with e.mu held.
func (e *Engine) adopt(current map[string][]byte) {
	for id, b := range current {
		in := e.instances[id]
		if b == nil {
			if in != nil {
				in.dirty = true
			}
			continue
		}
		won := &instance{}
		if err := json.Unmarshal(b, won); err != nil || won.ID != id {
			e.logger.Warn("unreadable alert state from another collector", "id", id, "err", err)
			continue
		}
		if in == nil {
			e.instances[id] = won
			e.link(won)
			continue
		}
		flaps, updates, round := in.flaps, in.updates, in.round
		*in = *won
		in.flaps, in.updates, in.round = flaps, updates, round
	}
}

// link attaches an instance that came from outside (another collector) to
// its binding or host, as Restore's instances are attached when their
// series appear.
func (e *Engine) link(in *instance) {
	if in.Rule == HostDownRule {
		e.hostDown[in.Labels[alert.LabelHost]] = in
		return
	}
	if r := e.byName[in.Rule]; r != nil {
		for _, b := range e.bindings[r] {
			if b.id == in.ID {
				b.inst = in
			}
		}
	}
}

func (e *Engine) requeue(w pendingWrite) {
	newer := e.unsaved
	e.unsaved = w
	for id, b := range newer.puts {
		e.unsaved.puts[id] = b
		delete(e.unsaved.dels, id)
	}
	for id := range newer.dels {
		e.markDeleted(id)
	}
	e.unsaved.events = append(e.unsaved.events, newer.events...)
}

// level is the severity whose condition v meets.
func (r *rule) level(v float64) alert.Severity {
	switch {
	case r.Critical != nil && r.Critical.Holds(v):
		return alert.Critical
	case r.Warning != nil && r.Warning.Holds(v):
		return alert.Warning
	}
	return alert.SeverityNone
}

func (r *rule) threshold(s alert.Severity) float64 {
	if s == alert.Critical && r.Critical != nil {
		return r.Critical.Threshold
	}
	if r.Warning != nil {
		return r.Warning.Threshold
	}
	if r.Critical != nil {
		return r.Critical.Threshold
	}
	return 0
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

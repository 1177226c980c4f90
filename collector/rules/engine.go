package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"text/template"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/model"
)

// HostDownRule is the name of the built-in host liveness alert.
const HostDownRule = "HostDown"

// Options configure an Engine.
type Options struct {
	Rules  *Set
	Config Config
	// Store persists instances and history; nil keeps everything in memory.
	Store  alert.StateStore
	Logger *slog.Logger
}

// Engine evaluates rules against the samples it is fed. Observe and Eval may be
// called from different goroutines.
type Engine struct {
	cfg     Config
	store   alert.StateStore
	logger  *slog.Logger
	rules   []*rule
	byField map[string][]*rule
	byName  map[string]*rule
	keep    map[string]time.Duration // per field: how long samples are kept
	hdAnn   map[string]*template.Template

	mu        sync.Mutex
	hosts     map[string]*host
	series    map[string]map[string]*series // field → seriesKey → series
	bindings  map[*rule][]*binding
	instances map[string]*instance
	hostDown  map[string]*instance   // by host name
	checks    map[string]*checkTrack // by alert id
	round     uint64
	started   time.Time
	lastGC    time.Time
	unsaved   pendingWrite

	saveMu sync.Mutex // orders SaveState calls
}

// binding ties a rule to one matching series; inst is nil until the condition
// first holds, so idle series cost no instance.
type binding struct {
	rule   *rule
	s      *series
	labels alert.Labels
	id     string
	inst   *instance
}

type pendingWrite struct {
	puts   map[string][]byte
	dels   map[string]bool
	events []alert.Event
}

// New builds an engine; call Restore before the first Eval to continue from
// persisted state.
func New(o Options) (*Engine, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Rules == nil {
		o.Rules = &Set{}
	}
	e := &Engine{
		cfg: o.Config, store: o.Store, logger: o.Logger, rules: o.Rules.rules,
		byField: map[string][]*rule{}, byName: map[string]*rule{}, keep: map[string]time.Duration{},
		hdAnn: map[string]*template.Template{}, hosts: map[string]*host{}, series: map[string]map[string]*series{},
		bindings: map[*rule][]*binding{}, instances: map[string]*instance{}, hostDown: map[string]*instance{},
		checks: map[string]*checkTrack{},
	}
	for k, text := range o.Config.HostDown.Annotations {
		t, err := parseTemplate(k, text)
		if err != nil {
			return nil, fmt.Errorf("host_down annotation %s: %w", k, err)
		}
		e.hdAnn[k] = t
	}
	for _, r := range e.rules {
		e.byField[r.Field] = append(e.byField[r.Field], r)
		e.byName[r.Alert] = r
		e.keep[r.Field] = max(e.keep[r.Field], r.Window, r.NoData.After)
		e.series[r.Field] = map[string]*series{}
	}
	return e, nil
}

// Restore loads persisted instances and the known hosts (so that a host that
// died while the collector was down still raises HostDown).
func (e *Engine) Restore(ctx context.Context, hosts []KnownHost, now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.started = now
	for _, kh := range hosts {
		e.hosts[kh.Name] = &host{name: kh.Name, lastSeen: kh.LastSeen, interval: kh.Interval, labels: alert.Labels{}}
	}
	if e.store == nil {
		return nil
	}
	blobs, err := e.store.LoadState(ctx, alert.BucketRules)
	if err != nil {
		return fmt.Errorf("restore alert state: %w", err)
	}
	for id, b := range blobs {
		in := &instance{}
		if err := json.Unmarshal(b, in); err != nil || in.ID != id {
			e.logger.Warn("dropping unreadable persisted alert state", "id", id, "err", err)
			e.markDeleted(id)
			continue
		}
		if in.Rule == HostDownRule {
			e.hostDown[in.Labels[alert.LabelHost]] = in
		}
		e.instances[id] = in
	}
	e.logger.Info("alert state restored", "instances", len(e.instances), "hosts", len(hosts))
	return nil
}

// KnownHost seeds host liveness from the store at start.
type KnownHost struct {
	Name     string
	LastSeen time.Time
	Interval time.Duration
}

// Observe feeds a committed batch to the engine. received is the collector's
// clock when the batch arrived; liveness uses it, windows use sample time.
func (e *Engine) Observe(b *model.Batch, received time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	h := e.hosts[b.Host.Name]
	if h == nil {
		h = &host{name: b.Host.Name}
		e.hosts[h.name] = h
	}
	if len(h.labels) == 0 {
		h.labels = hostLabels(&b.Host)
	}
	if received.After(h.lastSeen) {
		h.lastSeen = received
	}
	if b.Agent.IntervalMS > 0 {
		h.interval = time.Duration(b.Agent.IntervalMS) * time.Millisecond
	}
	if e.cfg.Checks.Enabled {
		e.observeChecks(h, b.Checks)
	}
	if len(e.byField) == 0 {
		return
	}
	for i := range b.Events {
		ev := &b.Events[i]
		key, keyed := "", false
		for field, v := range ev.Values {
			index, ok := e.series[field]
			if !ok || math.IsNaN(v) {
				continue
			}
			if !keyed {
				key, keyed = seriesKey(h.name, ev.Dims), true
			}
			s := index[key]
			if s == nil {
				s = e.newSeries(h, field, ev.Dims)
				index[key] = s
			}
			s.add(sample{ts: ev.Timestamp, v: v}, e.keep[field])
		}
	}
}

func (e *Engine) newSeries(h *host, field string, dims map[string]string) *series {
	s := &series{host: h, labels: make(alert.Labels, len(dims))}
	for k, v := range dims {
		s.labels[shortDim(field, k)] = v
	}
	for _, r := range e.byField[field] {
		if !r.matchesHost(h.name, h.labels) || !r.matchesDims(s.labels) {
			continue
		}
		labels := alert.Labels{alert.LabelAlertname: r.Alert, alert.LabelHost: h.name}
		for k, v := range s.labels {
			labels[k] = v
		}
		for k, v := range r.Labels {
			labels[k] = v
		}
		b := &binding{rule: r, s: s, labels: labels, id: labels.Fingerprint()}
		b.inst = e.instances[b.id]
		e.bindings[r] = append(e.bindings[r], b)
	}
	return s
}

// Eval evaluates every rule at now, persists what changed, and returns the
// alerts dispatch must see: every firing alert and every resolved one still
// retained.
func (e *Engine) Eval(ctx context.Context, now time.Time) []alert.Alert {
	e.mu.Lock()
	e.round++
	var events []alert.Event
	e.evalHosts(now, &events)
	e.evalChecks(now, &events)
	for _, r := range e.rules {
		for _, b := range e.bindings[r] {
			e.evalBinding(b, now, &events)
		}
	}
	e.evalUnbound(now, &events)
	out := e.collect(now)
	write := e.takeWrites(events)
	e.mu.Unlock()
	if e.persist(ctx, write) {
		e.mu.Lock()
		out = e.collect(now)
		e.mu.Unlock()
	}
	return out
}

// Alerts returns every pending, firing and retained resolved alert, for the API.
func (e *Engine) Alerts() []alert.Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]alert.Alert, 0, len(e.instances))
	for _, in := range e.instances {
		if in.State != alert.Inactive || in.Flapping {
			out = append(out, in.report())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

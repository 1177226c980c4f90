package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
)

// Silencer answers whether notifications for an alert are held by a silence or
// an acknowledgement. collector/silence implements it; it must not call back
// into the Dispatcher.
type Silencer interface {
	// Silenced returns the IDs of the active silences matching l.
	Silenced(l alert.Labels, now time.Time) []string
	// Acked reports whether the alert is acknowledged at severity sev. An
	// acknowledgement stops repeats, not the notification of a change.
	Acked(alertID string, sev alert.Severity, now time.Time) bool
}

// Integration is one configured notifier of a receiver.
type Integration struct {
	// Name identifies the integration within its receiver, e.g. "email[0]".
	// It is part of the notification log key, so it must stay the same across
	// restarts for the same destination.
	Name     string
	Notifier notify.Notifier
}

// Options configures a Dispatcher.
type Options struct {
	// Route is the routing tree; it is compiled once and not read again.
	Route *Route
	// Receivers are the integrations of each receiver. A receiver without
	// integrations drops what is routed to it.
	Receivers map[string][]Integration
	// Store keeps the notification log and the history of send attempts.
	Store alert.StateStore
	// Silencer holds silenced and acknowledged alerts; nil holds nothing.
	Silencer Silencer
	// ExternalURL is the collector's address, for links in notifications.
	ExternalURL string
	Logger      *slog.Logger
	Metrics     *Metrics
	// Backoff is the wait after failed attempt number attempt (1 for the
	// first). The default is exponential from 1s to 1m with full jitter.
	Backoff func(attempt int) time.Duration
	// RetryTimeout bounds the attempts of one notification, including the
	// time the notifier itself takes; default 10m.
	RetryTimeout time.Duration
	// Owner names this collector in notification claims. Collectors sharing
	// a store need distinct names.
	Owner string
	// ClaimLease is how long a claim holds off other collectors; the claimer
	// renews it before each retry. A collector that dies mid-send loses its
	// claim after this and another one sends. Default 1m.
	ClaimLease time.Duration
	// Refresh, when set, rereads the notification log from the store this
	// often (at Tick): with a store shared by several collectors, what the
	// others delivered must be known here, or a resolve of a firing another
	// collector announced would be taken for one nobody heard of.
	Refresh time.Duration
}

// Dispatcher routes, groups and notifies alerts. Process and Tick are driven by
// the caller with the current time; sends run in goroutines of their own.
type Dispatcher struct {
	opts Options
	log  *slog.Logger
	m    *Metrics
	root *node
	// configured holds "receiver/integration" of every integration.
	configured map[string]bool

	// ctx ends in-flight sends on Stop.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	stopped bool
	groups  map[string]*group
	nflog   map[string]logEntry
	// present holds the IDs of the alerts of the last Process call, for the
	// garbage collection of the notification log; nil before the first call.
	present map[string]bool
	lastGC  time.Time
	// gen counts local changes of nflog; touched holds the gen of each key's
	// last one, so that a refresh read before a change does not undo it.
	gen         uint64
	touched     map[string]uint64
	lastRefresh time.Time
}

// New validates the options and loads the notification log.
func New(opts Options) (*Dispatcher, error) {
	if opts.Route == nil {
		return nil, errors.New("new dispatcher: no route")
	}
	if opts.Store == nil {
		return nil, errors.New("new dispatcher: no store")
	}
	names := make([]string, 0, len(opts.Receivers))
	for n := range opts.Receivers {
		names = append(names, n)
	}
	if errs := opts.Route.Validate(names); len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = "route." + e.Path + ": " + e.Msg
		}
		return nil, fmt.Errorf("new dispatcher: %s", strings.Join(msgs, "; "))
	}
	for r, ints := range opts.Receivers {
		for _, in := range ints {
			if in.Name == "" || strings.Contains(in.Name, "/") || in.Notifier == nil {
				return nil, fmt.Errorf("new dispatcher: receiver %s: integration %q needs a name without '/' and a notifier", r, in.Name)
			}
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	if opts.RetryTimeout <= 0 {
		opts.RetryTimeout = 10 * time.Minute
	}
	if opts.ClaimLease <= 0 {
		opts.ClaimLease = time.Minute
	}
	nflog, err := loadLog(context.Background(), opts.Store, opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("new dispatcher: %w", err)
	}
	configured := map[string]bool{}
	for r, ints := range opts.Receivers {
		for _, in := range ints {
			configured[r+"/"+in.Name] = true
			// Zero series rather than none, so rate() and alerts on them work
			// from the start.
			opts.Metrics.notifications.WithLabelValues(r, in.Name, alert.ResultOK)
			opts.Metrics.notifications.WithLabelValues(r, in.Name, alert.ResultError)
			opts.Metrics.retries.WithLabelValues(r, in.Name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Dispatcher{
		opts:       opts,
		log:        opts.Logger,
		m:          opts.Metrics,
		root:       compile(opts.Route),
		configured: configured,
		ctx:        ctx,
		cancel:     cancel,
		groups:     map[string]*group{},
		nflog:      nflog,
		touched:    map[string]uint64{},
	}, nil
}

// DefaultBackoff is exponential from 1s, doubling per attempt up to 1m, with
// full jitter (uniform in (0, ceiling]) so that integrations failing together
// do not retry in lockstep.
func DefaultBackoff(attempt int) time.Duration {
	ceil := time.Second << min(max(attempt-1, 0), 6)
	ceil = min(ceil, time.Minute)
	return time.Duration(rand.Int64N(int64(ceil))) + 1
}

// Process takes every alert the engine reports as firing or resolved after an
// evaluation round (pending ones are ignored) and files each into the groups
// of the routes it matches. Alerts missing from alerts leave their groups
// without notification: the engine only forgets an alert long after it
// resolved.
func (d *Dispatcher) Process(now time.Time, alerts []alert.Alert) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	present := make(map[string]bool, len(alerts))
	round := make(map[*group]map[string]bool, len(d.groups))
	for _, a := range alerts {
		if a.State != alert.Firing && a.State != alert.Resolved {
			continue
		}
		if a.ID == "" {
			a.ID = a.Labels.Fingerprint()
		}
		present[a.ID] = true
		for _, n := range d.root.match(a.Labels) {
			labels := n.groupLabels(a.Labels)
			key := n.key + ":" + labels.String()
			// A resolved alert no integration was told about is dropped
			// silently: it resolved during group_wait or while held.
			if a.State == alert.Resolved && !d.announcedAnywhere(n.opts.receiver, &a) {
				continue
			}
			g := d.groups[key]
			if g == nil {
				g = newGroup(key, n, labels, now)
				d.groups[key] = g
			}
			g.update(a)
			if round[g] == nil {
				round[g] = map[string]bool{}
			}
			round[g][a.ID] = true
		}
	}
	for key, g := range d.groups {
		for id := range g.members {
			if !round[g][id] {
				delete(g.members, id)
			}
		}
		if g.idle() {
			delete(d.groups, key)
		}
	}
	d.m.groups.Set(float64(len(d.groups)))
	d.present = present
}

// announcedAnywhere reports whether some integration of receiver was told
// about the current firing episode of a.
func (d *Dispatcher) announcedAnywhere(receiver string, a *alert.Alert) bool {
	for _, in := range d.opts.Receivers[receiver] {
		if e, ok := d.nflog[logKey(receiver, in.Name, a.ID)]; ok && e.told(a) {
			return true
		}
	}
	return false
}

// GroupStatus describes a group for the API and the status page.
type GroupStatus struct {
	Key      string       `json:"key"`
	Receiver string       `json:"receiver"`
	Labels   alert.Labels `json:"labels"`
	AlertIDs []string     `json:"alert_ids"`
	// LastFlush is when the group last notified (zero before its first).
	LastFlush time.Time `json:"last_flush,omitzero"`
	// NextFlush is the earliest time, as of the last Tick, at which the group
	// will notify (zero when nothing is due).
	NextFlush time.Time `json:"next_flush,omitzero"`
	// Sending names the integrations with a send in progress.
	Sending []string `json:"sending,omitempty"`
}

// Groups returns the current groups ordered by key.
func (d *Dispatcher) Groups() []GroupStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]GroupStatus, 0, len(d.groups))
	for _, g := range d.groups {
		s := GroupStatus{Key: g.key, Receiver: g.route.opts.receiver, Labels: g.labels,
			AlertIDs: g.ids(), LastFlush: g.lastFlush, NextFlush: g.nextFlush}
		for name, st := range g.integrations {
			if st.inflight {
				s.Sending = append(s.Sending, name)
			}
		}
		slices.Sort(s.Sending)
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Stop cancels sends in progress (their retries end with result error) and
// waits for them. Process and Tick do nothing afterwards. It is idempotent.
func (d *Dispatcher) Stop() {
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
}

package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
	"github.com/vigilmon/vigil/internal/config"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is an arbitrary fixed instant: Process and Tick take the time as an
// argument, so scenarios step it themselves.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// result is a scripted answer of fakeNotifier.
type result struct {
	retry bool
	err   error
	panic bool
}

var (
	err503 = errors.New("unexpected status 503 Service Unavailable: try later")
	err400 = errors.New("unexpected status 400 Bad Request: no such address")
)

// call is one Notify call as the notifier saw it.
type call struct {
	group  notify.Group
	alerts []alert.Alert
}

// fakeNotifier records calls and answers from a script, then with success.
// With block set, each call waits for a value on it (or ctx's end).
type fakeNotifier struct {
	name   string
	block  chan struct{}
	mu     sync.Mutex
	script []result
	calls  []call
}

func (f *fakeNotifier) Notify(ctx context.Context, alerts []alert.Alert) (bool, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call{group: notify.GroupFrom(ctx), alerts: slices.Clone(alerts)})
	r := result{}
	if len(f.script) > 0 {
		r, f.script = f.script[0], f.script[1:]
	}
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return true, ctx.Err()
		}
	}
	if r.panic {
		panic("template: boom")
	}
	return r.retry, r.err
}

func (f *fakeNotifier) setBlock(c chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.block = c
}

func (f *fakeNotifier) answer(rs ...result) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, rs...)
}

func (f *fakeNotifier) taken() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

// fakeSilencer silences alerts by ID and acknowledges them up to a severity.
type fakeSilencer struct {
	mu       sync.Mutex
	silenced map[string]bool
	acked    map[string]alert.Severity
}

func newFakeSilencer() *fakeSilencer {
	return &fakeSilencer{silenced: map[string]bool{}, acked: map[string]alert.Severity{}}
}

func (s *fakeSilencer) Silenced(l alert.Labels, _ time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.silenced[l["mount"]] {
		return []string{"sil-1"}
	}
	return nil
}

// Acked holds for the acknowledged severity and below, as collector/silence
// does: a worse severity breaks the acknowledgement.
func (s *fakeSilencer) Acked(id string, sev alert.Severity, _ time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.acked[id]
	return ok && sev <= at
}

func (s *fakeSilencer) silence(id string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silenced[id] = on
}

func (s *fakeSilencer) ack(id string, sev alert.Severity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acked[id] = sev
}

// harness drives a Dispatcher over stepped time. It must run inside a
// synctest bubble so that sends (goroutines) can be awaited with
// synctest.Wait and retry timers advance without real waiting.
type harness struct {
	t         *testing.T
	d         *Dispatcher
	opts      Options
	store     *alert.MemStore
	sil       *fakeSilencer
	notifiers map[string]*fakeNotifier // by "receiver/integration"
}

const defaultRouteYAML = "route:\n  receiver: ops\n"

// newHarness builds a dispatcher for routeYAML with receivers ops (email),
// pager (pagerduty), db (email) and team (email, webhook), each integration
// backed by a fakeNotifier.
func newHarness(t *testing.T, routeYAML string) *harness {
	t.Helper()
	h := &harness{t: t, store: alert.NewMemStore(), sil: newFakeSilencer(), notifiers: map[string]*fakeNotifier{}}
	f := routeFile{receivers: []string{"ops", "pager", "db", "team"}}
	if err := config.Parse("collector.yaml", []byte(routeYAML), &f); err != nil {
		t.Fatalf("parse route:\n%v", err)
	}
	recv := map[string][]Integration{}
	for _, ri := range []string{"ops/email", "pager/pagerduty", "db/email", "team/email", "team/webhook"} {
		r, in, _ := strings.Cut(ri, "/")
		n := &fakeNotifier{name: ri}
		h.notifiers[ri] = n
		recv[r] = append(recv[r], Integration{Name: in, Notifier: n})
	}
	h.opts = Options{Route: &f.Route, Receivers: recv, Store: h.store, Silencer: h.sil,
		ExternalURL: "https://vigil.example", Backoff: func(int) time.Duration { return time.Second }}
	h.start()
	return h
}

// start (re)creates the dispatcher on the same store, as a restart would.
func (h *harness) start() {
	h.t.Helper()
	d, err := New(h.opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.d = d
	h.t.Cleanup(d.Stop)
}

// step is one evaluation round of a scenario.
type step struct {
	at     time.Duration    // since t0
	do     func(h *harness) // before the round: silences, acks, restarts
	alerts []alert.Alert    // what the engine reports this round
	want   []string         // notifications sent this round, see summary
	check  func(t *testing.T, h *harness)
}

// run plays steps: at each, Process and Tick at t0+at, then waits until every
// send has finished or is blocked (a retry timer, a blocking notifier).
func (h *harness) run(steps []step) {
	h.t.Helper()
	for _, s := range steps {
		if s.do != nil {
			s.do(h)
		}
		now := t0.Add(s.at)
		h.d.Process(now, s.alerts)
		h.d.Tick(context.Background(), now)
		synctest.Wait()
		if got := h.sent(); !slices.Equal(got, s.want) {
			h.t.Fatalf("at %s: sent\n  %q\nwant\n  %q", s.at, got, s.want)
		}
		if s.check != nil {
			s.check(h.t, h)
		}
	}
}

// sent returns the calls made since the last look, summarized and sorted (sends
// to different integrations run concurrently).
func (h *harness) sent() []string {
	var out []string
	for _, n := range h.notifiers {
		for _, c := range n.taken() {
			out = append(out, summary(n.name, c.alerts))
		}
	}
	slices.Sort(out)
	return out
}

// summary is "receiver/integration id=state/severity[/flapping] ...".
func summary(name string, alerts []alert.Alert) string {
	parts := []string{name}
	for _, a := range alerts {
		s := a.ID + "=" + string(a.State)
		if a.State == alert.Firing {
			s += "/" + a.Severity.String()
		}
		if a.Flapping {
			s += "/flapping"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// mk builds alert id of rule DiskFull on web-1 (so all share a group under
// the default group_by), mount point id, warning, fired at t0.
func mk(id string, st alert.State, opts ...func(*alert.Alert)) alert.Alert {
	a := alert.Alert{ID: id, Rule: "disk", State: st, Severity: alert.Warning, FiredAt: t0, Value: 0.93,
		Labels: alert.Labels{"alertname": "DiskFull", "host": "web-1", "mount": id}}
	if st == alert.Resolved {
		a.Severity = alert.SeverityNone
	}
	for _, o := range opts {
		o(&a)
	}
	return a
}

func fire(id string, opts ...func(*alert.Alert)) alert.Alert { return mk(id, alert.Firing, opts...) }
func resolved(id string, opts ...func(*alert.Alert)) alert.Alert {
	return mk(id, alert.Resolved, opts...)
}

func critical(a *alert.Alert) { a.Severity = alert.Critical }
func flapping(a *alert.Alert) { a.Flapping = true }
func hostDown(a *alert.Alert) { a.Suppressed = "host_down" }
func firedAt(d time.Duration) func(*alert.Alert) {
	return func(a *alert.Alert) { a.FiredAt = t0.Add(d) }
}
func labels(kv ...string) func(*alert.Alert) {
	return func(a *alert.Alert) {
		for i := 0; i+1 < len(kv); i += 2 {
			a.Labels[kv[i]] = kv[i+1]
		}
	}
}

// notifyEvents returns the notify events in the store, oldest first, as
// "integration#attempt result alertID".
func notifyEvents(t *testing.T, st alert.StateStore) []string {
	t.Helper()
	evs, err := st.Events(context.Background(), alert.EventQuery{Kind: alert.EventNotify})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		out = append(out, fmt.Sprintf("%s/%s#%d %s %s", e.Receiver, e.Integration, e.Attempt, e.Result, e.AlertID))
	}
	return out
}

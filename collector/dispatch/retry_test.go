package dispatch

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigilmon/vigil/collector/alert"
)

// round is one engine round and scheduler tick at t0+at, then waits until
// every send has finished or blocks on a timer.
func (h *harness) round(at time.Duration, alerts ...alert.Alert) {
	h.d.Process(t0.Add(at), alerts)
	h.d.Tick(context.Background(), t0.Add(at))
	synctest.Wait()
}

// settle lets fake time run past every retry.
func (h *harness) settle() {
	time.Sleep(h.d.opts.RetryTimeout + time.Minute)
	synctest.Wait()
}

func (h *harness) email() *fakeNotifier { return h.notifiers["ops/email"] }

func TestRetryStage(t *testing.T) {
	cases := []struct {
		name   string
		script []result
		want   []string // notify events, oldest first
		errHas string   // in the last event's Error
	}{
		{name: "503 twice then success", script: []result{{retry: true, err: err503}, {retry: true, err: err503}},
			want: s("ops/email#1 retry a1", "ops/email#2 retry a1", "ops/email#3 ok a1")},
		{name: "400 is not retried", script: []result{{err: err400}},
			want: s("ops/email#1 error a1"), errHas: "refused (attempt 1): unexpected status 400"},
		{name: "a panicking notifier is an error, not a crash", script: []result{{panic: true}},
			want: s("ops/email#1 error a1"), errHas: "notifier panicked: template: boom"},
		{name: "retries end at the retry timeout",
			script: slices.Repeat([]result{{retry: true, err: err503}}, 100),
			// RetryTimeout 5s, Backoff 1s: attempts at 0s..4s, the fifth
			// gives up rather than wait past the timeout.
			want:   s("ops/email#1 retry a1", "ops/email#2 retry a1", "ops/email#3 retry a1", "ops/email#4 retry a1", "ops/email#5 error a1"),
			errHas: "retry timeout 5s reached (attempt 5): unexpected status 503"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, defaultRouteYAML)
				h.opts.RetryTimeout = 5 * time.Second
				h.d.Stop()
				h.start()
				h.email().answer(c.script...)
				h.round(0, fire("a1"))
				h.round(10*sec, fire("a1"))
				h.settle()
				if got := notifyEvents(t, h.store); !slices.Equal(got, c.want) {
					t.Fatalf("events\n  %q\nwant\n  %q", got, c.want)
				}
				if n := len(h.email().taken()); n != len(c.want) {
					t.Errorf("%d Notify calls, want %d", n, len(c.want))
				}
				evs, _ := h.store.Events(context.Background(), alert.EventQuery{Kind: alert.EventNotify, Limit: 1})
				if !strings.Contains(evs[0].Error, c.errHas) {
					t.Errorf("last event error %q, want it to contain %q", evs[0].Error, c.errHas)
				}
				result := evs[0].Result
				h.round(20*sec, fire("a1"))
				if got := h.sent(); len(got) != 0 {
					t.Errorf("sent again 10s later: %q", got)
				}
				// A delivered alert is not sent again; a failed one is, with
				// the group's next chance a group_interval after the flush.
				h.round(70*sec, fire("a1"))
				if got, again := h.sent(), result != alert.ResultOK; (len(got) > 0) != again {
					t.Errorf("after group_interval sent %q, want a resend: %v", got, again)
				}
			})
		})
	}
}

func TestRestart(t *testing.T) {
	cases := []struct {
		name   string
		before []step // on the first dispatcher
		after  []step // on a new dispatcher over the same store
	}{
		{name: "after a delivered notification: no resend until the repeat",
			before: []step{
				{at: 0, alerts: a(fire("a1"))},
				{at: 10 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			},
			after: []step{
				{at: 20 * sec, alerts: a(fire("a1"))},
				{at: 30 * sec, alerts: a(fire("a1"))},
				{at: 4*time.Hour + 10*sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			}},
		{name: "after a refused notification: sent at the first flush",
			before: []step{
				{at: 0, do: func(h *harness) { h.email().answer(result{err: err400}) }, alerts: a(fire("a1"))},
				{at: 10 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			},
			after: []step{
				{at: 20 * sec, alerts: a(fire("a1"))},
				{at: 30 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			}},
		{name: "a resolve after the restart is sent",
			before: []step{
				{at: 0, alerts: a(fire("a1"))},
				{at: 10 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			},
			after: []step{
				{at: 20 * sec, alerts: a(resolved("a1")), want: s("ops/email a1=resolved")},
				{at: 30 * sec, alerts: a(resolved("a1"))},
			}},
		{name: "a severity change during the downtime is sent",
			before: []step{
				{at: 0, alerts: a(fire("a1"))},
				{at: 10 * sec, alerts: a(fire("a1")), want: s("ops/email a1=firing/warning")},
			},
			after: []step{
				{at: 20 * sec, alerts: a(fire("a1", critical))},
				{at: 30 * sec, alerts: a(fire("a1", critical)), want: s("ops/email a1=firing/critical")},
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, defaultRouteYAML)
				h.run(c.before)
				h.d.Stop()
				h.start()
				h.run(c.after)
			})
		})
	}
}

// A Tick while a send is in progress starts no second send to the same
// integration; what changed meanwhile goes out after it.
func TestOneSendInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, defaultRouteYAML)
		release := make(chan struct{})
		h.email().setBlock(release)
		h.round(0, fire("a1"))
		h.round(10*sec, fire("a1"))
		h.round(80*sec, fire("a1"), fire("a2"))
		h.round(5*time.Hour, fire("a1"), fire("a2"))
		if got := h.sent(); !slices.Equal(got, s("ops/email a1=firing/warning")) {
			t.Fatalf("while blocked sent %q, want the first notification only", got)
		}
		if g := h.d.Groups(); len(g) != 1 || !slices.Equal(g[0].Sending, s("email")) {
			t.Errorf("groups while sending: %+v", g)
		}
		release <- struct{}{}
		synctest.Wait()
		h.email().setBlock(nil)
		h.round(5*time.Hour+sec, fire("a1"), fire("a2"))
		if got := h.sent(); !slices.Equal(got, s("ops/email a1=firing/warning a2=firing/warning")) {
			t.Errorf("after the send finished sent %q", got)
		}
	})
}

// Stop ends a send waiting to retry, records that it gave up, and can be
// called again.
func TestStopCancelsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, defaultRouteYAML)
		h.email().answer(slices.Repeat([]result{{retry: true, err: err503}}, 100)...)
		h.round(0, fire("a1"))
		h.round(10*sec, fire("a1"))
		h.d.Stop()
		h.d.Stop()
		want := s("ops/email#1 retry a1", "ops/email#1 error a1")
		if got := notifyEvents(t, h.store); !slices.Equal(got, want) {
			t.Fatalf("events %q, want %q", got, want)
		}
		evs, _ := h.store.Events(context.Background(), alert.EventQuery{Kind: alert.EventNotify, Limit: 1})
		if !strings.Contains(evs[0].Error, "stopped waiting to retry (attempt 1)") {
			t.Errorf("last event error %q", evs[0].Error)
		}
		h.round(20*sec, fire("a1"))
		if got := h.sent(); len(got) != 1 {
			t.Errorf("stopped dispatcher: sent %q, want only the first attempt", got)
		}
	})
}

// The notification carries its group in the context; Notified marks the alerts
// the receiver already heard about in their current episode.
func TestNotifyGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, defaultRouteYAML)
		h.round(0, fire("a1"))
		h.round(10*sec, fire("a1"))
		h.round(80*sec, fire("a1"), fire("a2", firedAt(80*sec)))
		calls := h.email().taken()
		if len(calls) != 2 {
			t.Fatalf("%d calls, want 2", len(calls))
		}
		g := calls[1].group
		wantKey := `{}:{alertname="DiskFull", host="web-1"}`
		if g.Receiver != "ops" || g.Key != wantKey || g.Labels.String() != `{alertname="DiskFull", host="web-1"}` ||
			g.ExternalURL != "https://vigil.example" {
			t.Errorf("group = %+v", g)
		}
		if len(calls[0].group.Notified) != 0 {
			t.Errorf("first notification: notified %v, want none", calls[0].group.Notified)
		}
		if !g.Notified["a1"] || g.Notified["a2"] {
			t.Errorf("second notification: notified %v, want a1 only", g.Notified)
		}
	})
}

// recordingStore is a MemStore that remembers each SaveState call and can be
// made to fail.
type recordingStore struct {
	*alert.MemStore
	mu    sync.Mutex
	saves []save
	fail  bool
}

type save struct {
	puts, dels int
	results    []string
}

func (r *recordingStore) SaveState(ctx context.Context, bucket string, put map[string][]byte, del []string, events []alert.Event) error {
	r.mu.Lock()
	sv := save{puts: len(put), dels: len(del)}
	for _, e := range events {
		sv.results = append(sv.results, e.Result)
	}
	r.saves = append(r.saves, sv)
	fail := r.fail
	r.mu.Unlock()
	if fail {
		return errors.New("disk I/O error")
	}
	return r.MemStore.SaveState(ctx, bucket, put, del, events)
}

// The notification log and the ok events of a delivery are one SaveState
// (after the claim), and a failed save does not make this process send again.
func TestDeliveryIsSavedAtomically(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, defaultRouteYAML)
		rs := &recordingStore{MemStore: h.store}
		h.opts.Store = rs
		h.d.Stop()
		h.start()
		h.round(0, fire("a1"), fire("a2"))
		h.round(10*sec, fire("a1"), fire("a2"))
		// The claim, then the delivery with its history.
		want := []save{{puts: 2}, {puts: 2, results: s("ok", "ok")}}
		rs.mu.Lock()
		saves := slices.Clone(rs.saves)
		rs.mu.Unlock()
		if !slices.EqualFunc(saves, want, func(a, b save) bool {
			return a.puts == b.puts && a.dels == b.dels && slices.Equal(a.results, b.results)
		}) {
			t.Errorf("saves %+v, want %+v", saves, want)
		}
		rs.mu.Lock()
		rs.fail = true
		rs.mu.Unlock()
		h.round(20*sec, resolved("a1"), fire("a2"))
		h.round(30*sec, resolved("a1"), fire("a2"))
		if got := h.sent(); !slices.Equal(got, s("ops/email a1=firing/warning a2=firing/warning", "ops/email a1=resolved a2=firing/warning")) {
			t.Errorf("sent %q", got)
		}
	})
}

func TestLogGarbageCollection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, defaultRouteYAML)
		h.d.Stop()
		entry := func(sent time.Time) []byte {
			b, _ := encodeEntry(logEntry{FiredAt: t0, State: alert.Firing, Severity: alert.Warning, SentAt: sent})
			return b
		}
		err := h.store.SaveState(context.Background(), alert.BucketNotifyLog, map[string][]byte{
			"ops/email/live":        entry(t0),
			"ops/email/gone":        entry(t0),
			"ops/email/gone-recent": entry(t0.Add(3 * time.Hour)),
			"old/email/live":        entry(t0),
			"ops/email/garbled":     []byte("{"),
		}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.start()
		// Before the engine has reported, nothing counts as gone.
		h.d.Tick(context.Background(), t0.Add(25*time.Hour))
		if n := len(h.d.nflog); n != 4 {
			t.Fatalf("%d entries before the first Process, want 4 (garbled one dropped)", n)
		}
		h.round(26*time.Hour, fire("live"))
		var keys []string
		st, _ := h.store.LoadState(context.Background(), alert.BucketNotifyLog)
		for k := range st {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := s("ops/email/garbled", "ops/email/gone-recent", "ops/email/live"); !slices.Equal(keys, want) {
			t.Errorf("stored keys %q, want %q", keys, want)
		}
	})
}

func TestSuppressedMetric(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, defaultRouteYAML)
		h.sil.silence("a1", true)
		h.sil.ack("a2", alert.Warning)
		for at := time.Duration(0); at <= 9*time.Hour; at += 30 * minute {
			h.round(at, fire("a1"), fire("a2"), fire("a3", hostDown))
		}
		m := h.d.m.suppressed
		for reason, want := range map[string]float64{"silence": 1, "host_down": 1, "ack": 1} {
			if got := testutil.ToFloat64(m.WithLabelValues(reason)); got != want {
				t.Errorf("suppressed{reason=%q} = %v, want %v", reason, got, want)
			}
		}
		if got := testutil.ToFloat64(h.d.m.notifications.WithLabelValues("ops", "email", "ok")); got != 1 {
			t.Errorf("notifications ok = %v, want 1 (a2 once, then acked)", got)
		}
	})
}

func TestDefaultBackoff(t *testing.T) {
	for attempt := 1; attempt <= 12; attempt++ {
		ceil := min(time.Second<<(attempt-1), time.Minute)
		seen := map[time.Duration]bool{}
		for range 200 {
			d := DefaultBackoff(attempt)
			if d <= 0 || d > ceil {
				t.Fatalf("DefaultBackoff(%d) = %s, want in (0, %s]", attempt, d, ceil)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("DefaultBackoff(%d) has no jitter", attempt)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	route := &Route{Receiver: "ops", Routes: []Route{{Receiver: "pager"}}}
	n := &fakeNotifier{}
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"no route", Options{Store: alert.NewMemStore()}, "no route"},
		{"no store", Options{Route: route}, "no store"},
		{"unknown receiver", Options{Route: route, Store: alert.NewMemStore(),
			Receivers: map[string][]Integration{"ops": {{Name: "email", Notifier: n}}}}, `route.routes[0].receiver: unknown receiver "pager"`},
		{"bad integration name", Options{Route: route, Store: alert.NewMemStore(),
			Receivers: map[string][]Integration{"ops": {{Name: "a/b", Notifier: n}}, "pager": nil}}, `integration "a/b"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := New(c.opts)
			if err == nil {
				d.Stop()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

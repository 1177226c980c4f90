package nrpepoll

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/nagios"
	"github.com/vigilmon/vigil/internal/nrpe"
)

// scripted is a daemon stand-in: answer gives the outcome of the n-th query
// (0-based) of a command. Each query takes took of (fake) time.
type scripted struct {
	answer func(host, command string, n int) (Response, error)
	took   time.Duration
	host   string
	shared *calls
}

type call struct {
	host, command string
	at            time.Time
}

// calls is what every scripted client of a poller saw.
type calls struct {
	mu            sync.Mutex
	list          []call
	active, peak  int
	perCommandRun map[string]int
}

func (s *scripted) Query(ctx context.Context, command string, _ ...string) (Response, error) {
	c := s.shared
	c.mu.Lock()
	n := c.perCommandRun[s.host+"/"+command]
	c.perCommandRun[s.host+"/"+command]++
	c.list = append(c.list, call{s.host, command, time.Now()})
	c.active++
	c.peak = max(c.peak, c.active)
	c.mu.Unlock()
	defer func() { c.mu.Lock(); c.active--; c.mu.Unlock() }()
	select {
	case <-time.After(s.took):
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
	return s.answer(s.host, command, n)
}

func (c *calls) snapshot() []call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]call(nil), c.list...)
}

// sink records what the poller delivers; fail decides per call whether the
// store refuses.
type sink struct {
	mu        sync.Mutex
	attempts  []uint64
	delivered []*model.Batch
	fail      func(call int) bool
}

func (s *sink) put(_ context.Context, b *model.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.attempts)
	s.attempts = append(s.attempts, b.Seq)
	if s.fail != nil && s.fail(n) {
		return errors.New("store full")
	}
	s.delivered = append(s.delivered, b)
	return nil
}

func (s *sink) batches() []*model.Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*model.Batch(nil), s.delivered...)
}

func answer(state nagios.State, out string) (Response, error) {
	res, err := nagios.ParseOutput([]byte(out), int(state))
	return Response{Result: res, Version: nrpe.Version4, PerfErr: err}, nil
}

func testTarget(host string, cmds ...string) Target {
	t := Target{Host: host, Plaintext: true, Timeout: DefaultTimeout, Interval: DefaultInterval, RetryInterval: DefaultRetryInterval, MaxAttempts: DefaultMaxAttempts}
	for _, c := range cmds {
		t.Commands = append(t.Commands, Command{Name: c, Command: "check_" + c})
	}
	return t
}

// start runs a poller whose clients are scripted, inside a synctest bubble.
func start(t *testing.T, targets Targets, o Options, q scripted) (*Poller, *calls) {
	t.Helper()
	o.Version = "1.2.3"
	o.Registerer = prometheus.NewRegistry()
	p, err := New(targets, o)
	if err != nil {
		t.Fatal(err)
	}
	c := &calls{perCommandRun: map[string]int{}}
	for _, tg := range p.targets {
		s := q
		s.host, s.shared = tg.host, c
		tg.client = &s
	}
	done := make(chan error)
	go func() { done <- p.Run(t.Context()) }()
	t.Cleanup(func() {
		p.Stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return p, c
}

func TestPollerSoftHardAndRetryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		states := []nagios.State{nagios.OK, nagios.Critical, nagios.Critical, nagios.Critical, nagios.Critical, nagios.OK}
		s := &sink{}
		p, c := start(t, Targets{testTarget("web01", "disk")}, Options{Sink: s.put}, scripted{
			took: 1500 * time.Millisecond,
			answer: func(_, _ string, n int) (Response, error) {
				st := states[min(n, len(states)-1)]
				return answer(st, st.String()+": disk | used=42%;80;90")
			},
		})
		time.Sleep(60*time.Second + 60*time.Second + 2*15*time.Second + 3*60*time.Second)
		synctest.Wait()
		p.Stop()

		// The phase within the first minute decides whether a seventh
		// query fits in; the first six are the script.
		got := c.snapshot()
		if len(got) < len(states) {
			t.Fatalf("%d queries, want %d", len(got), len(states))
		}
		// After OK the interval, while SOFT the retry interval, once HARD
		// the interval again.
		wantGaps := []time.Duration{time.Minute, 15 * time.Second, 15 * time.Second, time.Minute, time.Minute}
		for i, w := range wantGaps {
			if gap := got[i+1].at.Sub(got[i].at); gap != w {
				t.Errorf("gap %d: %s, want %s", i+1, gap, w)
			}
		}
		want := []string{"0 hard 1", "2 soft 1", "2 soft 2", "2 hard 3", "2 hard 3", "0 hard 1"}
		bs := s.batches()
		if len(bs) < len(want) {
			t.Fatalf("%d batches, want %d", len(bs), len(want))
		}
		for i, b := range bs[:len(want)] {
			if len(b.Checks) != 1 {
				t.Fatalf("batch %d has %d checks", i, len(b.Checks))
			}
			cr := b.Checks[0]
			if g := fmt.Sprintf("%d %s %d", cr.State, cr.StateType, cr.Attempt); g != want[i] {
				t.Errorf("result %d: %s, want %s", i, g, want[i])
			}
			if cr.Name != "disk" || cr.Command != "nrpe:check_disk" || cr.MaxAttempts != 3 || cr.DurationUS != 1_500_000 || len(cr.Perf) != 1 {
				t.Errorf("result %d: %+v", i, cr)
			}
			if b.AgentID != "nrpe@web01" || b.Host.Name != "web01" || b.Agent.Version != "vigil-collector/1.2.3 nrpe" || b.Agent.IntervalMS != 60_000 {
				t.Errorf("batch %d: %+v", i, b)
			}
			// The state changed at results 0, 1 and 5.
			changedAt := map[int]int{0: 0, 1: 1, 2: 1, 3: 1, 4: 1, 5: 5}[i]
			if cr.LastChange != bs[changedAt].Checks[0].Timestamp {
				t.Errorf("result %d: last_change %d, want the time of result %d", i, cr.LastChange, changedAt)
			}
			if i > 0 && b.Seq <= bs[i-1].Seq {
				t.Errorf("seq %d after %d", b.Seq, bs[i-1].Seq)
			}
			if len(b.Events) != 1 || b.Events[0].Values["vigil.check.perfdata.used"] != 42 || b.Events[0].Timestamp != cr.Timestamp {
				t.Errorf("batch %d events: %+v", i, b.Events)
			}
		}
		if n := testutil.ToFloat64(p.m.polls.WithLabelValues("web01", "critical")); n != 4 {
			t.Errorf("polls_total{result=critical} = %v, want 4", n)
		}
	})
}

func TestPollerSinkErrorKeepsBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &sink{fail: func(n int) bool { return n < 2 }}
		p, _ := start(t, Targets{testTarget("web01", "disk")}, Options{Sink: s.put}, scripted{
			answer: func(string, string, int) (Response, error) { return answer(nagios.OK, "OK") },
		})
		time.Sleep(3*time.Minute - time.Second) // 3 rounds, whatever the phase
		synctest.Wait()
		p.Stop()
		bs := s.batches()
		if len(bs) != 3 || bs[0].Seq != s.attempts[0] || !(bs[0].Seq < bs[1].Seq && bs[1].Seq < bs[2].Seq) {
			t.Fatalf("delivered %d batches, attempts %v", len(bs), s.attempts)
		}
		// The first batch was offered three times, then the queue drained
		// in order.
		if s.attempts[0] != s.attempts[1] || s.attempts[1] != s.attempts[2] {
			t.Errorf("attempts %v: want the first batch retried", s.attempts)
		}
		if n := testutil.ToFloat64(p.m.sinkErrors); n != 2 {
			t.Errorf("sink errors %v, want 2", n)
		}
		if n := testutil.ToFloat64(p.m.dropped.WithLabelValues("web01")); n != 0 {
			t.Errorf("dropped %v, want 0", n)
		}
	})
}

func TestPollerQueueBoundAndStopCountDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &sink{fail: func(int) bool { return true }}
		p, _ := start(t, Targets{testTarget("web01", "disk")}, Options{Sink: s.put, QueueLen: 2}, scripted{
			answer: func(string, string, int) (Response, error) { return answer(nagios.OK, "OK") },
		})
		time.Sleep(4*time.Minute - time.Second) // 4 rounds
		synctest.Wait()
		if n := testutil.ToFloat64(p.m.dropped.WithLabelValues("web01")); n != 2 {
			t.Errorf("dropped %v after 4 rounds with room for 2, want 2", n)
		}
		if n := testutil.ToFloat64(p.m.pending); n != 2 {
			t.Errorf("pending %v, want 2", n)
		}
		p.Stop()
		if n := testutil.ToFloat64(p.m.dropped.WithLabelValues("web01")); n != 4 {
			t.Errorf("dropped %v after Stop, want all 4 counted", n)
		}
		if n := testutil.ToFloat64(p.m.pending); n != 0 {
			t.Errorf("pending %v after Stop, want 0", n)
		}
	})
}

// TestPollerConnectFailure: once the daemon cannot be reached, the round's
// other commands are not queried but still get a result.
func TestPollerConnectFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &sink{}
		p, c := start(t, Targets{testTarget("web01", "disk", "load")}, Options{Sink: s.put}, scripted{
			took: 10 * time.Second,
			answer: func(string, string, int) (Response, error) {
				return Response{}, &ConnectError{Addr: "10.0.0.5:5666", Err: syscall.ECONNREFUSED}
			},
		})
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		p.Stop()
		got := c.snapshot()
		for _, q := range got {
			if q.command != "check_disk" {
				t.Fatalf("queried %s after the connection failed in the same round", q.command)
			}
		}
		bs := s.batches()
		if len(bs) < 1 || len(bs[0].Checks) != 2 {
			t.Fatalf("batches %+v, want one with both checks", bs)
		}
		for _, cr := range bs[0].Checks {
			if cr.State != model.StateCritical || !strings.Contains(cr.Output, "connection refused by 10.0.0.5:5666") {
				t.Errorf("%s: %+v", cr.Name, cr)
			}
		}
		if second := bs[0].Checks[1]; !strings.Contains(second.LongOutput, "not queried") || second.DurationUS != 0 {
			t.Errorf("second check %+v: want not queried", second)
		}
		// Only queries sent count as polls.
		if n := testutil.ToFloat64(p.m.polls.WithLabelValues("web01", resultRefused)); n != float64(len(got)) {
			t.Errorf("polls_total{result=refused} = %v, want %d", n, len(got))
		}
	})
}

func TestPollerConcurrencyBound(t *testing.T) {
	for _, limit := range []int{1, 3} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var targets Targets
				for i := range 6 {
					targets = append(targets, testTarget(fmt.Sprintf("web%02d", i), "disk"))
				}
				s := &sink{}
				// Each query keeps its target busy for most of the interval, so
				// all six always want to run.
				p, c := start(t, targets, Options{Sink: s.put, MaxConcurrent: limit}, scripted{
					took:   50 * time.Second,
					answer: func(string, string, int) (Response, error) { return answer(nagios.OK, "OK") },
				})
				time.Sleep(5 * time.Minute)
				synctest.Wait()
				p.Stop()
				if c.peak != limit {
					t.Errorf("at most %d queries at once, want the limit %d reached and kept", c.peak, limit)
				}
			})
		})
	}
}

func TestPollerLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &sink{}
		p, err := New(nil, Options{Sink: s.put})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { done <- p.Run(t.Context()) }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Run without targets returned before Stop: %v", err)
		default:
		}
		p.Stop()
		p.Stop()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		if err := p.Run(t.Context()); err == nil {
			t.Error("Run after Stop: no error")
		}
	})
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New without a sink: no error")
	}
}

func TestSeqMonotonic(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a := &target{}
	s1 := a.nextSeq(t0)
	s2 := a.nextSeq(t0)                        // same microsecond
	s3 := a.nextSeq(t0.Add(-10 * time.Minute)) // clock stepped back
	if s1 != uint64(t0.UnixMicro()) || s2 != s1+1 || s3 != s2+1 {
		t.Errorf("seqs %d %d %d", s1, s2, s3)
	}
	// A restarted collector, a second later, starts above the old run.
	if b := (&target{}).nextSeq(t0.Add(time.Second)); b <= s3 {
		t.Errorf("after restart seq %d, not above %d", b, s3)
	}
}

func TestScheduleSpread(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 30, 0, time.UTC)
	first := func(host string) time.Time {
		tg := newTarget(&Target{Host: host, Interval: time.Minute, RetryInterval: time.Second, MaxAttempts: 1,
			Commands: []Command{{Name: "a", Command: "a"}, {Name: "b", Command: "b"}}}, nil, Options{}, nil, nil)
		tg.schedule(now)
		if !tg.checks[0].next.Equal(tg.checks[1].next) {
			t.Errorf("%s: commands of one interval in different rounds", host)
		}
		return tg.checks[0].next
	}
	a, b := first("web01"), first("web02")
	for _, n := range []time.Time{a, b} {
		if n.Before(now) || !n.Before(now.Add(time.Minute)) {
			t.Errorf("first run %s not within a minute of %s", n, now)
		}
	}
	if a.Equal(b) {
		t.Errorf("web01 and web02 share the phase %s", a)
	}
	if again := first("web01"); !again.Equal(a) {
		t.Errorf("phase not stable: %s then %s", a, again)
	}
}

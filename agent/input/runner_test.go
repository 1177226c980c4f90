package input

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigilmon/vigil/internal/model"
)

type fakeInput struct {
	name   string
	fn     func(ctx context.Context, now time.Time) ([]model.Event, error)
	calls  atomic.Int32
	closed atomic.Bool
}

func (f *fakeInput) Name() string { return f.name }

func (f *fakeInput) Collect(ctx context.Context, now time.Time) ([]model.Event, error) {
	f.calls.Add(1)
	return f.fn(ctx, now)
}

func (f *fakeInput) Close() error { f.closed.Store(true); return nil }

// returns makes a fake that answers at once with one event named after it.
func returns(name string, err error) *fakeInput {
	return &fakeInput{name: name, fn: func(_ context.Context, now time.Time) ([]model.Event, error) {
		if err != nil {
			return nil, err
		}
		return []model.Event{event(now, "test."+name, nil, map[string]float64{"v": 1})}, nil
	}}
}

// hangs makes a fake that signals entered and then ignores its context until
// release is closed, like a statfs on a dead NFS server.
func hangs(name string, entered chan<- struct{}, release <-chan struct{}) *fakeInput {
	return &fakeInput{name: name, fn: func(_ context.Context, now time.Time) ([]model.Event, error) {
		entered <- struct{}{}
		<-release
		return []model.Event{event(now, "test."+name, nil, map[string]float64{"v": 1})}, nil
	}}
}

func datasets(evs []model.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Dataset)
	}
	return out
}

// waitIdle blocks until no Collect is in flight.
func waitIdle(r *Runner) {
	r.mu.Lock()
	idle := r.idle
	r.mu.Unlock()
	<-idle
}

func successOf(r *Runner, input string) float64 {
	return testutil.ToFloat64(r.m.success.WithLabelValues(input))
}

func errorsOf(r *Runner, input, reason string) float64 {
	return testutil.ToFloat64(r.m.errors.WithLabelValues(input, reason))
}

func TestRunnerOutcomes(t *testing.T) {
	panics := &fakeInput{name: "panics", fn: func(context.Context, time.Time) ([]model.Event, error) { panic("bug") }}
	r := NewRunner([]Input{
		returns("ok", nil),
		returns("nodata", ErrNoData),
		returns("fails", errors.New("read /proc/x: permission denied")),
		panics,
		returns("ok2", nil),
	}, time.Minute, prometheus.NewRegistry(), nil)
	defer r.Stop(context.Background())

	now := time.UnixMilli(1234)
	evs := r.Run(context.Background(), now)
	if got, want := datasets(evs), []string{"test.ok", "test.ok2"}; !slices.Equal(got, want) {
		t.Errorf("datasets = %v, want %v (in input order)", got, want)
	}
	for _, ev := range evs {
		if ev.Timestamp != 1234 {
			t.Errorf("timestamp %d, want the cycle's", ev.Timestamp)
		}
	}
	for input, want := range map[string]float64{"ok": 1, "nodata": 1, "fails": 0, "panics": 0, "ok2": 1} {
		if got := successOf(r, input); got != want {
			t.Errorf("success{%s} = %v, want %v", input, got, want)
		}
	}
	for _, c := range []struct {
		input, reason string
		want          float64
	}{
		{"fails", reasonError, 1}, {"panics", reasonError, 1},
		{"nodata", reasonError, 0}, {"ok", reasonError, 0}, {"ok", reasonTimeout, 0},
	} {
		if got := errorsOf(r, c.input, c.reason); got != c.want {
			t.Errorf("errors_total{%s,%s} = %v, want %v", c.input, c.reason, got, c.want)
		}
	}
}

// Inputs run concurrently: a input that can only finish once another has
// started succeeds.
func TestRunnerConcurrent(t *testing.T) {
	bStarted := make(chan struct{})
	a := &fakeInput{name: "a", fn: func(ctx context.Context, now time.Time) ([]model.Event, error) {
		select {
		case <-bStarted:
			return []model.Event{event(now, "test.a", nil, nil)}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
	b := &fakeInput{name: "b", fn: func(_ context.Context, now time.Time) ([]model.Event, error) {
		close(bStarted)
		return []model.Event{event(now, "test.b", nil, nil)}, nil
	}}
	r := NewRunner([]Input{a, b}, time.Minute, nil, nil)
	defer r.Stop(context.Background())
	if got := datasets(r.Run(context.Background(), time.Now())); !slices.Equal(got, []string{"test.a", "test.b"}) {
		t.Errorf("datasets = %v", got)
	}
}

func TestRunnerHungInput(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	hung := hangs("hung", entered, release)
	fast := returns("fast", nil)
	r := NewRunner([]Input{hung, fast}, 250*time.Millisecond, prometheus.NewRegistry(), nil)
	defer r.Stop(context.Background())
	defer releaseOnce() // runs before Stop, also when the test fails early
	ctx := context.Background()

	// Cycle 1: the hung input times out; the fast one is reported.
	if got := datasets(r.Run(ctx, time.Now())); !slices.Equal(got, []string{"test.fast"}) {
		t.Errorf("cycle 1 datasets = %v, want [test.fast]", got)
	}
	<-entered
	if successOf(r, "hung") != 0 || errorsOf(r, "hung", reasonTimeout) != 1 {
		t.Errorf("cycle 1: success{hung} = %v, timeouts = %v", successOf(r, "hung"), errorsOf(r, "hung", reasonTimeout))
	}

	// Cycle 2: still hung, so not started again.
	if got := datasets(r.Run(ctx, time.Now())); !slices.Equal(got, []string{"test.fast"}) {
		t.Errorf("cycle 2 datasets = %v, want [test.fast]", got)
	}
	if n := hung.calls.Load(); n != 1 {
		t.Errorf("hung input started %d times, want 1", n)
	}
	if successOf(r, "hung") != 0 || errorsOf(r, "hung", reasonStillRunning) != 1 || errorsOf(r, "hung", reasonTimeout) != 1 {
		t.Errorf("cycle 2: success{hung} = %v, still_running = %v, timeouts = %v",
			successOf(r, "hung"), errorsOf(r, "hung", reasonStillRunning), errorsOf(r, "hung", reasonTimeout))
	}
	if fast.calls.Load() != 2 || successOf(r, "fast") != 1 {
		t.Errorf("fast input: %d calls, success %v", fast.calls.Load(), successOf(r, "fast"))
	}

	// It returns (its late answer is dropped) and runs again next cycle.
	releaseOnce()
	waitIdle(r)
	if got := datasets(r.Run(ctx, time.Now())); !slices.Equal(got, []string{"test.hung", "test.fast"}) {
		t.Errorf("cycle 3 datasets = %v", got)
	}
	if n := hung.calls.Load(); n != 2 {
		t.Errorf("hung input started %d times, want 2", n)
	}
	if successOf(r, "hung") != 1 {
		t.Error("success{hung} not back to 1")
	}
}

// An input that gives up when its context expires counts as a timeout too.
func TestRunnerInputHonorsTimeout(t *testing.T) {
	in := &fakeInput{name: "slow", fn: func(ctx context.Context, _ time.Time) ([]model.Event, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	r := NewRunner([]Input{in}, 10*time.Millisecond, nil, nil)
	defer r.Stop(context.Background())
	if evs := r.Run(context.Background(), time.Now()); len(evs) != 0 {
		t.Errorf("events = %v", evs)
	}
	if errorsOf(r, "slow", reasonTimeout) != 1 || errorsOf(r, "slow", reasonError) != 0 {
		t.Errorf("timeouts = %v, errors = %v", errorsOf(r, "slow", reasonTimeout), errorsOf(r, "slow", reasonError))
	}
}

// A reload builds a new Runner on the same registry: no duplicate
// registration panic, counters continue, gauges of dropped inputs disappear.
func TestRunnerReload(t *testing.T) {
	reg := prometheus.NewRegistry()
	r1 := NewRunner([]Input{returns("a", nil), returns("b", errors.New("boom"))}, time.Minute, reg, nil)
	r1.Run(context.Background(), time.Now())
	if err := r1.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	r2 := NewRunner([]Input{returns("b", errors.New("boom"))}, time.Minute, reg, nil)
	defer r2.Stop(context.Background())
	r2.Run(context.Background(), time.Now())

	want := `
# HELP vigil_agent_input_errors_total Failed collections by reason: error, timeout, still_running.
# TYPE vigil_agent_input_errors_total counter
vigil_agent_input_errors_total{input="a",reason="error"} 0
vigil_agent_input_errors_total{input="a",reason="still_running"} 0
vigil_agent_input_errors_total{input="a",reason="timeout"} 0
vigil_agent_input_errors_total{input="b",reason="error"} 2
vigil_agent_input_errors_total{input="b",reason="still_running"} 0
vigil_agent_input_errors_total{input="b",reason="timeout"} 0
# HELP vigil_agent_input_success 1 if the input's last collection succeeded (no data counts as success), 0 if it failed.
# TYPE vigil_agent_input_success gauge
vigil_agent_input_success{input="b"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"vigil_agent_input_success", "vigil_agent_input_errors_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(r2.m.duration); n != 1 {
		t.Errorf("%d duration series, want 1", n)
	}
}

func TestRunnerStop(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()
	hung := hangs("hung", entered, release)
	idle := returns("idle", nil)
	r := NewRunner([]Input{hung, idle}, 10*time.Millisecond, nil, nil)
	r.Run(context.Background(), time.Now())
	<-entered

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := r.Stop(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "[hung]") {
		t.Errorf("Stop with a hung input = %v, want it to name the input", err)
	}
	if hung.closed.Load() || !idle.closed.Load() {
		t.Errorf("closed: hung %v (want false, still in use), idle %v (want true)", hung.closed.Load(), idle.closed.Load())
	}
	if evs := r.Run(context.Background(), time.Now()); evs != nil {
		t.Errorf("Run after Stop = %v", evs)
	}

	releaseOnce()
	if err := r.Stop(context.Background()); err != nil {
		t.Errorf("second Stop = %v", err)
	}
	if !hung.closed.Load() {
		t.Error("hung input not closed once it returned")
	}
	if n := hung.calls.Load(); n != 1 {
		t.Errorf("hung input started %d times after Stop", n)
	}
}

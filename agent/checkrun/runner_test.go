package checkrun

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/nagios"
)

// checkFunc adapts a function to Check.
type checkFunc func(ctx context.Context) nagios.Result

func (f checkFunc) Run(ctx context.Context) nagios.Result { return f(ctx) }

// scripted returns the given states in turn, then the last one forever.
func scripted(states ...nagios.State) Check {
	var mu sync.Mutex
	n := 0
	return checkFunc(func(context.Context) nagios.Result {
		mu.Lock()
		defer mu.Unlock()
		s := states[min(n, len(states)-1)]
		n++
		return nagios.Result{State: s, Output: s.String()}
	})
}

// recorder is a Sink keeping everything.
type recorder struct {
	mu      sync.Mutex
	results []model.CheckResult
	events  []model.Event
}

func (r *recorder) sink(cr model.CheckResult, evs []model.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, cr)
	r.events = append(r.events, evs...)
}

func (r *recorder) got() []model.CheckResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.results)
}

// builtins is a BuiltinFunc serving checks by name.
func builtins(m map[string]Check) BuiltinFunc {
	return func(argv []string) (Check, error) {
		if c, ok := m[argv[0]]; ok {
			return c, nil
		}
		return nil, errors.New("no such built-in check " + argv[0])
	}
}

func newRunner(t *testing.T, o Options) *Runner {
	t.Helper()
	r, err := NewRunner(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// Nagios soft/hard sequencing, with the retry interval used while soft.
func TestRunnerSoftHard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		reg := prometheus.NewRegistry()
		r := newRunner(t, Options{
			Config: Config{Checks: []CheckConfig{{Name: "c", Builtin: []string{"s"}, Interval: time.Minute, RetryInterval: 15 * time.Second, MaxAttempts: 3}}},
			Builtin: builtins(map[string]Check{"s": scripted(nagios.OK, nagios.Critical, nagios.Critical, nagios.Critical,
				nagios.Critical, nagios.Warning, nagios.OK)}),
			Sink:       rec.sink,
			Registerer: reg,
		})
		start := time.Now()
		r.Start()
		time.Sleep(280 * time.Second)
		r.Stop()

		type step struct {
			at         time.Duration
			state      int
			stateType  string
			attempt    int
			lastChange time.Duration
		}
		want := []step{
			{0, 0, "hard", 1, 0},
			{60 * time.Second, 2, "soft", 1, 60 * time.Second},
			{75 * time.Second, 2, "soft", 2, 60 * time.Second},
			{90 * time.Second, 2, "hard", 3, 60 * time.Second},
			{150 * time.Second, 2, "hard", 3, 60 * time.Second},
			{210 * time.Second, 1, "hard", 3, 210 * time.Second},
			{270 * time.Second, 0, "hard", 1, 270 * time.Second},
		}
		var got []step
		for _, cr := range rec.got() {
			got = append(got, step{time.UnixMilli(cr.Timestamp).Sub(start), cr.State, cr.StateType, cr.Attempt,
				time.UnixMilli(cr.LastChange).Sub(start)})
			if cr.Name != "c" || cr.MaxAttempts != 3 || cr.Command != "s" || cr.Output != nagios.State(cr.State).String() {
				t.Errorf("result = %+v", cr)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("runs:\n got %v\nwant %v", got, want)
		}
		if n := testutil.ToFloat64(r.m.runs.WithLabelValues("c", "critical")); n != 4 {
			t.Errorf("vigil_agent_check_runs_total{check=c,state=critical} = %v, want 4", n)
		}
		if n, err := testutil.GatherAndCount(reg, "vigil_agent_check_runs_total"); err != nil || n != 4 {
			t.Errorf("registry has %d runs_total series (%v), want 4", n, err)
		}
	})
}

// First runs are spread over the interval; on-demand checks never run on
// schedule.
func TestRunnerSpread(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		var checks []CheckConfig
		for _, name := range []string{"a", "b", "c"} {
			checks = append(checks, CheckConfig{Name: name, Builtin: []string{"ok"}, Interval: time.Minute})
		}
		checks = append(checks, CheckConfig{Name: "nrpe-only", Builtin: []string{"ok", "$ARG1$"}, OnDemand: true})
		r := newRunner(t, Options{Config: Config{Checks: checks}, Builtin: builtins(map[string]Check{"ok": scripted(nagios.OK)}), Sink: rec.sink})
		start := time.Now()
		r.Start()
		r.Start() // no second schedule
		time.Sleep(30 * time.Second)
		r.Stop()
		var got []string
		for _, cr := range rec.got() {
			got = append(got, cr.Name+"@"+time.UnixMilli(cr.Timestamp).Sub(start).String())
		}
		if want := []string{"a@0s", "b@10s", "c@20s"}; !slices.Equal(got, want) {
			t.Errorf("first runs %v, want %v", got, want)
		}
	})
}

// max_concurrent bounds the checks running at once.
func TestRunnerConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		running, peak := 0, 0
		blocking := checkFunc(func(ctx context.Context) nagios.Result {
			mu.Lock()
			running++
			peak = max(peak, running)
			mu.Unlock()
			<-release
			mu.Lock()
			running--
			mu.Unlock()
			return nagios.Result{State: nagios.OK, Output: "done"}
		})
		rec := &recorder{}
		var checks []CheckConfig
		for _, name := range []string{"a", "b", "c"} {
			checks = append(checks, CheckConfig{Name: name, Builtin: []string{"block"}, Interval: time.Minute, Timeout: time.Minute})
		}
		r := newRunner(t, Options{Config: Config{MaxConcurrent: 2, Checks: checks}, Builtin: builtins(map[string]Check{"block": blocking}), Sink: rec.sink})
		r.Start()
		time.Sleep(25 * time.Second) // all three are due
		synctest.Wait()
		mu.Lock()
		if running != 2 {
			t.Errorf("%d checks running, want 2", running)
		}
		mu.Unlock()
		close(release)
		synctest.Wait()
		if n := len(rec.got()); n != 3 {
			t.Errorf("%d results, want 3", n)
		}
		if peak != 2 {
			t.Errorf("peak concurrency %d, want 2", peak)
		}
	})
}

// A built-in check that ignores its context times out, is not started again
// until it returns, and then runs normally.
func TestRunnerHungBuiltin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		first := true
		hung := checkFunc(func(context.Context) nagios.Result {
			if first {
				first = false
				<-release // ignores ctx, like a statfs on a dead NFS server
			}
			return nagios.Result{State: nagios.OK, Output: "fine"}
		})
		rec := &recorder{}
		r := newRunner(t, Options{
			Config:  Config{Checks: []CheckConfig{{Name: "nfs", Builtin: []string{"hung"}, Interval: time.Minute, RetryInterval: 15 * time.Second, Timeout: 10 * time.Second}}},
			Builtin: builtins(map[string]Check{"hung": hung}),
			Sink:    rec.sink,
		})
		r.Start()
		// Runs at 0s (times out at 10s, SOFT) and at 15s (still hung).
		time.Sleep(20 * time.Second)
		close(release)
		time.Sleep(20 * time.Second) // runs at 30s, now free
		r.Stop()
		var got []string
		for _, cr := range rec.got() {
			got = append(got, cr.Output)
		}
		want := []string{"check timed out after 10s", "check timed out earlier and has not returned yet", "fine"}
		if !slices.Equal(got, want) {
			t.Errorf("outputs %q, want %q", got, want)
		}
		if n := testutil.ToFloat64(r.m.faults.WithLabelValues(string(FaultTimeout))); n != 2 {
			t.Errorf("timeout faults = %v, want 2", n)
		}
	})
}

func TestRunNow(t *testing.T) {
	var gotArgv []string
	rec := &recorder{}
	r := newRunner(t, Options{
		Config: Config{Checks: []CheckConfig{
			{Name: "disk", Builtin: []string{"disk", "-w", "$ARG1$", "-p", "$ARG2$"}, OnDemand: true},
			{Name: "boom", Builtin: []string{"boom"}, OnDemand: true},
		}},
		Builtin: func(argv []string) (Check, error) {
			if argv[0] == "boom" {
				return checkFunc(func(context.Context) nagios.Result { panic("kaboom") }), nil
			}
			if argv[2] == "bad" {
				return nil, errors.New("bad threshold")
			}
			gotArgv = argv
			return checkFunc(func(context.Context) nagios.Result {
				return nagios.Result{State: nagios.Warning, Output: "DISK WARNING", Perf: []nagios.Perf{{Label: "/", Value: 1}}}
			}), nil
		},
		Sink: rec.sink,
	})
	res, err := r.RunNow(t.Context(), "disk", []string{"20%", "/var"})
	if err != nil || res.State != nagios.Warning || res.Output != "DISK WARNING" {
		t.Errorf("RunNow = %+v, %v", res, err)
	}
	if want := []string{"disk", "-w", "20%", "-p", "/var"}; !slices.Equal(gotArgv, want) {
		t.Errorf("built-in check got argv %q, want %q", gotArgv, want)
	}
	if res, _ := r.RunNow(t.Context(), "disk", []string{"bad"}); res.State != nagios.Unknown || res.Output != "(Invalid arguments) bad threshold" {
		t.Errorf("bad arguments: %+v", res)
	}
	if res, _ := r.RunNow(t.Context(), "boom", nil); res.State != nagios.Unknown || res.Output != "check panicked: kaboom" {
		t.Errorf("panic: %+v", res)
	}
	if _, err := r.RunNow(t.Context(), "nope", nil); !errors.Is(err, ErrUnknownCheck) {
		t.Errorf("unknown check: err = %v", err)
	}
	if len(rec.got()) != 0 {
		t.Errorf("on-demand results reached the sink: %+v", rec.got())
	}
	r.Stop()
	r.Stop()
	if _, err := r.RunNow(t.Context(), "disk", nil); !errors.Is(err, ErrStopped) {
		t.Errorf("after Stop: err = %v", err)
	}
}

// Stop ends a running plugin at once and does not report it.
func TestRunnerStopKillsPlugin(t *testing.T) {
	rec := &recorder{}
	c := fake(t, "hang")
	c.OnDemand, c.Interval, c.Timeout = false, time.Hour, time.Hour
	r := newRunner(t, Options{Config: Config{Checks: []CheckConfig{c}}, Sink: rec.sink})
	r.Start()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = r.RunNow(context.Background(), "fake", nil)
	}()
	r.Stop()
	<-done
	if len(rec.got()) != 0 {
		t.Errorf("a run cut short by Stop was reported: %+v", rec.got())
	}
}

func TestNewRunnerErrors(t *testing.T) {
	sink := (&recorder{}).sink
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no sink", Options{}, "no sink"},
		{"duplicate", Options{Sink: sink, Config: Config{Checks: []CheckConfig{
			{Name: "a", Command: []string{"/bin/true"}}, {Name: "a", Command: []string{"/bin/true"}},
		}}}, "build check runner: checks[1].name: \"a\" is already the name of check [0]"},
		{"no builtins", Options{Sink: sink, Config: Config{Checks: []CheckConfig{{Name: "a", Builtin: []string{"load"}}}}},
			"built-in checks are not available"},
		{"bad builtin", Options{Sink: sink, Builtin: builtins(nil), Config: Config{Checks: []CheckConfig{{Name: "a", Builtin: []string{"load"}}}}},
			"no such built-in check load"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewRunner(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

package checkrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/nagios"
)

// maxStartSpread bounds the window over which the first runs are spread
// after Start, so that a check with a 1h interval still runs soon after the
// agent starts.
const maxStartSpread = 30 * time.Second

// Errors of RunNow.
var (
	ErrUnknownCheck = errors.New("no such check")
	ErrStopped      = errors.New("check runner stopped")
)

// Check is a built-in check as package checks provides it. Run must return
// soon after ctx is done; the runner reports a check that does not as timed
// out and does not start it again until it has returned.
type Check interface {
	Run(ctx context.Context) nagios.Result
}

// BuiltinFunc builds a built-in check from its argv (checks.New).
type BuiltinFunc func(argv []string) (Check, error)

// Sink receives every scheduled result, with its perfdata as a metric event
// (none when it has no perfdata). Calls are serialised; a sink must not
// block for long, since the check that produced the result waits.
type Sink func(model.CheckResult, []model.Event)

// Options configure a Runner.
type Options struct {
	Config Config
	// Builtin builds the built-in checks; required when Config has any.
	Builtin BuiltinFunc
	// Sink is required.
	Sink Sink
	// Registerer gets the runner's metrics; nil registers nothing. A
	// Runner built again on the same registry (a reload) takes the
	// existing collectors over.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Runner runs checks on their schedules and on demand. Scheduled runs start
// with Start; Stop ends everything.
type Runner struct {
	checks []*check
	byName map[string]*check
	slots  chan struct{} // one token per running check
	sink   Sink
	sinkMu sync.Mutex
	log    *slog.Logger
	m      metrics

	// ctx is cancelled by Stop, which stops every running plugin.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	started bool
	stopped bool
	wg      sync.WaitGroup
}

// check is one configured check with what runs it.
type check struct {
	cfg     CheckConfig
	command string
	run     func(ctx context.Context, args []string) Outcome
	log     *slog.Logger
}

// NewRunner validates the configuration and builds every check. Nothing
// runs until Start.
func NewRunner(o Options) (*Runner, error) {
	if o.Sink == nil {
		return nil, errors.New("build check runner: no sink")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	cfg := o.Config
	cfg.Checks = slices.Clone(cfg.Checks)
	for i := range cfg.Checks {
		cfg.Checks[i] = cfg.Checks[i].withDefaults()
	}
	if cfg.MaxConcurrent == 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("build check runner: %w", validationError(errs))
	}
	r := &Runner{
		byName: make(map[string]*check, len(cfg.Checks)),
		slots:  make(chan struct{}, cfg.MaxConcurrent),
		sink:   o.Sink,
		log:    o.Logger,
		m:      newMetrics(o.Registerer, o.Logger),
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	for _, cc := range cfg.Checks {
		c := &check{cfg: cc, log: o.Logger.With("check", cc.Name)}
		if len(cc.Command) > 0 {
			p, err := NewPlugin(cc)
			if err != nil {
				return nil, fmt.Errorf("build check runner: %w", err)
			}
			c.command, c.run = p.Command(), p.Run
		} else {
			b, err := newBuiltin(cc, o.Builtin, &r.wg)
			if err != nil {
				return nil, fmt.Errorf("build check runner: %w", err)
			}
			c.command, c.run = b.command, b.run
		}
		r.checks = append(r.checks, c)
		r.byName[cc.Name] = c
		r.m.init(cc.Name)
	}
	return r, nil
}

// Start begins the scheduled runs: the first runs of the scheduled checks
// are spread evenly over their interval (at most 30s), so that many checks
// do not all start at once. Start after Stop, or a second time, does
// nothing.
func (r *Runner) Start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.stopped {
		return
	}
	r.started = true
	var scheduled []*check
	for _, c := range r.checks {
		if !c.cfg.OnDemand {
			scheduled = append(scheduled, c)
		}
	}
	now := time.Now()
	for i, c := range scheduled {
		window := min(c.cfg.Interval, maxStartSpread)
		first := now.Add(window * time.Duration(i) / time.Duration(len(scheduled)))
		r.wg.Add(1)
		go r.loop(c, first)
	}
}

// enter counts a RunNow about to start; false once stopped.
func (r *Runner) enter() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return false
	}
	r.wg.Add(1)
	return true
}

// Stop stops every running check, discards their results and waits until
// every goroutine and process of the runner is gone. It is idempotent.
func (r *Runner) Stop() {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}

// RunNow runs the named check at once with args in place of $ARG1$..,
// waiting for a free slot like scheduled runs do. The result goes only to
// the caller: it is not delivered to the sink and does not count as an
// attempt of the check's schedule (an NRPE client keeps its own state).
// The check's timeout applies, and ctx's deadline when earlier.
func (r *Runner) RunNow(ctx context.Context, name string, args []string) (nagios.Result, error) {
	c, ok := r.byName[name]
	if !ok {
		return nagios.Result{}, fmt.Errorf("run check %q: %w", name, ErrUnknownCheck)
	}
	if !r.enter() {
		return nagios.Result{}, fmt.Errorf("run check %q: %w", name, ErrStopped)
	}
	defer r.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(r.ctx, cancel)()
	o, _, err := r.runOnce(ctx, c, args)
	if err != nil {
		return nagios.Result{}, fmt.Errorf("run check %q: %w", name, err)
	}
	c.log.Debug("check ran on demand", "state", o.Result.State, "faults", o.Faults)
	return o.Result, nil
}

// loop runs one check on its schedule until Stop.
func (r *Runner) loop(c *check, next time.Time) {
	defer r.wg.Done()
	attempts := nagios.Attempts{Max: c.cfg.MaxAttempts}
	var lastFaults string
	var lastChange time.Time
	for r.sleepUntil(next) {
		scheduled := next
		o, took, err := r.runOnce(r.ctx, c, nil)
		if err != nil || r.ctx.Err() != nil {
			return // stopped: a run cut short by Stop is not a result
		}
		end := time.Now()
		attempt, hard := attempts.Next(o.Result.State)
		if attempts.Changed() {
			lastChange = end
		}
		r.deliver(c, o.Result, end, lastChange, took, attempt, hard)
		if f := fmt.Sprint(o.Faults); f != lastFaults {
			if len(o.Faults) > 0 {
				c.log.Warn("check misbehaved", "faults", o.Faults, "state", o.Result.State, "output", o.Result.Output)
			} else if lastFaults != "" {
				c.log.Info("check behaves again")
			}
			lastFaults = f
		}

		wait := c.cfg.Interval
		if attempts.Retrying() {
			wait = c.cfg.RetryInterval
		}
		// Keep the phase; a run that ended past its next start is followed
		// at once by a single one, not by a burst catching up.
		next = scheduled.Add(wait)
		if next.Before(end) {
			next = end
		}
	}
}

// sleepUntil waits for t; false when the runner stops first.
func (r *Runner) sleepUntil(t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// runOnce runs c in a concurrency slot; the error is ctx's when it ended
// while waiting for one.
func (r *Runner) runOnce(ctx context.Context, c *check, args []string) (Outcome, time.Duration, error) {
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return Outcome{}, 0, fmt.Errorf("wait for a free slot: %w", ctx.Err())
	}
	defer func() { <-r.slots }()
	start := time.Now()
	o := c.run(ctx, args)
	took := time.Since(start)
	r.m.record(c.cfg.Name, o, took.Seconds())
	return o, took, nil
}

// deliver hands one scheduled result to the sink.
func (r *Runner) deliver(c *check, res nagios.Result, end, lastChange time.Time, took time.Duration, attempt int, hard bool) {
	cr := model.CheckResult{
		Timestamp:   end.UnixMilli(),
		LastChange:  lastChange.UnixMilli(),
		Name:        c.cfg.Name,
		Command:     c.command,
		State:       int(res.State),
		StateType:   model.StateTypeSoft,
		Attempt:     attempt,
		MaxAttempts: c.cfg.MaxAttempts,
		Output:      res.Output,
		LongOutput:  res.LongOutput,
		DurationUS:  took.Microseconds(),
		Perf:        nagios.WirePerf(res.Perf),
	}
	if hard {
		cr.StateType = model.StateTypeHard
	}
	var events []model.Event
	if ev, ok := nagios.PerfEvent(cr.Timestamp, cr.Name, cr.Perf); ok {
		events = []model.Event{ev}
	}
	r.sinkMu.Lock()
	defer r.sinkMu.Unlock()
	r.sink(cr, events)
}

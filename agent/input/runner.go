package input

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/internal/promreg"

	"github.com/vigilmon/vigil/internal/model"
)

// Failure reasons, the values of the reason label of
// vigil_agent_input_errors_total.
const (
	reasonError        = "error"
	reasonTimeout      = "timeout"
	reasonStillRunning = "still_running"
)

// Runner collects a set of inputs once per cycle, each in its own goroutine
// with its own timeout, so one slow or broken input never delays or breaks
// the others.
type Runner struct {
	slots   []*slot
	timeout time.Duration
	log     *slog.Logger
	m       runnerMetrics

	runMu sync.Mutex // one Run at a time: slots' log state is not shared

	mu       sync.Mutex
	inflight int
	idle     chan struct{} // closed whenever inflight == 0
	stopped  bool
}

// slot is one input and its bookkeeping.
type slot struct {
	in   Input
	name string
	log  *slog.Logger
	busy atomic.Bool // a Collect has not returned yet
	// lastFail is the last failure logged, so a persistent failure is logged
	// when it starts, changes or ends rather than every cycle.
	lastFail string
}

type outcome struct {
	events []model.Event
	err    error
	took   time.Duration
	// timedOut is set when the input returned, but only because its context
	// expired.
	timedOut bool
}

// NewRunner builds a Runner for inputs; every Collect is bounded by timeout
// (10s if not positive), which should exceed Options.MountTimeout so the
// filesystem input can report the mounts that did answer. Metrics are
// registered on reg (nil: not registered).
//
// A configuration reload builds a new Runner on the same registry, so the
// collectors are registered once and reused: when reg already has them, the
// existing ones are taken over. Counters keep counting across reloads; the
// two gauges are reset, so an input dropped from the configuration stops
// being reported instead of showing its last value forever. Build the new
// Runner after the old one has run its last cycle.
func NewRunner(inputs []Input, timeout time.Duration, reg prometheus.Registerer, logger *slog.Logger) *Runner {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	r := &Runner{timeout: timeout, log: logger, m: newRunnerMetrics(reg, logger), idle: make(chan struct{})}
	close(r.idle)
	for _, in := range inputs {
		s := &slot{in: in, name: in.Name(), log: logger.With("input", in.Name())}
		// Create the error series at 0 so rate() works from the first failure.
		for _, reason := range []string{reasonError, reasonTimeout, reasonStillRunning} {
			r.m.errors.WithLabelValues(s.name, reason)
		}
		r.slots = append(r.slots, s)
	}
	return r
}

// Run collects every input concurrently, each bounded by the timeout, and
// returns all events gathered in time, in input order. An input that errors,
// times out or returns ErrNoData never affects the others. An input whose
// previous Collect has not returned yet is not started again; it counts as
// failed with reason "still_running". Run after Stop returns nil.
func (r *Runner) Run(ctx context.Context, now time.Time) []model.Event {
	r.runMu.Lock()
	defer r.runMu.Unlock()

	results := make([]chan outcome, len(r.slots))
	for i, s := range r.slots {
		if !s.busy.CompareAndSwap(false, true) {
			r.fail(s, reasonStillRunning, errors.New("previous collect has not returned"), 0)
			continue
		}
		if !r.begin() {
			s.busy.Store(false)
			return nil // stopped
		}
		results[i] = make(chan outcome, 1) // buffered: a late input never blocks
		go r.collect(ctx, s, now, results[i])
	}

	timer := time.NewTimer(r.timeout)
	defer timer.Stop()
	var events []model.Event
	expired := false
	for i, s := range r.slots {
		if results[i] == nil {
			continue
		}
		if !expired {
			select {
			case o := <-results[i]:
				events = append(events, r.record(s, o)...)
				continue
			case <-timer.C:
				expired = true
			case <-ctx.Done():
				return events // shutting down: nothing to report
			}
		}
		// Past the cycle's deadline, which is every input's deadline as they
		// all started together: take what is ready, fail the rest.
		select {
		case o := <-results[i]:
			events = append(events, r.record(s, o)...)
		default:
			r.fail(s, reasonTimeout, fmt.Errorf("no answer within %s", r.timeout), r.timeout)
		}
	}
	return events
}

// collect runs one Collect. The input is marked idle before the result is
// sent, so the next cycle can start it again even if this cycle gave up on it.
func (r *Runner) collect(ctx context.Context, s *slot, now time.Time, out chan<- outcome) {
	defer r.end()
	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	start := time.Now()
	var o outcome
	func() {
		defer func() {
			// A bug in one input must not take the agent down.
			if p := recover(); p != nil {
				o.err = fmt.Errorf("collect panicked: %v", p)
				s.log.Error("input panicked", "panic", p, "stack", string(debug.Stack()))
			}
		}()
		o.events, o.err = s.in.Collect(cctx, now)
	}()
	o.took = time.Since(start)
	o.timedOut = o.err != nil && !errors.Is(o.err, ErrNoData) && cctx.Err() != nil && ctx.Err() == nil
	s.busy.Store(false)
	out <- o
}

// record reports a returned Collect and passes on its events.
func (r *Runner) record(s *slot, o outcome) []model.Event {
	switch {
	case o.timedOut:
		r.fail(s, reasonTimeout, o.err, o.took)
		return nil
	case o.err != nil && !errors.Is(o.err, ErrNoData):
		r.fail(s, reasonError, o.err, o.took)
		return nil
	}
	r.m.success.WithLabelValues(s.name).Set(1)
	r.m.duration.WithLabelValues(s.name).Set(o.took.Seconds())
	if o.err != nil {
		s.log.Debug("input has no data this cycle")
	}
	if s.lastFail != "" {
		s.log.Info("input recovered")
		s.lastFail = ""
	}
	return o.events
}

func (r *Runner) fail(s *slot, reason string, err error, took time.Duration) {
	r.m.success.WithLabelValues(s.name).Set(0)
	if took > 0 {
		r.m.duration.WithLabelValues(s.name).Set(took.Seconds())
	}
	r.m.errors.WithLabelValues(s.name, reason).Inc()
	if msg := reason + ": " + err.Error(); msg != s.lastFail {
		s.log.Warn("input failed", "reason", reason, "err", err)
		s.lastFail = msg
	}
}

// begin counts a Collect about to start; false once stopped.
func (r *Runner) begin() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return false
	}
	if r.inflight == 0 {
		r.idle = make(chan struct{})
	}
	r.inflight++
	return true
}

func (r *Runner) end() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inflight--
	if r.inflight == 0 {
		close(r.idle)
	}
}

// Stop prevents further cycles and waits, bounded by ctx, for in-flight
// collects to return. Then it closes the inputs that hold resources
// (io.Closer), except those still collecting. It is idempotent.
func (r *Runner) Stop(ctx context.Context) error {
	r.mu.Lock()
	r.stopped = true
	idle := r.idle
	r.mu.Unlock()

	var err error
	select {
	case <-idle:
	case <-ctx.Done():
		var hung []string
		for _, s := range r.slots {
			if s.busy.Load() {
				hung = append(hung, s.name)
			}
		}
		err = fmt.Errorf("wait for inputs %v: %w", hung, ctx.Err())
	}
	for _, s := range r.slots {
		if !s.busy.Load() {
			closeAll([]Input{s.in})
		}
	}
	return err
}

type runnerMetrics struct {
	success  *prometheus.GaugeVec
	duration *prometheus.GaugeVec
	errors   *prometheus.CounterVec
}

func newRunnerMetrics(reg prometheus.Registerer, log *slog.Logger) runnerMetrics {
	m := runnerMetrics{
		success: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigil_agent_input_success",
			Help: "1 if the input's last collection succeeded (no data counts as success), 0 if it failed.",
		}, []string{"input"}),
		duration: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigil_agent_input_duration_seconds",
			Help: "Duration of the input's last collection.",
		}, []string{"input"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_agent_input_errors_total",
			Help: "Failed collections by reason: error, timeout, still_running.",
		}, []string{"input", "reason"}),
	}
	if reg == nil {
		return m
	}
	var errs [3]error
	m.success, errs[0] = promreg.Reuse(reg, m.success)
	m.duration, errs[1] = promreg.Reuse(reg, m.duration)
	m.errors, errs[2] = promreg.Reuse(reg, m.errors)
	if err := errors.Join(errs[:]...); err != nil {
		// Only a clashing metric name gets here; the runner still works,
		// its metrics are just not exported.
		log.Error("register input metrics", "err", err)
	}
	m.success.Reset()
	m.duration.Reset()
	return m
}

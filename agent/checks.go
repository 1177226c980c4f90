package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/agent/checkrun"
	"github.com/vigilmon/vigil/agent/nrpe"
	"github.com/vigilmon/vigil/checks"
	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/nagios"
)

// maxBufferedChecks bounds the check results waiting for the next batch. A
// cycle is seconds; this many means the collect loop is stuck, and the
// oldest go (counted) rather than the agent's memory.
const maxBufferedChecks = 10_000

// checkBuffer holds check results between two collection cycles: the next
// batch carries them, through the spool, like every other reading.
type checkBuffer struct {
	mu      sync.Mutex
	results []model.CheckResult
	events  []model.Event
	dropped uint64
}

// add is the check runner's sink.
func (b *checkBuffer) add(r model.CheckResult, evs []model.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.results) == maxBufferedChecks {
		b.results = b.results[1:]
		b.dropped++
	}
	b.results = append(b.results, r)
	if len(b.events) < maxBufferedChecks {
		b.events = append(b.events, evs...)
	}
}

// take returns what arrived since the last take, and the drops so far.
func (b *checkBuffer) take() (results []model.CheckResult, events []model.Event, dropped uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	results, events = b.results, b.events
	b.results, b.events = nil, nil
	return results, events, b.dropped
}

// builtin builds a built-in check for the runner.
func builtin(argv []string) (checkrun.Check, error) { return checks.New(argv) }

// newCheckRunner builds the runner of the configured checks; it starts on Start.
func newCheckRunner(cfg Config, buf *checkBuffer, reg prometheus.Registerer, logger *slog.Logger) (*checkrun.Runner, error) {
	return checkrun.NewRunner(checkrun.Options{
		Config:  checkrun.Config{MaxConcurrent: cfg.CheckConcurrency, Checks: cfg.Checks},
		Builtin: builtin, Sink: buf.add, Registerer: reg, Logger: logger,
	})
}

// newNRPEServer serves the configured NRPE commands from the runner's
// checks; nil when the nrpe section is absent.
func newNRPEServer(cfg Config, runner *checkrun.Runner, reg prometheus.Registerer, logger *slog.Logger) (*nrpe.Server, error) {
	if cfg.NRPE == nil {
		return nil, nil
	}
	known := map[string]bool{}
	for _, c := range cfg.Checks {
		known[c.Name] = true
	}
	lookup := func(name string) (nrpe.RunFunc, bool) {
		if !known[name] {
			return nil, false
		}
		return func(ctx context.Context, args []string) nagios.Result {
			res, err := runner.RunNow(ctx, name, args)
			if err != nil {
				return nagios.Result{State: nagios.Unknown, Output: fmt.Sprintf("NRPE: check %s: %v", name, err)}
			}
			return res
		}, true
	}
	return nrpe.New(*cfg.NRPE, nrpe.Options{Checks: lookup, Logger: logger, Registerer: reg, Version: version})
}

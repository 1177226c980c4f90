package main

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/vigilmon/vigil/agent/input"
	"github.com/vigilmon/vigil/agent/ship"
	"github.com/vigilmon/vigil/internal/model"
)

// collectLoop runs one collection cycle per interval and spools the result as one
// batch. It is the only place in the agent that reads the clock for metrics.
type collectLoop struct {
	runner   *input.Runner
	checks   *checkBuffer
	spool    *ship.Spool
	host     model.Host
	agent    model.Agent
	interval time.Duration
	jitter   time.Duration
	log      *slog.Logger
	now      func() time.Time
}

// run collects until ctx ends. Ticks are aligned to the interval so that cycles do
// not drift; each cycle then waits a random part of jitter so that a fleet
// restarted together does not hit the collector in lockstep.
func (l *collectLoop) run(ctx context.Context) error {
	t := time.NewTicker(l.interval)
	defer t.Stop()
	l.cycle(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if l.jitter > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(rand.N(l.jitter)):
			}
		}
		l.cycle(ctx)
	}
}

func (l *collectLoop) cycle(ctx context.Context) {
	now := l.now()
	events := l.runner.Run(ctx, now)
	results, perf, checksDropped := l.checks.take()
	events = append(events, perf...)
	events = append(events, selfEvent(now, l.spool.Stats(), checksDropped))
	b := &model.Batch{Agent: l.agent, Host: l.host, Events: events, Checks: results}
	if err := l.spool.Append(b); err != nil {
		// The batch is held in memory and written when the disk allows; say so once
		// per cycle so a full disk is visible in the journal.
		l.log.Error("spool batch (kept in memory until the disk accepts it)", "err", err, "pending", l.spool.Stats().Pending)
	}
}

// selfEvent reports the agent's own losses and backlog with every batch, so a
// dropped batch is itself visible at the collector.
func selfEvent(now time.Time, st ship.Stats, checksDropped uint64) model.Event {
	return model.Event{
		Timestamp: now.UnixMilli(),
		Dataset:   "vigil.agent",
		Values: map[string]float64{
			"vigil.agent.spool.dropped.batches":  float64(st.Drops.Batches),
			"vigil.agent.spool.dropped.samples":  float64(st.Drops.Samples),
			"vigil.agent.spool.rejected.batches": float64(st.Drops.Rejected),
			"vigil.agent.spool.bytes":            float64(st.Bytes),
			"vigil.agent.spool.batches":          float64(st.Segments),
			"vigil.agent.spool.pending":          float64(st.Pending),
			"vigil.agent.checks.dropped":         float64(checksDropped),
		},
	}
}

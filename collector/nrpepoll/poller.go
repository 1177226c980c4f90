package nrpepoll

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/internal/model"
)

// Defaults of Options.
const (
	DefaultMaxConcurrent = 16
	// DefaultQueueLen keeps an hour of one-minute rounds per target while
	// the store refuses them.
	DefaultQueueLen = 60
)

// Options configure a Poller.
type Options struct {
	// Sink stores one batch, durably, before it returns nil: the same path
	// an agent's batch takes after ingest. An error means "offer it again":
	// the batch stays queued and goes first in the target's next round. A
	// batch the sink will never take (invalid) it should count, log and
	// answer nil for, or it blocks its target's queue until it overflows.
	Sink func(ctx context.Context, b *model.Batch) error
	// Now is the clock read for timestamps, schedules and sequence numbers.
	// Default time.Now. Waiting uses the time package's timers, so tests
	// run the poller under testing/synctest.
	Now        func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Version is the collector's version, reported as agent.version.
	Version string
	// MaxConcurrent bounds the targets polled at the same moment.
	MaxConcurrent int
	// QueueLen bounds the undelivered batches kept per target; past it the
	// oldest is dropped and counted.
	QueueLen int
}

// querier is what a target needs of a Client; tests replace it.
type querier interface {
	Query(ctx context.Context, command string, args ...string) (Response, error)
}

// Poller polls NRPE daemons on schedule and hands their results to a sink
// as batches, as if each polled host ran an agent.
type Poller struct {
	targets []*target
	o       Options
	log     *slog.Logger
	m       *metrics
	sem     chan struct{}

	mu      sync.Mutex
	running bool
	stopped bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

// New prepares a poller for targets, which should have passed Validate. It
// reads the TLS files. Start it with Run.
func New(targets Targets, o Options) (*Poller, error) {
	if o.Sink == nil {
		return nil, errors.New("create nrpe poller: no sink")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.QueueLen <= 0 {
		o.QueueLen = DefaultQueueLen
	}
	log := o.Logger.With("component", "nrpepoll")
	hosts := make([]string, len(targets))
	for i := range targets {
		hosts[i] = targets[i].Host
	}
	m, err := newMetrics(o.Registerer, hosts)
	if err != nil {
		return nil, fmt.Errorf("create nrpe poller: %w", err)
	}
	p := &Poller{o: o, log: log, m: m, sem: make(chan struct{}, o.MaxConcurrent), stop: make(chan struct{})}
	for i := range targets {
		t := &targets[i]
		addr := t.Addr()
		var tc *tls.Config
		if !t.Plaintext {
			host, err := splitAddr(addr)
			if err == nil {
				tc, err = t.TLS.Build(host)
			}
			if err != nil {
				return nil, fmt.Errorf("create nrpe poller: target %s: %w", t.Host, err)
			}
		}
		p.targets = append(p.targets, newTarget(t, NewClient(addr, tc, t.Timeout, o.Now), o, log.With("host", t.Host), m))
	}
	return p, nil
}

// Run polls until ctx ends or Stop is called, then returns nil. It runs
// once: a second call returns an error.
func (p *Poller) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.running || p.stopped {
		p.mu.Unlock()
		return errors.New("run nrpe poller: already running or stopped")
	}
	p.running = true
	p.wg.Add(1)
	p.mu.Unlock()
	defer p.wg.Done()

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-p.stop:
			cancel()
		case <-ctx.Done():
		}
	})
	var loops sync.WaitGroup
	for _, t := range p.targets {
		loops.Go(func() { p.loop(ctx, t) })
	}
	loops.Wait()
	// With no targets there are no loops; Run still lasts until it is told
	// to stop, as a run.Group actor that returns ends the whole group.
	<-ctx.Done()
	cancel()
	wg.Wait()
	return nil
}

// Stop ends Run and waits for it. It may be called more than once, and
// before or without Run.
func (p *Poller) Stop() {
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		close(p.stop)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// loop runs one target's rounds until ctx ends.
func (p *Poller) loop(ctx context.Context, t *target) {
	t.schedule(p.o.Now())
	defer t.abandon()
	for {
		timer := time.NewTimer(t.nextDue().Sub(p.o.Now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		b := t.round(ctx)
		<-p.sem
		if ctx.Err() != nil {
			// Stopping: results cut short by the cancellation would be
			// false UNKNOWNs.
			return
		}
		t.deliver(ctx, b)
	}
}

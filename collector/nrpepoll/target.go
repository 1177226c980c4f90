package nrpepoll

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/nagios"
	"github.com/vigilmon/vigil/internal/nrpe"
)

// AgentIDPrefix starts the agent ID of every polled host: batches of host
// web01 carry agent_id "nrpe@web01". ("nrpe:" would read better, but the
// ingest path allows only [A-Za-z0-9._@-] in agent IDs.) The prefix keeps
// them apart from a vigil-agent later installed on the same host.
const AgentIDPrefix = "nrpe@"

// target is one polled daemon and the schedule of its commands. Only its
// own loop goroutine touches it.
type target struct {
	host    string
	agentID string
	client  querier
	o       Options
	log     *slog.Logger
	m       *metrics
	checks  []*check
	// intervalMS is the shortest normal interval: a batch comes at least
	// that often while the host is healthy.
	intervalMS int64
	seq        uint64
	pending    []*model.Batch
	version    int  // packet version of the last answer, to log a change once
	sinkDown   bool // the last delivery failed; logged once per outage
}

// check is one command's schedule and soft/hard state.
type check struct {
	Command
	attempts   nagios.Attempts
	next       time.Time
	lastChange int64 // Unix ms of the last state change
}

func newTarget(t *Target, client querier, o Options, log *slog.Logger, m *metrics) *target {
	tg := &target{host: t.Host, agentID: AgentIDPrefix + t.Host, client: client, o: o, log: log, m: m}
	for _, c := range t.Commands {
		c = t.effective(c)
		tg.checks = append(tg.checks, &check{Command: c, attempts: nagios.Attempts{Max: c.MaxAttempts}})
		if ms := c.Interval.Milliseconds(); tg.intervalMS == 0 || ms < tg.intervalMS {
			tg.intervalMS = ms
		}
	}
	return tg
}

// schedule sets the first run of every command. The phase within the
// interval comes from a hash of the host name, counted from the wall
// clock: targets spread over the interval, a host's commands of equal
// interval share one round (one batch), and the phase survives restarts
// instead of every target firing at start-up.
func (t *target) schedule(now time.Time) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(t.host))
	sum := h.Sum64()
	for _, c := range t.checks {
		next := now.Truncate(c.Interval).Add(time.Duration(sum % uint64(c.Interval)))
		if next.Before(now) {
			next = next.Add(c.Interval)
		}
		c.next = next
	}
}

func (t *target) nextDue() time.Time {
	next := t.checks[0].next
	for _, c := range t.checks[1:] {
		if c.next.Before(next) {
			next = c.next
		}
	}
	return next
}

// round queries every command that is due, one after the other (a small
// host's nrpe forks a plugin per query), and returns the batch of their
// results. Once the daemon cannot be reached, the rest of the round is not
// queried: they get the same result, so a dead host costs one timeout per
// round, not one per command.
func (t *target) round(ctx context.Context) *model.Batch {
	now := t.o.Now()
	var checks []model.CheckResult
	var events []model.Event
	var down *nagios.Result // the connect failure of this round
	var downReason, downCheck string
	for _, c := range t.checks {
		if c.next.After(now) {
			continue
		}
		start := t.o.Now()
		var res nagios.Result
		var reason string
		if down != nil {
			res, reason = *down, downReason
			res.LongOutput = strings.TrimSpace(res.LongOutput + "\nnot queried: the connection failed moments before, for " + downCheck)
		} else {
			resp, err := t.client.Query(ctx, c.Command.Command, c.Args...)
			if ctx.Err() != nil {
				return nil
			}
			res, reason = t.outcome(c, resp, err)
			var ce *ConnectError
			if errors.As(err, &ce) {
				down, downReason, downCheck = &res, reason, c.Name
			}
			t.m.duration.Observe(t.o.Now().Sub(start).Seconds())
			t.m.polls.WithLabelValues(t.host, reason).Inc()
		}
		end := t.o.Now()

		attempt, hard := c.attempts.Next(res.State)
		iv := c.Interval
		if c.attempts.Retrying() {
			iv = c.RetryInterval
		}
		c.next = advance(c.next, iv, end)

		if c.attempts.Changed() {
			c.lastChange = end.UnixMilli()
		}
		cr := checkResult(c.Name, c.Command.Command, res, attempt, c.MaxAttempts, hard, end.UnixMilli(), end.Sub(start).Microseconds())
		cr.LastChange = c.lastChange
		checks = append(checks, cr)
		if ev, ok := nagios.PerfEvent(cr.Timestamp, cr.Name, cr.Perf); ok {
			events = append(events, ev)
		}
	}
	if len(checks) == 0 {
		return nil
	}
	return &model.Batch{
		AgentID: t.agentID,
		Seq:     t.nextSeq(now),
		Agent:   model.Agent{Version: "vigil-collector/" + t.o.Version + " nrpe", IntervalMS: t.intervalMS},
		Host:    model.Host{Name: t.host},
		Events:  events,
		Checks:  checks,
	}
}

// outcome is the result of one query: the daemon's answer, or the failure
// standing in for it.
func (t *target) outcome(c *check, resp Response, err error) (nagios.Result, string) {
	if err != nil {
		res, reason := failure(err)
		t.log.Debug("nrpe query failed", "check", c.Name, "command", c.Command.Command, "reason", reason, "err", err)
		return res, reason
	}
	if resp.PerfErr != nil {
		t.log.Debug("nrpe answer has bad perfdata", "check", c.Name, "err", resp.PerfErr)
	}
	if resp.Version != t.version {
		switch {
		case resp.Version == nrpe.Version2:
			t.log.Info("nrpe daemon refuses v4 packets; querying in v2, which cuts output to 1023 bytes")
		case t.version != 0:
			t.log.Info("nrpe daemon answers v4 packets again")
		}
		t.version = resp.Version
	}
	return resp.Result, stateResult(resp.State)
}

// advance returns the run after next at interval iv, skipping runs that
// are already past (a round that overran, a suspended machine) rather than
// firing them in a burst.
func advance(next time.Time, iv time.Duration, now time.Time) time.Time {
	next = next.Add(iv)
	if !next.After(now) {
		next = next.Add((now.Sub(next)/iv + 1) * iv)
	}
	return next
}

// nextSeq returns max(last+1, now in microseconds). The collector stores a
// batch once per (agent_id, seq) and skips a repeat as a duplicate, so a
// sequence must never come back, also after a restart, and the poller keeps
// no state on disk: a target's rounds are far more than a microsecond
// apart, so its sequence stays at the wall clock in microseconds and a
// restarted collector continues above where it stopped; last+1 keeps the
// numbers increasing within a run when the clock steps back. (A clock that
// is behind by more than the downtime at restart would repeat numbers; NTP
// makes that rare, and the store would count those batches as duplicates.)
func (t *target) nextSeq(now time.Time) uint64 {
	t.seq = max(t.seq+1, uint64(now.UnixMicro()))
	return t.seq
}

// deliver queues b and hands the queue to the sink, oldest first, stopping
// at the first refusal so results reach the rule engine in order.
func (t *target) deliver(ctx context.Context, b *model.Batch) {
	if b != nil {
		t.pending = append(t.pending, b)
		t.m.pending.Inc()
		if len(t.pending) > t.o.QueueLen {
			t.drop(1, "queue full")
		}
	}
	for len(t.pending) > 0 {
		if err := t.o.Sink(ctx, t.pending[0]); err != nil {
			t.m.sinkErrors.Inc()
			if !t.sinkDown {
				t.log.Warn("store refused nrpe results; keeping them for the next round", "pending", len(t.pending), "err", err)
				t.sinkDown = true
			}
			return
		}
		t.pending[0] = nil
		t.pending = t.pending[1:]
		t.m.pending.Dec()
	}
	if t.sinkDown {
		t.log.Info("store takes nrpe results again")
		t.sinkDown = false
	}
}

// drop discards the n oldest pending batches, counted and logged.
func (t *target) drop(n int, why string) {
	t.log.Warn("dropping nrpe results", "batches", n, "reason", why, "oldest_seq", t.pending[0].Seq)
	clear(t.pending[:n])
	t.pending = t.pending[n:]
	t.m.pending.Sub(float64(n))
	t.m.dropped.WithLabelValues(t.host).Add(float64(n))
}

// abandon counts what is still queued when the poller stops: it lives in
// memory only.
func (t *target) abandon() {
	if len(t.pending) > 0 {
		t.drop(len(t.pending), "poller stopped")
	}
}

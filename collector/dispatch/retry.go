package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
)

// job is one notification to one integration, with its retries.
type job struct {
	st     *integrationState
	in     Integration
	alerts []alert.Alert
	group  notify.Group
	// start is the Tick's now. Later times are start plus the elapsed time,
	// so that the log and the history stay on the caller's clock.
	start time.Time
	// holdOff is how long the integration waits after a give-up.
	holdOff time.Duration
}

// storeTimeout bounds a store write from the send path, which also runs while
// Stop cancels d.ctx.
const storeTimeout = 10 * time.Second

// deliver is the retry stage: it calls the notifier until it succeeds, refuses
// (retry false), or RetryTimeout has passed, waiting Backoff between attempts,
// and records every attempt in the history. On success it writes the
// notification log and the ok events in one SaveState call, so a restart
// never resends what was delivered nor forgets what was not.
func (d *Dispatcher) deliver(j *job) {
	defer d.wg.Done()
	ctx, cancel := context.WithTimeout(d.ctx, d.opts.RetryTimeout)
	defer cancel()
	ctx = notify.WithGroup(ctx, j.group)
	log := d.log.With("receiver", j.group.Receiver, "integration", j.in.Name, "group", j.group.Key,
		"alerts", len(j.alerts))
	began := time.Now()
	at := func() time.Time { return j.start.Add(time.Since(began)) }

	for attempt := 1; ; attempt++ {
		// Claim (or, before a retry, renew the claim on) what this job
		// announces; what another collector claimed first is its to send.
		if !d.claim(j, at(), log) {
			d.release(j)
			return
		}
		retry, err := callNotifier(ctx, j.in.Notifier, j.alerts)
		if err == nil {
			d.succeeded(j, attempt, at(), log)
			return
		}
		wait := d.opts.Backoff(attempt)
		var giveUp string
		switch {
		case !retry:
			giveUp = "refused"
		case d.ctx.Err() != nil:
			giveUp = "dispatcher stopping"
		case ctx.Err() != nil, time.Since(began)+wait >= d.opts.RetryTimeout:
			giveUp = fmt.Sprintf("retry timeout %s reached", d.opts.RetryTimeout)
		}
		if giveUp != "" {
			d.failed(j, attempt, at(), fmt.Errorf("%s (attempt %d): %w", giveUp, attempt, err), log)
			return
		}
		d.record(j, attempt, at(), alert.ResultRetry, err)
		d.m.retries.WithLabelValues(j.group.Receiver, j.in.Name).Inc()
		log.Info("notification failed, retrying", "attempt", attempt, "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			// The attempt was recorded as retry; close it in the history so
			// that it does not look in progress forever.
			d.failed(j, attempt, at(), fmt.Errorf("stopped waiting to retry (attempt %d): %w", attempt, err), log)
			return
		}
	}
}

// callNotifier calls n, turning a panic into a refusal: a broken notifier or
// template must not take the collector down.
func callNotifier(ctx context.Context, n notify.Notifier, alerts []alert.Alert) (retry bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			retry, err = false, fmt.Errorf("notifier panicked: %v", r)
		}
	}()
	return n.Notify(ctx, alerts)
}

// succeeded logs the delivery, in the store and in memory.
func (d *Dispatcher) succeeded(j *job, attempt int, now time.Time, log *slog.Logger) {
	put := map[string][]byte{}
	entries := map[string]*logEntry{}
	for i := range j.alerts {
		a := &j.alerts[i]
		key := logKey(j.group.Receiver, j.in.Name, a.ID)
		e := entryFor(a, now)
		b, err := encodeEntry(e)
		if err != nil {
			log.Error("encode notification log entry", "alert_id", a.ID, "err", err)
			continue
		}
		put[key] = b
		entries[key] = &e
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(d.ctx), storeTimeout)
	defer cancel()
	if err := d.opts.Store.SaveState(sctx, alert.BucketNotifyLog, put, nil,
		d.events(j, attempt, now, alert.ResultOK, nil)); err != nil {
		// Delivered but not logged: a restart may send it once more. Memory
		// is still updated, so this process does not.
		log.Error("save notification log", "err", err)
	}
	d.m.notifications.WithLabelValues(j.group.Receiver, j.in.Name, alert.ResultOK).Inc()
	log.Debug("notification sent", "attempts", attempt)

	d.mu.Lock()
	defer d.mu.Unlock()
	for key, e := range entries {
		d.setEntry(key, *e)
	}
	j.st.inflight = false
}

// failed records a given-up notification. The log is unchanged, so the next
// flush after holdOff tries again with what is then current.
func (d *Dispatcher) failed(j *job, attempt int, now time.Time, err error, log *slog.Logger) {
	d.record(j, attempt, now, alert.ResultError, err)
	d.m.notifications.WithLabelValues(j.group.Receiver, j.in.Name, alert.ResultError).Inc()
	log.Error("notification failed, giving up", "attempts", attempt, "err", err)
	d.mu.Lock()
	defer d.mu.Unlock()
	j.st.inflight = false
	j.st.retryAt = j.start.Add(j.holdOff)
}

// record appends the history events of one attempt.
func (d *Dispatcher) record(j *job, attempt int, now time.Time, result string, err error) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(d.ctx), storeTimeout)
	defer cancel()
	if serr := d.opts.Store.SaveState(sctx, alert.BucketNotifyLog, nil, nil,
		d.events(j, attempt, now, result, err)); serr != nil {
		d.log.Error("save notification history", "receiver", j.group.Receiver, "integration", j.in.Name,
			"err", serr)
	}
}

// events are the history entries of one attempt, one per alert.
func (d *Dispatcher) events(j *job, attempt int, now time.Time, result string, err error) []alert.Event {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	out := make([]alert.Event, len(j.alerts))
	for i := range j.alerts {
		a := &j.alerts[i]
		out[i] = alert.Event{Time: now, Kind: alert.EventNotify, AlertID: a.ID, Rule: a.Rule, Labels: a.Labels,
			Receiver: j.group.Receiver, Integration: j.in.Name, Attempt: attempt, Result: result, Error: msg}
	}
	return out
}

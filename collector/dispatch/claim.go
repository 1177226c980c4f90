package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// Claim results, the values of the claims metric.
const (
	claimWon         = "won"
	claimLost        = "lost"
	claimUnavailable = "unavailable"
)

// claim is a notification being sent: before a collector calls a notifier it
// writes a claim into the notification log entry, with compare-and-set when
// the store is shared by several collectors. The collector whose write wins
// sends; the others see the claim and hold off until it is delivered (the
// entry then records the send) or its lease runs out (the claimer died, and
// another collector takes the notification over: at least once, never lost).
type claim struct {
	Owner    string         `json:"owner"`
	Until    time.Time      `json:"until"`
	FiredAt  time.Time      `json:"fired_at"`
	State    alert.State    `json:"state"`
	Severity alert.Severity `json:"severity"`
}

// claimedElsewhere reports whether another collector holds a live claim.
func (e logEntry) claimedElsewhere(owner string, now time.Time) bool {
	return e.Claim != nil && e.Claim.Owner != owner && now.Before(e.Claim.Until)
}

// claim writes claims for the job's alerts and drops from the job those
// another collector claimed or delivered first. It reports whether anything
// is left to send. When the store cannot be reached it sends anyway: a
// duplicate page is better than none.
func (d *Dispatcher) claim(j *job, now time.Time, log *slog.Logger) bool {
	put := make(map[string][]byte, len(j.alerts))
	d.mu.Lock()
	for i := range j.alerts {
		a := &j.alerts[i]
		key := logKey(j.group.Receiver, j.in.Name, a.ID)
		e := d.nflog[key]
		e.Claim = &claim{Owner: d.opts.Owner, Until: now.Add(d.opts.ClaimLease), FiredAt: a.FiredAt, State: a.State,
			Severity: a.Severity}
		b, err := encodeEntry(e)
		if err != nil {
			continue
		}
		put[key] = b
	}
	d.mu.Unlock()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(d.ctx), storeTimeout)
	defer cancel()
	err := d.opts.Store.SaveState(sctx, alert.BucketNotifyLog, put, nil, nil)
	var lost *alert.ConflictError
	switch {
	case errors.As(err, &lost):
		d.adopt(lost.Current)
		kept := j.alerts[:0:0]
		for _, a := range j.alerts {
			if _, gone := lost.Current[logKey(j.group.Receiver, j.in.Name, a.ID)]; !gone {
				kept = append(kept, a)
			}
		}
		d.m.claims.WithLabelValues(claimLost).Add(float64(len(j.alerts) - len(kept)))
		d.m.claims.WithLabelValues(claimWon).Add(float64(len(kept)))
		log.Debug("another collector claimed part of this notification", "lost", len(j.alerts)-len(kept), "kept", len(kept))
		j.alerts = kept
		return len(kept) > 0
	case err != nil:
		d.m.claims.WithLabelValues(claimUnavailable).Add(float64(len(j.alerts)))
		log.Warn("cannot claim notification in the state store; sending anyway", "err", err)
		return true
	}
	d.m.claims.WithLabelValues(claimWon).Add(float64(len(j.alerts)))
	return true
}

// adopt takes the notification log entries another collector wrote.
func (d *Dispatcher) adopt(current map[string][]byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for key, b := range current {
		if b == nil {
			delete(d.nflog, key)
			continue
		}
		var e logEntry
		if err := json.Unmarshal(b, &e); err != nil {
			d.log.Warn("unreadable notification log entry from another collector", "key", key, "err", err)
			continue
		}
		d.nflog[key] = e
	}
}

// release ends a job that has nothing left to send.
func (d *Dispatcher) release(j *job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	j.st.inflight = false
}

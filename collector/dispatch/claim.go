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

// claimedElsewhere reports whether another collector holds a live claim on
// announcing what a says now. A claim on an earlier transition (a cached
// entry can be that old) holds nothing: the claim write then finds out.
func (e logEntry) claimedElsewhere(owner string, a *alert.Alert, now time.Time) bool {
	c := e.Claim
	return c != nil && c.Owner != owner && now.Before(c.Until) && c.State == a.State && c.FiredAt.Equal(a.FiredAt)
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
			d.deleteEntry(key)
			continue
		}
		var e logEntry
		if err := json.Unmarshal(b, &e); err != nil {
			d.log.Warn("unreadable notification log entry from another collector", "key", key, "err", err)
			continue
		}
		d.setEntry(key, e)
	}
}

// setEntry and deleteEntry change the cached log; called with d.mu held.
func (d *Dispatcher) setEntry(key string, e logEntry) {
	d.gen++
	d.nflog[key], d.touched[key] = e, d.gen
}

func (d *Dispatcher) deleteEntry(key string) {
	d.gen++
	delete(d.nflog, key)
	d.touched[key] = d.gen
}

// refresh rereads the log from a shared store every opts.Refresh. Keys
// changed here while the read ran keep their newer local value.
func (d *Dispatcher) refresh(ctx context.Context, now time.Time) {
	d.mu.Lock()
	due := d.opts.Refresh > 0 && now.Sub(d.lastRefresh) >= d.opts.Refresh
	if due {
		d.lastRefresh = now
	}
	since := d.gen
	d.mu.Unlock()
	if !due {
		return
	}
	fresh, err := loadLog(ctx, d.opts.Store, d.log)
	if err != nil {
		d.log.Warn("refresh notification log from the shared store", "err", err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for key, e := range fresh {
		if d.touched[key] <= since {
			d.nflog[key] = e
		}
	}
	for key := range d.nflog {
		if _, ok := fresh[key]; !ok && d.touched[key] <= since {
			delete(d.nflog, key)
		}
	}
	// Entries touched before this read are now as fresh as it: forget them.
	for key, g := range d.touched {
		if g <= since {
			delete(d.touched, key)
		}
	}
}

// release ends a job that has nothing left to send.
func (d *Dispatcher) release(j *job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	j.st.inflight = false
}

// told reports whether a's firing episode was announced, or claimed for
// announcing: a collector that lost the claim to announce a firing may never
// read back the winner's delivery, and must still send the resolve when the
// winner is gone. (If the claimer died before sending, a resolve of an
// unannounced firing reaches the receiver: one message too many, never one
// too few.)
func (e logEntry) told(a *alert.Alert) bool {
	return e.announced(a) || (e.Claim != nil && e.Claim.State == alert.Firing && e.Claim.FiredAt.Equal(a.FiredAt))
}

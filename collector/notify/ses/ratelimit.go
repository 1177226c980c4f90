package ses

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// limiter spaces sends at least interval apart. SES enforces a per-second
// sending rate per account and region, and throttles what goes over it; a
// burst of notifications (a dead switch taking twenty hosts with it) would
// otherwise spend its attempts on throttling errors. A burst of one is
// enough: notifications are grouped already.
type limiter struct {
	interval time.Duration

	mu   sync.Mutex
	next time.Time // earliest start of the next send
}

func newLimiter(perSecond float64) *limiter {
	return &limiter{interval: time.Duration(float64(time.Second) / perSecond)}
}

// wait blocks until this send may start. It gives up at once when ctx's
// deadline comes before its turn, rather than taking the turn and then
// failing.
func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	if deadline, ok := ctx.Deadline(); ok && deadline.Before(at) {
		l.mu.Unlock()
		return fmt.Errorf("wait for the send rate: next slot in %s, after the deadline", at.Sub(now))
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for the send rate: %w", ctx.Err())
	}
}

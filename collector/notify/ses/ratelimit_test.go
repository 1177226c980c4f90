package ses

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestLimiterSpacesSends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(2) // one every 500ms
		start := time.Now()
		var offsets []time.Duration
		for range 3 {
			if err := l.wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			offsets = append(offsets, time.Since(start))
		}
		want := []time.Duration{0, 500 * time.Millisecond, time.Second}
		for i := range want {
			if offsets[i] != want[i] {
				t.Fatalf("sends at %v, want %v", offsets, want)
			}
		}
		// An idle limiter has no backlog: the next send goes at once.
		time.Sleep(10 * time.Second)
		before := time.Now()
		if err := l.wait(context.Background()); err != nil || time.Since(before) != 0 {
			t.Errorf("after idling: waited %v, err %v; want no wait", time.Since(before), err)
		}
	})
}

func TestLimiterGivesUpBeforeTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(1)
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		before := time.Now()
		if err := l.wait(ctx); err == nil || time.Since(before) != 0 {
			t.Fatalf("wait with a deadline before the slot: err %v after %v, want an immediate error", err, time.Since(before))
		}
		// The refused wait did not take the slot.
		before = time.Now()
		if err := l.wait(context.Background()); err != nil || time.Since(before) != time.Second {
			t.Errorf("next wait took %v (err %v), want the 1s slot", time.Since(before), err)
		}
	})
}

func TestLimiterWaitEndsWithItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(0.1) // one every 10s
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			time.Sleep(time.Second)
			cancel()
		}()
		if err := l.wait(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("wait = %v, want context.Canceled", err)
		}
	})
}

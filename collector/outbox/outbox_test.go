package outbox

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRoundTripInOrderAcrossSegments(t *testing.T) {
	fs := frameSize(t, 1)
	for _, tc := range []struct {
		name     string
		segBytes int64
		groups   []int
		take     int
		wantSegs int
	}{
		{"one segment, single appends", 1 << 20, []int{1, 1, 1, 1, 1}, 2, 1},
		{"one segment, one group", 1 << 20, []int{9}, 4, 1},
		{"segment per group", fs, []int{1, 3, 1, 2, 5}, 3, 5},
		{"two records per segment", 2 * fs, []int{1, 1, 1, 1, 1, 1, 1}, 100, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ob := openT(t, Options{Dir: dir, SegmentBytes: tc.segBytes})
			n := 0
			for _, g := range tc.groups {
				if err := ob.Append(batches(n+1, g), t0.Add(time.Duration(n)*time.Second)); err != nil {
					t.Fatal(err)
				}
				n += g
			}
			if got := len(segFiles(t, dir)); got != tc.wantSegs {
				t.Errorf("%d segment files, want %d", got, tc.wantSegs)
			}
			es := nextT(t, ob, tc.take)
			wantSeqs(t, es, span(1, uint64(n))...)
			for i, e := range es {
				if want := realisticBatch(uint64(i + 1)); !sameBatch(e.Batch, want) {
					t.Fatalf("entry %d differs from what was appended", i)
				}
			}
			if !es[0].Received.Equal(t0) {
				t.Errorf("received %v, want %v", es[0].Received, t0)
			}
			if err := ob.Ack(es); err != nil {
				t.Fatal(err)
			}
			if st := ob.Stats(); st.Entries != 0 || !st.Oldest.IsZero() {
				t.Errorf("stats after acking everything: %+v", st)
			}
			// Only the active segment may remain, all delivered.
			if got := len(segFiles(t, dir)); got != 1 {
				t.Errorf("%d segment files after acking everything, want the active one", got)
			}
		})
	}
}

func TestNextWaits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		wake    func(ob *Outbox, cancel context.CancelFunc) error
		wantErr error
	}{
		{"append", func(ob *Outbox, _ context.CancelFunc) error { return ob.Append(batches(1, 1), t0) }, nil},
		{"context cancelled", func(_ *Outbox, cancel context.CancelFunc) error { cancel(); return nil }, context.Canceled},
		{"close", func(ob *Outbox, _ context.CancelFunc) error { return ob.Close() }, ErrClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			synctest.Test(t, func(t *testing.T) {
				ob, err := Open(Options{Dir: dir, NoSync: true})
				if err != nil {
					t.Fatal(err)
				}
				defer ob.Close()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				type result struct {
					es  []Entry
					err error
				}
				done := make(chan result, 1)
				go func() {
					es, err := ob.Next(ctx, 10, 0)
					done <- result{es, err}
				}()
				synctest.Wait() // Next is now blocked: nothing to hand out
				select {
				case r := <-done:
					t.Fatalf("Next returned on an empty outbox: %v %v", r.es, r.err)
				default:
				}
				if err := tc.wake(ob, cancel); err != nil {
					t.Fatal(err)
				}
				r := <-done
				if !errors.Is(r.err, tc.wantErr) {
					t.Fatalf("Next error = %v, want %v", r.err, tc.wantErr)
				}
				if tc.wantErr == nil {
					wantSeqs(t, r.es, 1)
				}
			})
		})
	}
}

func TestNextLimits(t *testing.T) {
	fs := frameSize(t, 1)
	for _, tc := range []struct {
		name       string
		maxEntries int
		maxBytes   int64
		want       int
	}{
		{"entries", 3, 0, 3},
		{"bytes", 100, 2*fs + fs/2, 2},
		{"at least one", 100, 1, 1},
		{"zero entries means one", 0, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ob := openT(t, Options{Dir: t.TempDir(), NoSync: true})
			appendT(t, ob, batches(1, 5)...)
			es, err := ob.Next(context.Background(), tc.maxEntries, tc.maxBytes)
			if err != nil {
				t.Fatal(err)
			}
			wantSeqs(t, es, span(1, uint64(tc.want))...)
		})
	}
}

func TestFullAndReclaim(t *testing.T) {
	fs := frameSize(t, 1)
	dir := t.TempDir()
	// Two records per segment, room for four.
	ob := openT(t, Options{Dir: dir, MaxBytes: 4 * fs, SegmentBytes: 2 * fs})
	for i := range 4 {
		appendT(t, ob, realisticBatch(uint64(i+1)))
	}
	full := func(what string) {
		t.Helper()
		before, files := ob.Stats(), diskBytes(t, dir)
		if err := ob.Append(batches(10, 1), t0); !errors.Is(err, ErrFull) {
			t.Fatalf("%s: append = %v, want ErrFull", what, err)
		}
		if after := ob.Stats(); after != before || diskBytes(t, dir) != files {
			t.Fatalf("%s: a refused append changed the outbox: %+v -> %+v", what, before, after)
		}
	}
	full("four records in")
	if st := ob.Stats(); st.Bytes != 4*fs || st.Entries != 4 || !st.Oldest.Equal(t0) {
		t.Errorf("stats = %+v, want %d bytes, 4 entries, oldest %v", st, 4*fs, t0)
	}
	es := nextT(t, ob, 10)
	if err := ob.Ack(es[:1]); err != nil {
		t.Fatal(err)
	}
	full("half a segment acked") // space only comes back a whole segment at a time
	if err := ob.Ack(es[1:2]); err != nil {
		t.Fatal(err)
	}
	if st := ob.Stats(); st.Bytes != 2*fs || st.Entries != 2 {
		t.Errorf("stats after acking the first segment = %+v", st)
	}
	appendT(t, ob, batches(5, 2)...)
	full("full again")
	// Everything delivered, including the segment still being written: that one
	// is retired by the Append that needs its space.
	rest := append(es[2:], nextT(t, ob, 10)...)
	wantSeqs(t, rest, 3, 4, 5, 6)
	if err := ob.Ack(rest); err != nil {
		t.Fatal(err)
	}
	appendT(t, ob, batches(7, 4)...)
	wantSeqs(t, nextT(t, ob, 10), 7, 8, 9, 10)
	if got := testCounter(ob.m.full); got != 3 {
		t.Errorf("full_total = %v, want 3", got)
	}
}

func diskBytes(t *testing.T, dir string) int64 {
	var n int64
	for _, p := range segFiles(t, dir) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

func TestRewind(t *testing.T) {
	ob := openT(t, Options{Dir: t.TempDir(), SegmentBytes: 3 * frameSize(t, 1), NoSync: true})
	appendT(t, ob, batches(1, 8)...)
	first, err := ob.Next(context.Background(), 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ob.Next(context.Background(), 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantSeqs(t, append(first, second...), 1, 2, 3, 4, 5, 6)
	if err := ob.Ack([]Entry{first[1], second[0]}); err != nil {
		t.Fatal(err)
	}
	ob.Rewind()
	wantSeqs(t, nextT(t, ob, 100), 1, 3, 5, 6, 7, 8)
	if st := ob.Stats(); st.Entries != 6 {
		t.Errorf("entries = %d, want 6", st.Entries)
	}
}

func TestAckIsIdempotent(t *testing.T) {
	ob := openT(t, Options{Dir: t.TempDir(), NoSync: true})
	appendT(t, ob, batches(1, 3)...)
	es := nextT(t, ob, 10)
	for range 2 {
		if err := ob.Ack(append(es[:1], Entry{})); err != nil {
			t.Fatal(err)
		}
	}
	if st := ob.Stats(); st.Entries != 2 {
		t.Errorf("entries = %d after acking one entry twice, want 2", st.Entries)
	}
	if got := testCounter(ob.m.acked); got != 1 {
		t.Errorf("acked_total = %v, want 1", got)
	}
}

func TestClosed(t *testing.T) {
	ob := openT(t, Options{Dir: t.TempDir(), NoSync: true})
	appendT(t, ob, batches(1, 1)...)
	es := nextT(t, ob, 1)
	for range 2 {
		if err := ob.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := ob.Append(batches(2, 1), t0); !errors.Is(err, ErrClosed) {
		t.Errorf("append after close = %v", err)
	}
	if _, err := ob.Next(context.Background(), 1, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("next after close = %v", err)
	}
	if err := ob.Ack(es); !errors.Is(err, ErrClosed) {
		t.Errorf("ack after close = %v", err)
	}
}

func TestSecondOpenRefused(t *testing.T) {
	dir := t.TempDir()
	openT(t, Options{Dir: dir})
	if ob, err := Open(Options{Dir: dir}); err == nil {
		ob.Close()
		t.Fatal("a second Open of the same directory succeeded")
	}
}

// TestConcurrent runs a writer, a drainer and a scraper at once over small
// segments (so segments roll and are deleted under load); with -race it checks
// the locking, and every batch must come out once, in order.
func TestConcurrent(t *testing.T) {
	const total = 400
	ob := openT(t, Options{Dir: t.TempDir(), SegmentBytes: 8 * frameSize(t, 1), MaxBytes: 64 * frameSize(t, 1), NoSync: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	errc := make(chan error, 2)
	go func() { // writer: retries on ErrFull like an agent after a 429
		defer wg.Done()
		for n := 1; n <= total; {
			g := min(1+n%5, total-n+1)
			err := ob.Append(batches(n, g), t0)
			if errors.Is(err, ErrFull) {
				continue
			}
			if err != nil {
				errc <- err
				return
			}
			n += g
		}
	}()
	go func() { // scraper
		defer wg.Done()
		for ctx.Err() == nil {
			_ = ob.Stats()
		}
	}()
	next := uint64(1)
	for next <= total {
		es, err := ob.Next(ctx, 7, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Batch.Seq != next {
				t.Fatalf("got batch %d, want %d", e.Batch.Seq, next)
			}
			next++
		}
		if err := ob.Ack(es); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if st := ob.Stats(); st.Entries != 0 {
		t.Errorf("entries = %d after draining everything", st.Entries)
	}
}

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
)

func TestDuplicateBatch(t *testing.T) {
	s := openTest(t)
	b1 := batch("a", 1, "h", event(t0, nil, "f", 1.0, "g", 2.0))
	b2 := batch("a", 2, "h", event(t0.Add(10*time.Second), nil, "f", 3.0))

	res := write(t, s, t0, b1, b2)
	want := []store.WriteResult{{DurableSeq: 2}, {DurableSeq: 2}}
	if fmt.Sprint(res) != fmt.Sprint(want) {
		t.Errorf("first write = %+v, want %+v", res, want)
	}
	if got := count(t, s, "samples"); got != 3 {
		t.Fatalf("samples = %d, want 3", got)
	}

	// Resend b1 with a changed value: it must be recognised by its key alone
	// and nothing of it written.
	again := batch("a", 1, "h", event(t0.Add(time.Second), nil, "f", 9.0, "new", 1.0))
	res = write(t, s, t0.Add(time.Minute), again)
	if !res[0].Duplicate || res[0].DurableSeq != 2 {
		t.Errorf("resend = %+v, want duplicate with durable seq 2", res[0])
	}
	if got := count(t, s, "samples"); got != 3 {
		t.Errorf("samples after resend = %d, want 3", got)
	}
	if got := count(t, s, "series"); got != 2 {
		t.Errorf("series after resend = %d, want 2", got)
	}
	hosts, _ := s.Hosts(context.Background())
	if len(hosts) != 1 || !hosts[0].LastSeen.Equal(t0) {
		t.Errorf("a duplicate touched the host: %+v", hosts)
	}
	st := s.Stats()
	if st.Batches != 2 || st.DuplicateBatches != 1 || st.Samples != 3 || st.SamplesIgnored != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestDuplicateInSameCall(t *testing.T) {
	s := openTest(t)
	b := batch("a", 7, "h", event(t0, nil, "f", 1.0, "g", 2.0))
	other := batch("b", 3, "h2", event(t0, nil, "f", 1.0))
	res := write(t, s, t0, b, other, b)
	want := []store.WriteResult{{DurableSeq: 7}, {DurableSeq: 3}, {Duplicate: true, DurableSeq: 7}}
	if fmt.Sprint(res) != fmt.Sprint(want) {
		t.Errorf("results = %+v, want %+v", res, want)
	}
	if got := count(t, s, "samples"); got != 3 {
		t.Errorf("samples = %d, want 3", got)
	}
	if got := count(t, s, "batches"); got != 2 {
		t.Errorf("batches = %d, want 2", got)
	}
}

func TestDurableSeqIsHighestStored(t *testing.T) {
	s := openTest(t)
	ev := event(t0, nil, "f", 1.0)
	tests := []struct {
		seqs []uint64
		want []store.WriteResult
	}{
		{[]uint64{5}, []store.WriteResult{{DurableSeq: 5}}},
		// Out of order: a late lower seq is stored, the durable seq stays.
		{[]uint64{3, 6}, []store.WriteResult{{DurableSeq: 6}, {DurableSeq: 6}}},
		{[]uint64{5}, []store.WriteResult{{Duplicate: true, DurableSeq: 6}}},
	}
	for i, tt := range tests {
		var bs []*model.Batch
		for _, q := range tt.seqs {
			bs = append(bs, batch("a", q, "h", ev))
		}
		if res := write(t, s, t0, bs...); fmt.Sprint(res) != fmt.Sprint(tt.want) {
			t.Errorf("step %d: %+v, want %+v", i, res, tt.want)
		}
	}
}

func TestSameTimestampTwiceIsIgnoredAndCounted(t *testing.T) {
	s := openTest(t)
	dims := map[string]string{"d": "x"}
	write(t, s, t0, batch("a", 1, "h", event(t0, dims, "f", 1.0), event(t0, dims, "f", 2.0)))
	if got := count(t, s, "samples"); got != 1 {
		t.Errorf("samples = %d, want 1", got)
	}
	if st := s.Stats(); st.SamplesIgnored != 1 || st.Samples != 1 {
		t.Errorf("stats = %+v, want 1 stored 1 ignored", st)
	}
}

func TestRejectsBadInput(t *testing.T) {
	good := batch("a", 1, "h", event(t0, nil, "f", 1.0))
	tests := []struct {
		name string
		b    *model.Batch
		want string
	}{
		{"NaN", batch("a", 2, "h", event(t0, nil, "f", math.NaN())), "not a finite number"},
		{"+Inf", batch("a", 2, "h", event(t0, nil, "f", math.Inf(1))), "not a finite number"},
		{"-Inf", batch("a", 2, "h", event(t0, nil, "f", math.Inf(-1))), "not a finite number"},
		{"nil batch", nil, "nil batch"},
		{"no agent", batch("", 2, "h"), "empty agent id"},
		{"no host", batch("a", 2, ""), "empty host name"},
		{"empty field", batch("a", 2, "h", event(t0, nil, "", 1.0)), "empty field name"},
		{"seq overflow", batch("a", math.MaxUint64, "h"), "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			_, err := s.WriteBatches(context.Background(), []*model.Batch{good, tt.b}, t0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("WriteBatches = %v, want error containing %q", err, tt.want)
			}
			for _, table := range []string{"samples", "batches", "hosts", "series", "agents"} {
				if n := count(t, s, table); n != 0 {
					t.Errorf("%s has %d rows after a refused call", table, n)
				}
			}
		})
	}
}

// TestFailedWriteLeavesNothing makes the samples insert fail half way through
// a call (a trigger refuses one value) and checks that nothing of the call is
// left: not the earlier batch's rows, and not its new series in the cache.
func TestFailedWriteLeavesNothing(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	write(t, s, t0, batch("old", 1, "old", event(t0, nil, "f", 1.0)))
	if _, err := s.wdb.Exec(`CREATE TRIGGER fail BEFORE INSERT ON samples WHEN NEW.value = -666
		BEGIN SELECT RAISE(ABORT, 'injected failure'); END`); err != nil {
		t.Fatal(err)
	}
	dims := map[string]string{"k": "v"}
	first := batch("a", 1, "h", event(t0, dims, "f", 1.0, "g", 2.0))
	bad := batch("b", 1, "h2", event(t0, nil, "f", -666.0))
	before := map[string]int{}
	for _, table := range []string{"samples", "batches", "hosts", "series", "agents"} {
		before[table] = count(t, s, table)
	}
	cached := s.w.cached

	_, err := s.WriteBatches(ctx, []*model.Batch{first, bad}, t0)
	if err == nil || !strings.Contains(err.Error(), "injected failure") || !strings.Contains(err.Error(), "write batches") {
		t.Fatalf("WriteBatches = %v, want the injected failure", err)
	}
	for table, n := range before {
		if got := count(t, s, table); got != n {
			t.Errorf("%s: %d rows after a failed call, want %d", table, got, n)
		}
	}
	if s.w.cached != cached || len(s.w.created) != 0 {
		t.Errorf("series cache grew from %d to %d (created %d) on a rolled-back call", cached, s.w.cached, len(s.w.created))
	}

	// The same batch goes through afterwards, and its samples are readable
	// under their series: ids handed out by the rolled-back call were not kept.
	if _, err := s.wdb.Exec(`DROP TRIGGER fail`); err != nil {
		t.Fatal(err)
	}
	if res := write(t, s, t0, first); res[0].Duplicate {
		t.Fatal("retry after rollback reported as duplicate")
	}
	got, err := s.Series(ctx, store.SeriesQuery{Host: "h", Field: "g"})
	if err != nil || len(got) != 1 || len(got[0].Points) != 1 || got[0].Points[0].Value != 2.0 {
		t.Errorf("Series after retry = %+v, %v", got, err)
	}
}

func TestCancelledWriteLeavesNothing(t *testing.T) {
	s := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.WriteBatches(ctx, []*model.Batch{batch("a", 1, "h", event(t0, nil, "f", 1.0))}, t0)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("WriteBatches with a cancelled context = %v, want context.Canceled", err)
	}
	if n := count(t, s, "batches") + count(t, s, "samples"); n != 0 {
		t.Errorf("%d rows written by a cancelled call", n)
	}
}

// TestCancelMidWrite cancels while a big call is running. Whatever moment the
// cancel lands, the call either committed entirely or left nothing.
func TestCancelMidWrite(t *testing.T) {
	s := openTest(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var bs []*model.Batch
	for i := range 64 {
		h := newSynthHost(i, rng)
		h.next(1, ms(t0))
		bs = append(bs, h.clone())
	}
	total := 0
	for _, b := range bs {
		total += b.Samples()
	}
	for _, delay := range []time.Duration{0, 100 * time.Microsecond, time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond, 80 * time.Millisecond, time.Second} {
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(delay, cancel)
		_, err := s.WriteBatches(ctx, bs, t0)
		timer.Stop()
		cancel()
		n, batches, series := count(t, s, "samples"), count(t, s, "batches"), count(t, s, "series")
		switch {
		case err == nil && (n != total || batches != len(bs)):
			t.Fatalf("delay %v: committed with %d samples, %d batches; want %d, %d", delay, n, batches, total, len(bs))
		case err != nil && n+batches+series != 0:
			t.Fatalf("delay %v: failed (%v) but left %d samples, %d batches, %d series", delay, err, n, batches, series)
		case err == nil:
			return // committed before the cancel; nothing left to try
		}
	}
}

func TestConcurrentWrites(t *testing.T) {
	s := openTest(t)
	const writers, calls, perCall = 8, 10, 3
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for g := range writers {
		wg.Go(func() {
			agent, host := fmt.Sprintf("agent-%d", g), fmt.Sprintf("host-%d", g)
			seq := uint64(0)
			for c := range calls {
				var bs []*model.Batch
				for range perCall {
					seq++
					ts := t0.Add(time.Duration(seq) * 10 * time.Second)
					bs = append(bs, batch(agent, seq, host,
						event(ts, nil, "cpu", float64(seq)),
						event(ts, map[string]string{"if": "eth0"}, "in", 1.0, "out", 2.0)))
				}
				res, err := s.WriteBatches(context.Background(), bs, t0.Add(time.Duration(c)*time.Second))
				if err != nil {
					errs <- err
					return
				}
				for _, r := range res {
					if r.Duplicate || r.DurableSeq != seq {
						errs <- fmt.Errorf("%s: result %+v, want durable seq %d", agent, r, seq)
						return
					}
				}
			}
		})
	}
	// Readers run alongside: WAL gives them a snapshot without waiting.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		ctx := context.Background()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Hosts(ctx); err != nil {
				errs <- err
				return
			}
			_, err := s.Series(ctx, store.SeriesQuery{Host: "host-0", Field: "cpu"})
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := count(t, s, "samples"), writers*calls*perCall*3; got != want {
		t.Errorf("samples = %d, want %d", got, want)
	}
	if got, want := count(t, s, "series"), writers*3; got != want {
		t.Errorf("series = %d, want %d", got, want)
	}
	if got := count(t, s, "hosts"); got != writers {
		t.Errorf("hosts = %d, want %d", got, writers)
	}
}

func TestBigBatch(t *testing.T) {
	s := openTest(t)
	// 10,000 samples in one batch: 1,000 events of 10 fields, one dim each.
	// 10,000 is not a multiple of the chunk, so the remainder path runs too.
	b := batch("a", 1, "h")
	for i := range 1000 {
		e := event(t0, map[string]string{"process.pid": fmt.Sprint(i)})
		for f := range 10 {
			e.Values[fmt.Sprintf("field.%d", f)] = float64(i*10 + f)
		}
		b.Events = append(b.Events, e)
	}
	write(t, s, t0, b)
	if got := count(t, s, "samples"); got != 10000 {
		t.Errorf("samples = %d, want 10000", got)
	}
	var sum float64
	if err := s.rdb.QueryRow("SELECT sum(value) FROM samples").Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if sum != 9999*10000/2 {
		t.Errorf("sum of values = %v, want %v: a sample landed in the wrong row", sum, 9999*10000/2)
	}
	got, err := s.Series(context.Background(), store.SeriesQuery{Host: "h", Field: "field.3"})
	if err != nil || len(got) != 1000 {
		t.Fatalf("Series = %d series, %v", len(got), err)
	}
}

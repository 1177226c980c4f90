package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/model"
)

func TestEventsQuery(t *testing.T) {
	s := openTest(t)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	// Seqs 1..6. Seq 4 is recorded late (its time is before seq 3's), and
	// seqs 5 and 6 share a millisecond.
	save(t, s, alert.BucketRules, nil, nil,
		stateEvent(at(0), alert.EventState, "a", "web-1"),   // 1
		stateEvent(at(10), alert.EventNotify, "a", "web-1"), // 2
		stateEvent(at(20), alert.EventState, "b", "web-2"))  // 3
	save(t, s, alert.BucketRules, nil, nil,
		stateEvent(at(15), alert.EventState, "c", ""),       // 4
		stateEvent(at(30), alert.EventNotify, "b", "web-2"), // 5
		stateEvent(at(30), alert.EventState, "a", "web-1"))  // 6
	tests := []struct {
		name string
		q    alert.EventQuery
		want []int64
	}{
		{"all, newest first by time", alert.EventQuery{}, []int64{6, 5, 3, 4, 2, 1}},
		{"alert", alert.EventQuery{AlertID: "a"}, []int64{6, 2, 1}},
		{"host", alert.EventQuery{Host: "web-2"}, []int64{5, 3}},
		{"kind", alert.EventQuery{Kind: alert.EventNotify}, []int64{5, 2}},
		{"from is inclusive", alert.EventQuery{From: at(15)}, []int64{6, 5, 3, 4}},
		{"to is exclusive", alert.EventQuery{To: at(15)}, []int64{2, 1}},
		{"from and to", alert.EventQuery{From: at(10), To: at(30)}, []int64{3, 4, 2}},
		{"alert and kind", alert.EventQuery{AlertID: "a", Kind: alert.EventState}, []int64{6, 1}},
		{"alert and host", alert.EventQuery{AlertID: "b", Host: "web-1"}, nil},
		{"host and time", alert.EventQuery{Host: "web-1", From: at(5), To: at(31)}, []int64{6, 2}},
		{"limit keeps the newest", alert.EventQuery{Limit: 2}, []int64{6, 5}},
		{"unknown alert", alert.EventQuery{AlertID: "zzz"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := events(t, s, tt.q)
			if got == nil {
				t.Error("Events returned nil, want an empty slice for JSON's []")
			}
			if g := seqs(got); !slices.Equal(g, tt.want) && !(len(g) == 0 && len(tt.want) == 0) {
				t.Errorf("seqs = %v, want %v", g, tt.want)
			}
		})
	}
}

// TestEventsMatchMemStore runs random queries over random history against
// both StateStores: the SQL must select what alert.EventQuery.Match says.
// Times are whole milliseconds and increasing, where the two agree on order.
func TestEventsMatchMemStore(t *testing.T) {
	s, mem := openTest(t), alert.NewMemStore()
	rng := rand.New(rand.NewPCG(3, 4))
	ids, hosts := []string{"a", "b", "c", "d"}, []string{"", "web-1", "web-2"}
	kinds := []alert.EventKind{alert.EventState, alert.EventNotify, "silence"}
	ts := t0
	for range 40 {
		var batch []alert.Event
		for range 1 + rng.IntN(10) {
			ts = ts.Add(time.Duration(rng.IntN(3)) * time.Second) // some share a time
			batch = append(batch, stateEvent(ts, kinds[rng.IntN(len(kinds))], ids[rng.IntN(len(ids))], hosts[rng.IntN(len(hosts))]))
		}
		save(t, s, alert.BucketRules, nil, nil, batch...)
		save(t, mem, alert.BucketRules, nil, nil, batch...)
	}
	span := ts.Sub(t0)
	for i := range 300 {
		q := alert.EventQuery{Limit: rng.IntN(30)}
		if rng.IntN(2) == 0 {
			q.AlertID = ids[rng.IntN(len(ids))]
		}
		if rng.IntN(2) == 0 {
			q.Host = hosts[1+rng.IntN(len(hosts)-1)]
		}
		if rng.IntN(3) == 0 {
			q.Kind = kinds[rng.IntN(len(kinds))]
		}
		if rng.IntN(2) == 0 {
			q.From = t0.Add(time.Duration(rng.Int64N(int64(span))) / time.Second * time.Second)
		}
		if rng.IntN(2) == 0 {
			q.To = t0.Add(time.Duration(rng.Int64N(int64(span))) / time.Second * time.Second)
		}
		if g, w := seqs(events(t, s, q)), seqs(events(t, mem, q)); !slices.Equal(g, w) {
			t.Fatalf("query %d %+v: sqlite %v, MemStore %v", i, q, g, w)
		}
	}
}

func TestEventsLimit(t *testing.T) {
	s := openTest(t)
	var es []alert.Event
	for i := range eventsMax + 1 {
		es = append(es, stateEvent(t0.Add(time.Duration(i)*time.Millisecond), alert.EventState, "a", "web-1"))
	}
	save(t, s, alert.BucketRules, nil, nil, es...)
	tests := []struct {
		limit, want int
	}{
		{0, eventsDefault},
		{-1, eventsDefault},
		{5, 5},
		{eventsMax, eventsMax},
		{eventsMax + 1, eventsMax},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			got := events(t, s, alert.EventQuery{Limit: tt.limit})
			if len(got) != tt.want || got[0].Seq != eventsMax+1 {
				t.Errorf("Limit %d: %d events, first seq %d; want %d, newest (%d) first", tt.limit, len(got), got[0].Seq, tt.want, eventsMax+1)
			}
		})
	}
}

// TestAlertQueryPlans: every shape of history query reads newest first from
// an index, without a sort or a table scan.
func TestAlertQueryPlans(t *testing.T) {
	s := openTest(t)
	type shape struct {
		name  string
		query string
		args  []any
	}
	shapes := []shape{
		{"load state", sqlLoadState, []any{"b"}},
		{"delete events", sqlDeleteEvents, []any{1, 1}},
	}
	for mask := range 1 << 5 {
		q := alert.EventQuery{}
		var name []string
		if mask&1 != 0 {
			q.AlertID, name = "a", append(name, "alert")
		}
		if mask&2 != 0 {
			q.Host, name = "h", append(name, "host")
		}
		if mask&4 != 0 {
			q.Kind, name = "k", append(name, "kind")
		}
		if mask&8 != 0 {
			q.From, name = t0, append(name, "from")
		}
		if mask&16 != 0 {
			q.To, name = t0, append(name, "to")
		}
		query, args := eventsQuery(q)
		shapes = append(shapes, shape{"events " + strings.Join(name, "+"), query, args})
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			rows, err := s.rdb.Query("EXPLAIN QUERY PLAN "+sh.query, sh.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			for _, step := range plan {
				fullScan := strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "INDEX")
				if fullScan || strings.Contains(step, "TEMP B-TREE") {
					t.Errorf("plan step %q in\n%s", step, strings.Join(plan, "\n"))
				}
			}
		})
	}
}

// TestAlertStateAlongsideIngest runs SaveState, WriteBatches and history
// reads at once: they share the writer lock, and each must get through.
func TestAlertStateAlongsideIngest(t *testing.T) {
	s := openTest(t)
	const rounds = 30
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	wg.Go(func() {
		for i := range rounds {
			ts := t0.Add(time.Duration(i) * 10 * time.Second)
			if _, err := s.WriteBatches(ctx, []*model.Batch{batch("a", uint64(i+1), "web-1", event(ts, nil, "cpu", 0.5))}, ts); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Go(func() {
		for i := range rounds {
			key := fmt.Sprint(i)
			if err := s.SaveState(ctx, alert.BucketRules, map[string][]byte{key: []byte(key)}, nil,
				[]alert.Event{stateEvent(t0.Add(time.Duration(i)*time.Second), alert.EventState, key, "web-1")}); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Go(func() {
		for range rounds {
			if _, err := s.Events(ctx, alert.EventQuery{Host: "web-1"}); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(load(t, s, alert.BucketRules)); n != rounds {
		t.Errorf("%d keys, want %d", n, rounds)
	}
	if n := len(events(t, s, alert.EventQuery{})); n != rounds {
		t.Errorf("%d events, want %d", n, rounds)
	}
	if n := count(t, s, "batches"); n != rounds {
		t.Errorf("%d batches, want %d", n, rounds)
	}
}

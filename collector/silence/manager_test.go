package silence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// TestPersistence: a new Manager on the same store sees what the first one
// left, including compiled regexps and expiry, and the history has one entry
// per change naming who made it.
func TestPersistence(t *testing.T) {
	ctx := context.Background()
	st, c := alert.NewMemStore(), &clock{t: t0}
	m := newManager(t, st, c, Options{})
	web := create(t, m, silence(t, t0, `host=~"web-.*"`, `alertname!~"Disk.*"`))
	gone := create(t, m, silence(t, t0, `host=db-1`))
	a := ack("a1", alert.Critical)
	a.ExpiresAt = t0.Add(time.Hour)
	acknowledge(t, m, a)
	c.set(t0.Add(time.Minute))
	if err := m.Expire(ctx, gone.ID, "bob"); err != nil {
		t.Fatal(err)
	}

	m2 := newManager(t, st, c, Options{})
	now := t0.Add(2 * time.Minute)
	if got, want := jsonString(t, m2.List(now)), jsonString(t, m.List(now)); got != want {
		t.Errorf("List after reload:\n%s\nwant\n%s", got, want)
	}
	if got, want := jsonString(t, m2.Acks(now)), jsonString(t, m.Acks(now)); got != want {
		t.Errorf("Acks after reload:\n%s\nwant\n%s", got, want)
	}
	if got := m2.Silenced(alert.Labels{"alertname": "Load", "host": "web-7"}, now); len(got) != 1 || got[0] != web.ID {
		t.Errorf("Silenced after reload = %v, want [%s]", got, web.ID)
	}
	if got := m2.Silenced(alert.Labels{"alertname": "DiskFull", "host": "web-7"}, now); got != nil {
		t.Errorf("Silenced(DiskFull) after reload = %v", got)
	}
	if got := m2.Silenced(alert.Labels{"host": "db-1"}, now); got != nil {
		t.Errorf("an expired silence matches after reload: %v", got)
	}
	if _, ok := m2.Acked("a1", alert.Critical, now); !ok {
		t.Error("ack lost on reload")
	}
	if _, ok := m2.Acked("a1", alert.Critical, t0.Add(time.Hour)); ok {
		t.Error("ack expiry lost on reload")
	}

	msgs := history(t, st, EventSilence)
	if len(msgs) != 3 || !strings.Contains(msgs[0], "created by alice") || !strings.Contains(msgs[0], `host=~"web-.*"`) ||
		!strings.Contains(msgs[2], gone.ID+` {host="db-1"} expired by bob`) {
		t.Errorf("silence history = %q", msgs)
	}
	if msgs := history(t, st, EventAck); len(msgs) != 1 || !strings.HasPrefix(msgs[0], "acknowledged (critical) by alice until 2026-03-01T13:00:00Z") {
		t.Errorf("ack history = %q", msgs)
	}
}

func jsonString(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSilenceJSON(t *testing.T) {
	c := &clock{t: t0}
	m := newManager(t, alert.NewMemStore(), c, Options{})
	s := create(t, m, silence(t, t0, `host=~"web-.*"`))
	var got map[string]any
	if err := json.Unmarshal([]byte(jsonString(t, s)), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "matchers", "starts_at", "ends_at", "created_by", "comment", "created_at", "updated_at"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON of a silence lacks %q: %v", k, got)
		}
	}
	if ms, _ := got["matchers"].([]any); len(ms) != 1 || ms[0] != `host=~"web-.*"` {
		t.Errorf("matchers = %v, want the string form", got["matchers"])
	}
}

// failStore fails every SaveState while fail is set.
type failStore struct {
	*alert.MemStore
	fail bool
}

var errInjected = errors.New("injected store failure")

func (f *failStore) SaveState(ctx context.Context, bucket string, put map[string][]byte, del []string, events []alert.Event) error {
	if f.fail {
		return errInjected
	}
	return f.MemStore.SaveState(ctx, bucket, put, del, events)
}

// TestStoreFailureChangesNothing: a change the store refuses leaves the
// Manager as it was.
func TestStoreFailureChangesNothing(t *testing.T) {
	ctx := context.Background()
	st, c := &failStore{MemStore: alert.NewMemStore()}, &clock{t: t0}
	m := newManager(t, st, c, Options{Retention: time.Minute})
	s := create(t, m, silence(t, t0, `host=web-1`))
	acknowledge(t, m, ack("a1", alert.Critical))
	old := create(t, m, silence(t, t0, `host=old`))
	c.set(t0.Add(time.Second))
	if err := m.Expire(ctx, old.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	exp := ack("a2", alert.Critical)
	exp.ExpiresAt = t0.Add(time.Minute)
	acknowledge(t, m, exp)
	m.Acked("a1", alert.Warning, t0.Add(2*time.Second)) // voided, not yet collected
	now := t0.Add(30 * time.Minute)
	before := jsonString(t, []any{m.List(now), m.Acks(now)})

	st.fail = true
	ops := []struct {
		name string
		do   func() error
	}{
		{"create", func() error { _, err := m.Create(ctx, silence(t, t0, `host=web-2`)); return err }},
		{"expire", func() error { return m.Expire(ctx, s.ID, "bob") }},
		{"acknowledge", func() error { _, err := m.Acknowledge(ctx, ack("a3", alert.Critical)); return err }},
		{"unacknowledge", func() error { return m.Unacknowledge(ctx, "a2", "bob") }},
		{"gc", func() error { return m.GC(ctx, now) }},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			if err := op.do(); !errors.Is(err, errInjected) {
				t.Fatalf("%s = %v, want the store's error", op.name, err)
			}
			if after := jsonString(t, []any{m.List(now), m.Acks(now)}); after != before {
				t.Errorf("state changed:\n%s\nwant\n%s", after, before)
			}
			if got := m.Silenced(alert.Labels{"host": "web-1"}, now); len(got) != 1 {
				t.Errorf("Silenced = %v", got)
			}
		})
	}

	// GC that failed left its work for the next run.
	st.fail = false
	if err := m.GC(ctx, now); err != nil {
		t.Fatal(err)
	}
	raw, _ := st.LoadState(ctx, alert.BucketAcks)
	if len(raw) != 0 {
		t.Errorf("acks in store after GC: %d, want 0 (one voided, one expired)", len(raw))
	}
	if _, err := m.Get(old.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(old) after GC = %v, want ErrNotFound", err)
	}
}

func TestGCSilences(t *testing.T) {
	tests := []struct {
		name      string
		retention time.Duration
		want      time.Duration // how long after expiry a silence goes
	}{
		{"default", 0, DefaultRetention},
		{"configured", time.Hour, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st, c := alert.NewMemStore(), &clock{t: t0}
			m := newManager(t, st, c, Options{Retention: tt.retention})
			s := create(t, m, silence(t, t0, `host=web-1`)) // ends at t0+1h
			keep := create(t, m, silence(t, t0, `host=web-2`))
			c.set(t0.Add(30 * time.Minute))
			if err := m.Expire(ctx, keep.ID, "bob"); err != nil {
				t.Fatal(err)
			}
			ended := t0.Add(time.Hour)
			if err := m.GC(ctx, ended.Add(tt.want-time.Nanosecond)); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Get(s.ID); err != nil {
				t.Errorf("deleted before the retention ran out: %v", err)
			}
			if err := m.GC(ctx, ended.Add(tt.want)); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Get(s.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get after retention = %v, want ErrNotFound", err)
			}
			if got := m.List(ended.Add(tt.want)); len(got) != 0 {
				// keep expired half an hour earlier, so it went in the first GC.
				t.Errorf("List after GC = %+v", got)
			}
			if raw, _ := st.LoadState(ctx, alert.BucketSilences); len(raw) != 0 {
				t.Errorf("store holds %d silences after GC", len(raw))
			}
			msgs := history(t, st, EventSilence)
			if len(msgs) != 5 || !strings.Contains(msgs[4], s.ID) || !strings.Contains(msgs[4], "deleted: expired at 2026-03-01T13:00:00Z") {
				t.Errorf("history = %q", msgs)
			}
		})
	}
}

// brokenStore holds undecodable entries, or fails to load.
type brokenStore struct {
	*alert.MemStore
	loadErr error
}

func (b *brokenStore) LoadState(ctx context.Context, bucket string) (map[string][]byte, error) {
	if b.loadErr != nil {
		return nil, b.loadErr
	}
	return b.MemStore.LoadState(ctx, bucket)
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	st, c := alert.NewMemStore(), &clock{t: t0}
	m := newManager(t, st, c, Options{})
	good := create(t, m, silence(t, t0, `host=web-1`))
	acknowledge(t, m, ack("a1", alert.Critical))
	for _, bad := range []struct{ bucket, key, value string }{
		{alert.BucketSilences, "s-bad-json", "{"},
		{alert.BucketSilences, "s-bad-matcher", `{"matchers": ["host=~\"(\""]}`},
		{alert.BucketAcks, "a-bad", `{"severity": "fatal"}`},
	} {
		if err := st.SaveState(ctx, bad.bucket, map[string][]byte{bad.key: []byte(bad.value)}, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	m2 := newManager(t, &brokenStore{MemStore: st}, c, Options{})
	if got := m2.List(t0); len(got) != 1 || got[0].ID != good.ID {
		t.Errorf("List = %+v, want only the decodable silence", got)
	}
	if got := m2.Acks(t0); len(got) != 1 || got[0].AlertID != "a1" {
		t.Errorf("Acks = %+v, want only a1", got)
	}

	_, err := New(ctx, &brokenStore{MemStore: st, loadErr: errInjected}, c.now, nil, Options{})
	if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), "load silences") {
		t.Errorf("New on a failing store = %v", err)
	}
}

// TestConcurrentUse runs Silenced and Acked (dispatch) against Create, Expire,
// Acknowledge and GC (API, scheduler); run it with -race.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: t0}
	m := newManager(t, alert.NewMemStore(), c, Options{Retention: time.Nanosecond})
	const writes = 50
	labels := alert.Labels{"alertname": "DiskFull", "host": "web-1"}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for i := range writes {
			s, err := m.Create(ctx, silence(t, t0, fmt.Sprintf(`host=~"web-%d|web-1"`, i)))
			if err != nil {
				errs <- err
				return
			}
			if i%2 == 0 {
				if err := m.Expire(ctx, s.ID, "bob"); err != nil {
					errs <- err
					return
				}
			}
			if _, err := m.Acknowledge(ctx, ack(fmt.Sprint("a", i%5), alert.Critical)); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := m.GC(ctx, t0.Add(time.Minute)); err != nil {
				errs <- err
				return
			}
		}
	})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				for _, id := range m.Silenced(labels, t0) {
					if id == "" {
						errs <- errors.New("empty silence ID")
						return
					}
				}
				m.Acked("a1", alert.Critical, t0)
				m.List(t0)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(m.Silenced(labels, t0)); got != writes/2 {
		t.Errorf("%d active silences match, want %d", got, writes/2)
	}
}

func hundredSilences(b testing.TB) *Manager {
	c := &clock{t: t0}
	m := newManager(b, alert.NewMemStore(), c, Options{})
	for i := range 100 {
		var ms []string
		switch i % 4 {
		case 0:
			ms = []string{fmt.Sprintf(`host=web-%d`, i)}
		case 1:
			ms = []string{`alertname=DiskFull`, fmt.Sprintf(`host=~"db-%d.*"`, i)}
		case 2:
			ms = []string{fmt.Sprintf(`team=t%d`, i), `severity!=warning`}
		case 3:
			ms = []string{fmt.Sprintf(`mount_point=~"/mnt/%d/.+"`, i), `host!~"web-.*"`}
		}
		create(b, m, silence(b, t0, ms...))
	}
	return m
}

// TestSilencedDoesNotAllocate guards the hot path's promise.
func TestSilencedDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations are not representative under -race; run without it")
	}
	m := hundredSilences(t)
	labels := alert.Labels{"alertname": "DiskFull", "host": "app-3", "mount_point": "/var", "severity": "critical"}
	if got := m.Silenced(labels, t0); got != nil {
		t.Fatalf("Silenced = %v, want no match", got)
	}
	if n := testing.AllocsPerRun(100, func() { m.Silenced(labels, t0) }); n != 0 {
		t.Errorf("Silenced allocates %.0f times when nothing matches", n)
	}
}

func BenchmarkSilenced(b *testing.B) {
	m := hundredSilences(b)
	for _, bc := range []struct {
		name   string
		labels alert.Labels
		match  int
	}{
		{"none", alert.Labels{"alertname": "DiskFull", "host": "app-3", "mount_point": "/var", "severity": "critical"}, 0},
		{"one", alert.Labels{"alertname": "DiskFull", "host": "db-41", "mount_point": "/var", "severity": "critical"}, 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if got := len(m.Silenced(bc.labels, t0)); got != bc.match {
				b.Fatalf("%d matches, want %d", got, bc.match)
			}
			b.ReportAllocs()
			for b.Loop() {
				m.Silenced(bc.labels, t0)
			}
		})
	}
}

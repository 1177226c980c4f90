package silence

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigilmon/vigil/collector/alert"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is an arbitrary fixed instant; tests never read the clock.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is the Manager's injected now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func newManager(t testing.TB, st alert.StateStore, c *clock, o Options) *Manager {
	t.Helper()
	m, err := New(context.Background(), st, c.now, nil, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

func matchers(t testing.TB, ss ...string) alert.Matchers {
	t.Helper()
	var ms alert.Matchers
	for _, s := range ss {
		m, err := alert.ParseMatcher(s)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return ms
}

// silence is a valid silence from now for an hour.
func silence(t testing.TB, now time.Time, ms ...string) Silence {
	return Silence{Matchers: matchers(t, ms...), EndsAt: now.Add(time.Hour), CreatedBy: "alice", Comment: "maintenance"}
}

func create(t testing.TB, m *Manager, s Silence) Silence {
	t.Helper()
	got, err := m.Create(context.Background(), s)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return got
}

func TestSilencedMatching(t *testing.T) {
	web := alert.Labels{"alertname": "DiskFull", "host": "web-1", "mount_point": "/var", "severity": "critical"}
	db := alert.Labels{"alertname": "DiskFull", "host": "db-1", "team": "dba", "severity": "warning"}
	tests := []struct {
		name     string
		matchers []string
		web, db  bool
	}{
		{"equal", []string{`host="web-1"`}, true, false},
		{"not equal", []string{`alertname=DiskFull`, `host!="web-1"`}, false, true},
		{"regexp", []string{`host=~"web-.*"`}, true, false},
		{"regexp is anchored", []string{`host=~"web"`}, false, false},
		{"regexp alternation", []string{`host=~"web-1|db-1"`}, true, true},
		{"not regexp", []string{`alertname=DiskFull`, `host!~"web-.*"`}, false, true},
		{"all must match", []string{`alertname=DiskFull`, `severity=warning`}, false, true},
		{"missing label is empty", []string{`alertname=DiskFull`, `team=""`}, true, false},
		{"missing label differs", []string{`alertname=DiskFull`, `team!=dba`}, true, false},
		{"unknown label value", []string{`team=ops`}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{t: t0}
			m := newManager(t, alert.NewMemStore(), c, Options{})
			s := create(t, m, silence(t, t0, tt.matchers...))
			for _, x := range []struct {
				labels alert.Labels
				want   bool
			}{{web, tt.web}, {db, tt.db}} {
				got := m.Silenced(x.labels, t0.Add(time.Minute))
				if want := []string{s.ID}; x.want != (got != nil) || (x.want && !slices.Equal(got, want)) {
					t.Errorf("Silenced(%s) = %v, want silenced %v", x.labels, got, x.want)
				}
			}
		})
	}
}

func TestSilencedReturnsEveryMatch(t *testing.T) {
	c := &clock{t: t0}
	m := newManager(t, alert.NewMemStore(), c, Options{})
	a := create(t, m, silence(t, t0, `host=web-1`))
	c.set(t0.Add(time.Second))
	create(t, m, silence(t, t0, `host=db-1`))
	c.set(t0.Add(2 * time.Second))
	b := create(t, m, silence(t, t0, `alertname=DiskFull`))
	got := m.Silenced(alert.Labels{"alertname": "DiskFull", "host": "web-1"}, t0.Add(time.Minute))
	if want := []string{a.ID, b.ID}; !slices.Equal(got, want) {
		t.Errorf("Silenced = %v, want %v (in creation order)", got, want)
	}
}

// TestSilenceLifecycle follows a silence from pending through active to
// expired with the clock moving, and the order List gives.
func TestSilenceLifecycle(t *testing.T) {
	c := &clock{t: t0}
	m := newManager(t, alert.NewMemStore(), c, Options{})
	labels := alert.Labels{"alertname": "DiskFull", "host": "web-1"}

	later := silence(t, t0, `host=web-1`)
	later.StartsAt, later.EndsAt = t0.Add(time.Hour), t0.Add(2*time.Hour)
	pending := create(t, m, later)
	if !pending.CreatedAt.Equal(t0) || !pending.UpdatedAt.Equal(t0) || !pending.StartsAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("created %+v: want created and updated at t0, start kept", pending)
	}
	steps := []struct {
		at     time.Duration
		status string
	}{
		{0, StatusPending},
		{time.Hour - time.Nanosecond, StatusPending},
		{time.Hour, StatusActive},
		{2*time.Hour - time.Nanosecond, StatusActive},
		{2 * time.Hour, StatusExpired},
	}
	for _, st := range steps {
		now := t0.Add(st.at)
		if got := pending.Status(now); got != st.status {
			t.Errorf("Status(t0+%v) = %s, want %s", st.at, got, st.status)
		}
		silenced := len(m.Silenced(labels, now)) > 0
		if silenced != (st.status == StatusActive) {
			t.Errorf("Silenced at t0+%v = %v with status %s", st.at, silenced, st.status)
		}
	}

	// List at t0+30m: a newer active one first, then the pending one, then
	// expired ones, newest first within a group.
	c.set(t0.Add(time.Minute))
	old := create(t, m, silence(t, t0.Add(-50*time.Minute), `host=old`)) // ends at t0+10m
	c.set(t0.Add(2 * time.Minute))
	older := create(t, m, silence(t, t0.Add(-55*time.Minute), `host=older`)) // ends at t0+5m
	c.set(t0.Add(3 * time.Minute))
	active := create(t, m, silence(t, t0.Add(3*time.Minute), `host=db-1`))
	var got []string
	for _, s := range m.List(t0.Add(30 * time.Minute)) {
		got = append(got, s.ID)
	}
	if want := []string{active.ID, pending.ID, older.ID, old.ID}; !slices.Equal(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
}

func TestExpire(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: t0}
	m := newManager(t, alert.NewMemStore(), c, Options{})
	labels := alert.Labels{"host": "web-1"}
	active := create(t, m, silence(t, t0, `host=web-1`))
	later := silence(t, t0, `host=web-1`)
	later.StartsAt, later.EndsAt = t0.Add(time.Hour), t0.Add(2*time.Hour)
	pending := create(t, m, later)

	c.set(t0.Add(10 * time.Minute))
	if err := m.Expire(ctx, active.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := m.Expire(ctx, pending.ID, ""); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(10 * time.Minute)
	for _, id := range []string{active.ID, pending.ID} {
		s, err := m.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if s.Status(now) != StatusExpired || !s.EndsAt.Equal(now) || !s.UpdatedAt.Equal(now) || s.StartsAt.After(s.EndsAt) {
			t.Errorf("after Expire: %+v", s)
		}
	}
	if got := m.Silenced(labels, now); got != nil {
		t.Errorf("Silenced after Expire = %v", got)
	}
	// The pending one must not come back at its old start either.
	if got := m.Silenced(labels, t0.Add(90*time.Minute)); got != nil {
		t.Errorf("Silenced at the expired pending silence's old start = %v", got)
	}
	if err := m.Expire(ctx, active.ID, "bob"); !errors.Is(err, ErrExpired) {
		t.Errorf("second Expire = %v, want ErrExpired", err)
	}
	if err := m.Expire(ctx, "nope", "bob"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Expire(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := m.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

func TestCreateValidation(t *testing.T) {
	mustMatcher := func(s string) alert.Matcher {
		m, err := alert.ParseMatcher(s)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	valid := func() Silence { return silence(t, t0, `host=web-1`) }
	tests := []struct {
		name   string
		change func(*Silence)
		want   []string // substrings, one per expected problem
	}{
		{"no matchers", func(s *Silence) { s.Matchers = nil }, []string{"at least one matcher is required"}},
		{"match everything", func(s *Silence) { s.Matchers = alert.Matchers{mustMatcher(`host=~".*"`)} },
			[]string{"must not match an empty label value"}},
		{"only negative matchers", func(s *Silence) {
			s.Matchers = alert.Matchers{mustMatcher(`host!=web-1`), mustMatcher(`team=""`)}
		}, []string{"must not match an empty label value"}},
		{"bad matcher literal", func(s *Silence) {
			s.Matchers = alert.Matchers{{Name: "host", Type: alert.MatchRegexp, Value: "("}}
		}, []string{"matchers[0]: matcher host=~"}},
		{"bad label name", func(s *Silence) {
			s.Matchers = append(s.Matchers, alert.Matcher{Name: "9x", Type: alert.MatchEqual, Value: "1"})
		}, []string{"matchers[1]: invalid label name"}},
		{"no end", func(s *Silence) { s.EndsAt = time.Time{} }, []string{"ends_at is required"}},
		{"ends in the past", func(s *Silence) { s.EndsAt = t0.Add(-time.Minute) }, []string{"ends_at must be in the future"}},
		{"ends now", func(s *Silence) { s.EndsAt = t0 }, []string{"ends_at must be in the future"}},
		{"ends before start", func(s *Silence) { s.StartsAt, s.EndsAt = t0.Add(2*time.Hour), t0.Add(time.Hour) },
			[]string{"ends_at must be after starts_at"}},
		{"no author", func(s *Silence) { s.CreatedBy = " " }, []string{"created_by is required"}},
		{"no comment", func(s *Silence) { s.Comment = "" }, []string{"comment is required"}},
		{"id given", func(s *Silence) { s.ID = "mine" }, []string{"id is assigned"}},
		{"everything wrong", func(s *Silence) { *s = Silence{} }, []string{
			"at least one matcher is required", "ends_at is required", "created_by is required", "comment is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{t: t0}
			st := alert.NewMemStore()
			m := newManager(t, st, c, Options{})
			s := valid()
			tt.change(&s)
			_, err := m.Create(context.Background(), s)
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("Create = %v, want *InvalidError", err)
			}
			if len(inv.Problems) != len(tt.want) {
				t.Errorf("problems %q, want %d: %q", inv.Problems, len(tt.want), tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if got := m.List(t0); len(got) != 0 {
				t.Errorf("an invalid silence was kept: %+v", got)
			}
			if evs, _ := st.Events(context.Background(), alert.EventQuery{}); len(evs) != 0 {
				t.Errorf("an invalid silence was recorded: %+v", evs)
			}
		})
	}
}

func TestCreateStartsNow(t *testing.T) {
	c := &clock{t: t0}
	m := newManager(t, alert.NewMemStore(), c, Options{})
	for _, start := range []time.Time{{}, t0.Add(-time.Hour)} {
		s := silence(t, t0, `host=web-1`)
		s.StartsAt = start
		got := create(t, m, s)
		if !got.StartsAt.Equal(t0) || got.ID == "" || got.Status(t0) != StatusActive {
			t.Errorf("StartsAt %v: created %+v, want started at t0 with an ID", start, got)
		}
	}
	ids := map[string]bool{}
	for _, s := range m.List(t0) {
		ids[s.ID] = true
	}
	if len(ids) != 2 {
		t.Errorf("IDs not unique: %v", ids)
	}
}

// TestReturnedSilenceIsACopy: changing what Create, Get or List returned
// does not change what the Manager matches.
func TestReturnedSilenceIsACopy(t *testing.T) {
	c := &clock{t: t0}
	m := newManager(t, alert.NewMemStore(), c, Options{})
	s := create(t, m, silence(t, t0, `host=web-1`))
	s.Matchers[0] = matchers(t, `host=db-1`)[0]
	g, _ := m.Get(s.ID)
	g.Matchers[0] = matchers(t, `host=db-1`)[0]
	m.List(t0)[0].Matchers[0] = matchers(t, `host=db-1`)[0]
	if got := m.Silenced(alert.Labels{"host": "web-1"}, t0); len(got) != 1 {
		t.Errorf("Silenced = %v after changing returned copies", got)
	}
}

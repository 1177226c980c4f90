package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

func stateEvent(ts time.Time, kind alert.EventKind, id, host string) alert.Event {
	e := alert.Event{Time: ts, Kind: kind, AlertID: id, Rule: "DiskFull",
		Labels: alert.Labels{alert.LabelAlertname: "DiskFull"}}
	if host != "" {
		e.Labels[alert.LabelHost] = host
	}
	if kind == alert.EventState {
		e.From, e.To, e.Severity, e.Value = alert.Pending, alert.Firing, alert.Critical, 0.97
	} else {
		e.Receiver, e.Integration, e.Attempt, e.Result = "ops", "email", 1, alert.ResultOK
	}
	return e
}

func save(t testing.TB, s alert.StateStore, bucket string, put map[string][]byte, del []string, events ...alert.Event) {
	t.Helper()
	if err := s.SaveState(context.Background(), bucket, put, del, events); err != nil {
		t.Fatalf("SaveState: %v", err)
	}
}

func load(t testing.TB, s alert.StateStore, bucket string) map[string]string {
	t.Helper()
	m, err := s.LoadState(context.Background(), bucket)
	if err != nil {
		t.Fatalf("LoadState: %v", err)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func events(t testing.TB, s alert.StateStore, q alert.EventQuery) []alert.Event {
	t.Helper()
	got, err := s.Events(context.Background(), q)
	if err != nil {
		t.Fatalf("Events(%+v): %v", q, err)
	}
	return got
}

func seqs(es []alert.Event) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAlertStateRoundTrip(t *testing.T) {
	s := openTest(t)
	save(t, s, alert.BucketRules, map[string][]byte{"a": []byte(`{"n":1}`), "b": []byte("B"), "nil": nil}, nil)
	save(t, s, alert.BucketAcks, map[string][]byte{"a": []byte("other bucket")}, nil)
	if got, want := load(t, s, alert.BucketRules), map[string]string{"a": `{"n":1}`, "b": "B", "nil": ""}; !maps.Equal(got, want) {
		t.Errorf("after first save: %v, want %v", got, want)
	}
	// Overwrite, delete, and a key in both put and del: the delete wins.
	save(t, s, alert.BucketRules, map[string][]byte{"a": []byte("A2"), "c": []byte("C")}, []string{"b", "c", "never"})
	if got, want := load(t, s, alert.BucketRules), map[string]string{"a": "A2", "nil": ""}; !maps.Equal(got, want) {
		t.Errorf("after second save: %v, want %v", got, want)
	}
	if got, want := load(t, s, alert.BucketAcks), map[string]string{"a": "other bucket"}; !maps.Equal(got, want) {
		t.Errorf("other bucket: %v, want %v", got, want)
	}
	if got := load(t, s, "unknown"); len(got) != 0 {
		t.Errorf("unknown bucket: %v", got)
	}

	// Events only, and events with state: each gets the next seq, and every
	// field comes back.
	e1 := stateEvent(t0, alert.EventState, "id1", "web-1")
	e1.Message = "disk full: 97%"
	e2 := stateEvent(t0.Add(time.Second), alert.EventNotify, "id1", "web-1")
	e2.Error = "smtp: 451"
	save(t, s, alert.BucketRules, nil, nil, e1)
	save(t, s, alert.BucketNotifyLog, map[string][]byte{"k": []byte("v")}, nil, e2)
	got := events(t, s, alert.EventQuery{})
	e1.Seq, e2.Seq = 1, 2
	if g, w := jsonOf(t, got), jsonOf(t, []alert.Event{e2, e1}); g != w {
		t.Errorf("Events =\n%s\nwant\n%s", g, w)
	}
}

// snapshot is everything SaveState can change, for before/after comparisons.
func snapshot(t testing.TB, s *Store) string {
	t.Helper()
	var b strings.Builder
	rows, err := s.wdb.Query(`SELECT bucket, key, value FROM alert_state ORDER BY bucket, key`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var bucket, key, value string
		if err := rows.Scan(&bucket, &key, &value); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s/%s=%s\n", bucket, key, value)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	var n, maxSeq int64
	if err := s.wdb.QueryRow(`SELECT count(*), coalesce(max(seq), 0) FROM alert_events`).Scan(&n, &maxSeq); err != nil {
		t.Fatal(err)
	}
	var next int64
	if err := s.wdb.QueryRow(`SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'alert_events'`).Scan(&next); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "events=%d max_seq=%d sequence=%d\n", n, maxSeq, next)
	return b.String()
}

// TestSaveStateAtomic fails calls in several ways, one of them in the middle
// of the transaction (a trigger refuses the second event after the puts,
// deletes and first event went in), and checks that nothing of the call is
// left: state, history and the seq counter are as before.
func TestSaveStateAtomic(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	boom := stateEvent(t0, "boom", "id2", "web-2")
	nan := stateEvent(t0, alert.EventState, "id2", "web-2")
	nan.Value = math.NaN()
	tests := []struct {
		name    string
		ctx     context.Context
		close   bool
		bucket  string
		events  []alert.Event
		wantErr string
	}{
		{name: "failure midway", ctx: context.Background(), bucket: alert.BucketRules,
			events: []alert.Event{stateEvent(t0, alert.EventState, "id2", "web-2"), boom}, wantErr: "injected failure"},
		{name: "cancelled context", ctx: cancelled, bucket: alert.BucketRules,
			events: []alert.Event{stateEvent(t0, alert.EventState, "id2", "web-2")}, wantErr: context.Canceled.Error()},
		{name: "closed store", ctx: context.Background(), close: true, bucket: alert.BucketRules,
			events: []alert.Event{stateEvent(t0, alert.EventState, "id2", "web-2")}, wantErr: ErrClosed.Error()},
		{name: "value not finite", ctx: context.Background(), bucket: alert.BucketRules,
			events: []alert.Event{stateEvent(t0, alert.EventState, "id2", "web-2"), nan}, wantErr: "not a finite number"},
		{name: "empty bucket", ctx: context.Background(), bucket: "", wantErr: "empty bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "vigil.db")
			s := openAt(t, path, Options{})
			save(t, s, alert.BucketRules, map[string][]byte{"keep": []byte("1"), "gone": []byte("2")}, nil,
				stateEvent(t0, alert.EventState, "id1", "web-1"))
			if _, err := s.wdb.Exec(`CREATE TRIGGER fail BEFORE INSERT ON alert_events WHEN NEW.kind = 'boom'
				BEGIN SELECT RAISE(ABORT, 'injected failure'); END`); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, s)
			if tt.close {
				s.Close()
			}
			err := s.SaveState(tt.ctx, tt.bucket, map[string][]byte{"keep": []byte("changed"), "new": []byte("3")},
				[]string{"gone"}, tt.events)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "save alert state") {
				t.Fatalf("SaveState = %v, want an error with %q", err, tt.wantErr)
			}
			if tt.close {
				// The file is what a restart sees.
				s = openAt(t, path, Options{})
			}
			if after := snapshot(t, s); after != before {
				t.Errorf("a failed call changed the store:\nbefore\n%s\nafter\n%s", before, after)
			}
			// The writer was handed back, and seqs carry on without a gap.
			save(t, s, alert.BucketRules, nil, nil, stateEvent(t0, alert.EventState, "id3", "web-3"))
			if got := seqs(events(t, s, alert.EventQuery{})); !slices.Equal(got, []int64{2, 1}) {
				t.Errorf("seqs after the failed call = %v, want [2 1]", got)
			}
		})
	}
}

func TestAlertStateClosed(t *testing.T) {
	s := openTest(t)
	s.Close()
	ctx := context.Background()
	if _, err := s.LoadState(ctx, alert.BucketRules); !errors.Is(err, ErrClosed) {
		t.Errorf("LoadState after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Events(ctx, alert.EventQuery{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Events after Close: %v, want ErrClosed", err)
	}
}

func TestAlertStateSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := openAt(t, path, Options{})
	save(t, s, alert.BucketSilences, map[string][]byte{"s1": []byte("silence")}, nil,
		stateEvent(t0, "silence", "", ""), stateEvent(t0, alert.EventState, "a", "web-1"))
	// Retention then takes the newest event: its seq must not come back.
	save(t, s, alert.BucketRules, nil, nil, stateEvent(t0.Add(-time.Hour), alert.EventState, "old", ""))
	if _, err := s.DeleteBefore(context.Background(), t0.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, Options{})
	if got := load(t, s, alert.BucketSilences); !maps.Equal(got, map[string]string{"s1": "silence"}) {
		t.Errorf("state after reopen = %v", got)
	}
	save(t, s, alert.BucketRules, nil, nil, stateEvent(t0.Add(time.Minute), alert.EventNotify, "a", "web-1"))
	if got := seqs(events(t, s, alert.EventQuery{})); !slices.Equal(got, []int64{4, 2, 1}) {
		t.Errorf("seqs after reopen = %v, want [4 2 1]", got)
	}
}

func TestAlertEventsRetention(t *testing.T) {
	for _, chunk := range []int64{deleteRows, 3, 1} {
		t.Run(fmt.Sprint(chunk), func(t *testing.T) {
			s := openTest(t)
			s.retentionRows = chunk
			var es []alert.Event
			for i := range 20 {
				es = append(es, stateEvent(t0.Add(time.Duration(i-20)*time.Minute), alert.EventState, "a", "web-1"))
			}
			save(t, s, alert.BucketRules, map[string][]byte{"old": []byte("kept")}, nil, es...)
			writeHistory(t, s, 3) // from t0 on
			samples := count(t, s, "samples")

			// Events at -20..-1 minutes; those at -20..-12 go.
			if _, err := s.DeleteBefore(context.Background(), t0.Add(-12*time.Minute+time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			got := events(t, s, alert.EventQuery{})
			if len(got) != 11 || got[len(got)-1].Seq != 10 {
				t.Errorf("after retention: seqs %v; want 11 events, the oldest seq 10", seqs(got))
			}
			if got := load(t, s, alert.BucketRules); got["old"] != "kept" {
				t.Errorf("retention touched alert state: %v", got)
			}
			if got := count(t, s, "samples"); got != samples {
				t.Errorf("samples %d -> %d: the cutoff is before all of them", samples, got)
			}
		})
	}
}

// TestMigrateToAlertState opens a database as version 1 left it: the metric
// tables with data, no alert tables.
func TestMigrateToAlertState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	s := openAt(t, path, Options{})
	write(t, s, t0, batch("a", 1, "h", event(t0, nil, "f", 1.0)))
	for _, q := range []string{`DROP TABLE alert_events`, `DROP TABLE alert_state`, `DROP TABLE checks`, `DROP TABLE check_results`, `PRAGMA user_version = 1`} {
		if _, err := s.wdb.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	s = openAt(t, path, Options{})
	var v int
	if err := s.rdb.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("user_version = %d, %v; want %d", v, err, len(migrations))
	}
	if count(t, s, "samples") != 1 || count(t, s, "batches") != 1 {
		t.Error("migration lost metric data")
	}
	save(t, s, alert.BucketRules, map[string][]byte{"k": []byte("v")}, nil, stateEvent(t0, alert.EventState, "a", "h"))
	if got := events(t, s, alert.EventQuery{}); len(got) != 1 {
		t.Errorf("events after migration = %v", got)
	}
}

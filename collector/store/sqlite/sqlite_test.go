package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is an arbitrary fixed instant; tests never read the clock.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openAt(t testing.TB, path string, o Options) *Store {
	t.Helper()
	o.Path = path
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openTest(t testing.TB) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func event(ts time.Time, dims map[string]string, kv ...any) model.Event {
	e := model.Event{Timestamp: ms(ts), Dataset: "test", Dims: dims, Values: map[string]float64{}}
	for i := 0; i < len(kv); i += 2 {
		e.Values[kv[i].(string)] = kv[i+1].(float64)
	}
	return e
}

func batch(agent string, seq uint64, host string, events ...model.Event) *model.Batch {
	return &model.Batch{
		AgentID: agent, Seq: seq,
		Agent:  model.Agent{Version: "1.2.3", IntervalMS: 10000},
		Host:   model.Host{Name: host, Hostname: host, OS: model.HostOS{Type: "linux", Kernel: "6.1"}},
		Events: events,
	}
}

func write(t testing.TB, s *Store, received time.Time, bs ...*model.Batch) []store.WriteResult {
	t.Helper()
	res, err := s.WriteBatches(context.Background(), bs, received)
	if err != nil {
		t.Fatalf("WriteBatches: %v", err)
	}
	if len(res) != len(bs) {
		t.Fatalf("WriteBatches: %d results for %d batches", len(res), len(bs))
	}
	return res
}

// count reads a table's row count through the read pool.
func count(t testing.TB, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.rdb.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestOpenOptions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		o       Options
		wantErr bool
		sync    int // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{
		{name: "default is full", o: Options{Path: filepath.Join(dir, "a.db")}, sync: 2},
		{name: "full", o: Options{Path: filepath.Join(dir, "b.db"), Synchronous: "full"}, sync: 2},
		{name: "normal", o: Options{Path: filepath.Join(dir, "c.db"), Synchronous: "NORMAL"}, sync: 1},
		{name: "path with URI characters", o: Options{Path: filepath.Join(dir, "odd?name#%41.db")}, sync: 2},
		{name: "bad synchronous", o: Options{Path: filepath.Join(dir, "d.db"), Synchronous: "off"}, wantErr: true},
		{name: "empty path", o: Options{}, wantErr: true},
		{name: "missing directory", o: Options{Path: filepath.Join(dir, "nope", "e.db")}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(context.Background(), tt.o)
			if tt.wantErr {
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded, want error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			var sync, version int
			var mode string
			if err := s.wdb.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil {
				t.Fatal(err)
			}
			if err := s.wdb.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if err := s.rdb.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
				t.Fatal(err)
			}
			if sync != tt.sync || mode != "wal" || version != len(migrations) {
				t.Errorf("synchronous=%d journal_mode=%s user_version=%d, want %d wal %d",
					sync, mode, version, tt.sync, len(migrations))
			}
			if _, err := os.Stat(tt.o.Path); err != nil {
				t.Errorf("database file: %v", err)
			}
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	s := openAt(t, path, Options{})
	if _, err := s.wdb.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s2, err := Open(context.Background(), Options{Path: path}); err == nil {
		s2.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
}

func TestClose(t *testing.T) {
	s := openTest(t)
	write(t, s, t0, batch("a", 1, "h", event(t0, nil, "f", 1.0)))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := context.Background()
	_, err := s.WriteBatches(ctx, []*model.Batch{batch("a", 2, "h", event(t0, nil, "f", 1.0))}, t0)
	if !errors.Is(err, ErrClosed) {
		t.Errorf("WriteBatches after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Hosts(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Hosts after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Host(ctx, "h"); !errors.Is(err, ErrClosed) {
		t.Errorf("Host after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Series(ctx, store.SeriesQuery{Host: "h", Field: "f"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Series after Close: %v, want ErrClosed", err)
	}
	if _, err := s.DeleteBefore(ctx, t0); !errors.Is(err, ErrClosed) {
		t.Errorf("DeleteBefore after Close: %v, want ErrClosed", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := openAt(t, path, Options{})
	disk := map[string]string{"system.filesystem.mount_point": "/"}
	write(t, s, t0, batch("a", 1, "h", event(t0, disk, "system.filesystem.used.pct", 0.5)))
	var id1 int64
	if err := s.rdb.QueryRow("SELECT id FROM series").Scan(&id1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, Options{})
	later := t0.Add(time.Hour)
	res := write(t, s, later,
		batch("a", 1, "h", event(t0, disk, "system.filesystem.used.pct", 0.5)), // resent after restart
		batch("a", 2, "h", event(later, disk, "system.filesystem.used.pct", 0.6)))
	if !res[0].Duplicate || res[1].Duplicate || res[1].DurableSeq != 2 {
		t.Errorf("results after reopen = %+v", res)
	}
	// The series cache starts empty; the id must come from the database.
	var n int
	var id2 int64
	if err := s.rdb.QueryRow("SELECT count(*), max(id) FROM series").Scan(&n, &id2); err != nil {
		t.Fatal(err)
	}
	if n != 1 || id2 != id1 {
		t.Errorf("series after reopen: %d rows, id %d; want 1 row, id %d", n, id2, id1)
	}
	if got := count(t, s, "samples"); got != 2 {
		t.Errorf("samples = %d, want 2", got)
	}
	hosts, err := s.Hosts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 1 || !hosts[0].FirstSeen.Equal(t0) || !hosts[0].LastSeen.Equal(later) {
		t.Errorf("hosts after reopen = %+v, want first_seen %v last_seen %v", hosts, t0, later)
	}
}

func TestCanonicalDims(t *testing.T) {
	tests := []struct {
		name string
		dims map[string]string
	}{
		{"nil", nil},
		{"empty", map[string]string{}},
		{"one", map[string]string{"system.filesystem.mount_point": "/"}},
		{"sorted", map[string]string{"b": "2", "a": "1", "c": "3", "aa": "0"}},
		{"many", map[string]string{"1": "", "2": "", "3": "", "4": "", "5": "", "6": "", "7": "", "8": "", "9": ""}},
		{"quote", map[string]string{"k": `say "hi"`}},
		{"html", map[string]string{"k": "<a&b>"}},
		{"unicode", map[string]string{"mount": "/mnt/données"}},
		{"control", map[string]string{"k": "a\tb\n"}},
		{"invalid utf8", map[string]string{"k": "\xff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := canonicalDims(tt.dims, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if len(tt.dims) > 0 {
				b, err := json.Marshal(tt.dims)
				if err != nil {
					t.Fatal(err)
				}
				want = string(b)
			}
			if got != want {
				t.Errorf("canonicalDims = %s, want %s", got, want)
			}
			back, err := parseDims(got)
			if err != nil {
				t.Fatal(err)
			}
			if len(back) != len(tt.dims) {
				t.Errorf("parseDims(%s) = %v", got, back)
			}
		})
	}
}

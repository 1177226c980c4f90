package sqlite

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
)

const (
	fsUsed  = "system.filesystem.used.pct"
	cpuNorm = "system.cpu.total.norm.pct"
	mount   = "system.filesystem.mount_point"
)

// writeHistory stores n cycles of host "web-1" at 10 s from t0, one batch
// each: cpu = cycle number, filesystem "/" = cycle/100 and "/var" = cycle/1000.
// 30 cycles span five one-minute blocks.
func writeHistory(t *testing.T, s *Store, n int) {
	t.Helper()
	for i := range n {
		ts := t0.Add(time.Duration(i) * 10 * time.Second)
		b := batch("agent-web-1", uint64(i+1), "web-1",
			event(ts, nil, cpuNorm, float64(i)),
			event(ts, map[string]string{mount: "/"}, fsUsed, float64(i)/100),
			event(ts, map[string]string{mount: "/var"}, fsUsed, float64(i)/1000))
		b.Host.Cloud = &model.Cloud{Provider: "aws", Region: "eu-west-1"}
		write(t, s, ts.Add(time.Second), b)
	}
}

func TestHosts(t *testing.T) {
	s := openTest(t)
	if hs, err := s.Hosts(context.Background()); err != nil || hs == nil || len(hs) != 0 {
		t.Fatalf("Hosts on an empty store = %#v, %v; want an empty slice", hs, err)
	}
	write(t, s, t0, batch("b", 1, "zeta", event(t0, nil, "f", 1.0)))
	write(t, s, t0.Add(time.Minute), batch("a", 1, "alpha", event(t0, nil, "f", 1.0)))
	write(t, s, t0.Add(2*time.Minute), batch("b", 2, "zeta", event(t0, nil, "f", 1.0)))
	hs, err := s.Hosts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []store.HostSummary{
		{Name: "alpha", AgentID: "a", AgentVersion: "1.2.3", FirstSeen: t0.Add(time.Minute), LastSeen: t0.Add(time.Minute), IntervalMS: 10000},
		{Name: "zeta", AgentID: "b", AgentVersion: "1.2.3", FirstSeen: t0, LastSeen: t0.Add(2 * time.Minute), IntervalMS: 10000},
	}
	if !reflect.DeepEqual(hs, want) {
		t.Errorf("Hosts =\n%+v\nwant\n%+v", hs, want)
	}
}

func TestHostDetail(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	writeHistory(t, s, 30)
	last := t0.Add(290 * time.Second)

	d, err := s.Host(ctx, "web-1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "web-1" || d.AgentID != "agent-web-1" || !d.FirstSeen.Equal(t0.Add(time.Second)) || !d.LastSeen.Equal(last.Add(time.Second)) {
		t.Errorf("summary = %+v", d.HostSummary)
	}
	if d.Identity.OS.Kernel != "6.1" || d.Identity.Cloud == nil || d.Identity.Cloud.Region != "eu-west-1" {
		t.Errorf("identity = %+v", d.Identity)
	}
	want := []store.LatestValue{
		{Field: cpuNorm, Timestamp: last, Value: 29},
		{Field: fsUsed, Dims: map[string]string{mount: "/"}, Timestamp: last, Value: 0.29},
		{Field: fsUsed, Dims: map[string]string{mount: "/var"}, Timestamp: last, Value: 0.029},
	}
	if !reflect.DeepEqual(d.Metrics, want) {
		t.Errorf("Metrics =\n%+v\nwant\n%+v", d.Metrics, want)
	}

	if _, err := s.Host(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Host(unknown) = %v, want ErrNotFound", err)
	}
}

// TestLatestOfStaleSeries: a series that stopped reporting long ago still
// shows its last value, and a late old sample does not replace a newer one.
func TestLatestOfStaleSeries(t *testing.T) {
	s := openTest(t)
	old := t0.Add(-48 * time.Hour)
	write(t, s, old, batch("a", 1, "h",
		event(old, map[string]string{mount: "/mnt"}, fsUsed, 0.7),
		event(old, nil, cpuNorm, 0.1)))
	write(t, s, t0, batch("a", 2, "h", event(t0, nil, cpuNorm, 0.2)))
	write(t, s, t0, batch("a", 3, "h", event(t0.Add(-time.Hour), nil, cpuNorm, 0.9))) // late
	d, err := s.Host(context.Background(), "h")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.LatestValue{
		{Field: cpuNorm, Timestamp: t0, Value: 0.2},
		{Field: fsUsed, Dims: map[string]string{mount: "/mnt"}, Timestamp: old, Value: 0.7},
	}
	if !reflect.DeepEqual(d.Metrics, want) {
		t.Errorf("Metrics =\n%+v\nwant\n%+v", d.Metrics, want)
	}
}

func TestSeries(t *testing.T) {
	s := openTest(t)
	writeHistory(t, s, 30)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 10 * time.Second) }
	tests := []struct {
		name     string
		q        store.SeriesQuery
		wantCPU  []int // cycles expected in the cpu series
		wantDims []string
	}{
		{name: "all", q: store.SeriesQuery{From: at(0), To: at(29)}, wantCPU: span(0, 29)},
		{name: "inclusive bounds", q: store.SeriesQuery{From: at(3), To: at(5)}, wantCPU: span(3, 5)},
		{name: "across blocks", q: store.SeriesQuery{From: at(4), To: at(20)}, wantCPU: span(4, 20)},
		{name: "between samples", q: store.SeriesQuery{From: at(3).Add(time.Second), To: at(5).Add(-time.Second)}, wantCPU: span(4, 4)},
		{name: "open end", q: store.SeriesQuery{From: at(25)}, wantCPU: span(25, 29)},
		{name: "open start", q: store.SeriesQuery{To: at(2)}, wantCPU: span(0, 2)},
		{name: "before data", q: store.SeriesQuery{From: at(-100), To: at(-1)}, wantCPU: nil},
		{name: "after data", q: store.SeriesQuery{From: at(30), To: at(300)}, wantCPU: nil},
		{name: "inverted", q: store.SeriesQuery{From: at(9), To: at(1)}, wantCPU: nil},
		{name: "limit keeps newest", q: store.SeriesQuery{From: at(0), To: at(29), Limit: 3}, wantCPU: span(27, 29)},
		{name: "limit across blocks", q: store.SeriesQuery{From: at(0), To: at(29), Limit: 14}, wantCPU: span(16, 29)},
		{name: "limit within range", q: store.SeriesQuery{From: at(0), To: at(10), Limit: 2}, wantCPU: span(9, 10)},
		{name: "limit above count", q: store.SeriesQuery{From: at(0), To: at(4), Limit: 100}, wantCPU: span(0, 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.Host, q.Field = "web-1", cpuNorm
			got, err := s.Series(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Field != cpuNorm || got[0].Dims != nil || got[0].Points == nil {
				t.Fatalf("Series = %+v, want one cpu series without dims", got)
			}
			var want []store.Point
			for _, i := range tt.wantCPU {
				want = append(want, store.Point{Time: at(i), Value: float64(i)})
			}
			if fmt.Sprint(got[0].Points) != fmt.Sprint(want) {
				t.Errorf("points =\n%v\nwant\n%v", got[0].Points, want)
			}

			// The filesystem field has two series, ordered by dims, each with
			// the same cycles.
			q.Field = fsUsed
			fs, err := s.Series(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 2 || fs[0].Dims[mount] != "/" || fs[1].Dims[mount] != "/var" ||
				len(fs[0].Points) != len(want) || len(fs[1].Points) != len(want) {
				t.Fatalf("filesystem series = %+v", fs)
			}
			for i, p := range fs[1].Points {
				if !p.Time.Equal(want[i].Time) || p.Value != want[i].Value/1000 {
					t.Errorf("/var point %d = %+v, want %v %v", i, p, want[i].Time, want[i].Value/1000)
				}
			}
		})
	}
}

func span(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestSeriesUnknown(t *testing.T) {
	s := openTest(t)
	writeHistory(t, s, 1)
	ctx := context.Background()
	if _, err := s.Series(ctx, store.SeriesQuery{Host: "nope", Field: cpuNorm}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Series(unknown host) = %v, want ErrNotFound", err)
	}
	got, err := s.Series(ctx, store.SeriesQuery{Host: "web-1", Field: "no.such.field"})
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("Series(unknown field) = %#v, %v; want an empty slice", got, err)
	}
	if _, err := s.Series(ctx, store.SeriesQuery{Host: "web-1", Field: cpuNorm, Limit: -1}); err == nil {
		t.Error("Series with a negative limit succeeded")
	}
}

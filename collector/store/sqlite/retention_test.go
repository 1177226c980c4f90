package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/store"
)

func TestDeleteBefore(t *testing.T) {
	tests := []struct {
		name  string
		chunk int64 // rows per retention transaction
	}{
		{name: "one chunk", chunk: deleteRows},
		{name: "many chunks", chunk: 7},
		{name: "chunk of one", chunk: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			s.retentionRows = tt.chunk
			ctx := context.Background()
			writeHistory(t, s, 30) // 3 series × 30 cycles from t0, 10 s apart
			old := t0.Add(-72 * time.Hour)
			write(t, s, old, batch("a", 1, "gone", event(old, nil, cpuNorm, 1.0)))

			// Mid-block cutoff: cycles 0..13 go (13 is at 2m10s, the third
			// block starts at 2m), and so does all of host "gone".
			cutoff := t0.Add(135 * time.Second)
			n, err := s.DeleteBefore(ctx, cutoff)
			if err != nil {
				t.Fatal(err)
			}
			if n != 3*14+1 {
				t.Errorf("DeleteBefore = %d, want %d", n, 3*14+1)
			}
			var left, older int
			if err := s.rdb.QueryRow(`SELECT count(*), count(*) FILTER (WHERE ts < ?) FROM samples`, ms(cutoff)).Scan(&left, &older); err != nil {
				t.Fatal(err)
			}
			if left != 3*16 || older != 0 {
				t.Errorf("left %d samples, %d before the cutoff; want %d and 0", left, older, 3*16)
			}
			// Batch records: the 14 received before the cutoff and the old one.
			if got := count(t, s, "batches"); got != 16 {
				t.Errorf("batches = %d, want 16", got)
			}

			// Reads still right: series from the cutoff on, latest untouched.
			got, err := s.Series(ctx, store.SeriesQuery{Host: "web-1", Field: cpuNorm})
			if err != nil || len(got) != 1 || len(got[0].Points) != 16 || got[0].Points[0].Value != 14 {
				t.Errorf("Series after retention = %+v, %v", got, err)
			}
			d, err := s.Host(ctx, "web-1")
			if err != nil || len(d.Metrics) != 3 || d.Metrics[0].Value != 29 {
				t.Errorf("Host after retention = %+v, %v", d.Metrics, err)
			}
			// A host whose samples all expired stays known, without metrics.
			d, err = s.Host(ctx, "gone")
			if err != nil || len(d.Metrics) != 0 {
				t.Errorf("Host(gone) = %+v, %v; want known with no metrics", d.Metrics, err)
			}

			// Nothing left to delete: a second run is a no-op.
			if n, err := s.DeleteBefore(ctx, cutoff); err != nil || n != 0 {
				t.Errorf("second DeleteBefore = %d, %v", n, err)
			}
		})
	}
}

func TestDeleteBeforeCancelled(t *testing.T) {
	s := openTest(t)
	s.retentionRows = 5
	writeHistory(t, s, 30)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.DeleteBefore(ctx, t0.Add(time.Hour)); err == nil {
		t.Fatal("DeleteBefore with a cancelled context succeeded")
	}
	// Writes still work afterwards: the writer was handed back.
	write(t, s, t0, batch("x", 1, "x", event(t0, nil, "f", 1.0)))
}

package ship

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigilmon/vigil/internal/model"
)

// fakeCollector answers ingest requests with the status codes scripted per attempt
// and records the batches it accepted.
type fakeCollector struct {
	mu       sync.Mutex
	script   []int // status per request; 200 once exhausted
	accepted []uint64
	headers  []http.Header
}

func (f *fakeCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.headers = append(f.headers, r.Header.Clone())
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var b model.Batch
	if err := json.NewDecoder(zr).Decode(&b); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	status := http.StatusOK
	if len(f.script) > 0 {
		status, f.script = f.script[0], f.script[1:]
	}
	switch status {
	case http.StatusOK:
		f.accepted = append(f.accepted, b.Seq)
		_ = json.NewEncoder(w).Encode(model.Ack{Seq: b.Seq, DurableSeq: b.Seq})
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(status)
	case 299: // a 200 whose ack does not confirm the batch
		_ = json.NewEncoder(w).Encode(model.Ack{Seq: b.Seq + 1})
	default:
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(model.ErrorResponse{Error: "scripted", Reason: "test"})
	}
}

func (f *fakeCollector) seqs() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]uint64(nil), f.accepted...)
}

type shipRig struct {
	spool   *Spool
	shipper *Shipper
	fake    *fakeCollector
	waits   chan time.Duration
	reg     *prometheus.Registry
}

func newShipRig(t *testing.T, script ...int) *shipRig {
	t.Helper()
	fake := &fakeCollector{script: script}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	spool := openTestSpool(t, t.TempDir(), 1<<30)
	reg := prometheus.NewRegistry()
	sh := NewShipper(spool, ShipperOptions{URL: srv.URL, Token: "s3cret", UserAgent: "vigil-agent/test",
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, Metrics: NewMetrics(reg)})
	rig := &shipRig{spool: spool, shipper: sh, fake: fake, waits: make(chan time.Duration, 100), reg: reg}
	sh.wait = func(ctx context.Context, d time.Duration) error {
		rig.waits <- d
		return ctx.Err()
	}
	return rig
}

// runUntil runs the shipper until the spool is empty.
func (r *shipRig) runUntilEmpty(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.shipper.Run(ctx) }()
	deadline := time.After(10 * time.Second)
	for r.spool.Stats().Segments > 0 {
		select {
		case <-r.waits:
		case <-deadline:
			cancel()
			<-done
			t.Fatalf("spool not drained: %+v", r.spool.Stats())
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	<-done
}

func TestShipperDeliversInOrderAndAcks(t *testing.T) {
	rig := newShipRig(t)
	for range 5 {
		if err := rig.spool.Append(testBatch(3)); err != nil {
			t.Fatal(err)
		}
	}
	rig.runUntilEmpty(t)
	got := rig.fake.seqs()
	for i, seq := range got {
		if seq != uint64(i+1) {
			t.Fatalf("collector received %v, want 1..5 in order", got)
		}
	}
	h := rig.fake.headers[0]
	if h.Get("Authorization") != "Bearer s3cret" || h.Get("Content-Encoding") != "gzip" || h.Get("User-Agent") != "vigil-agent/test" {
		t.Errorf("request headers = %v", h)
	}
	if v := testutil.ToFloat64(rig.shipper.m.samplesSent); v != 15 {
		t.Errorf("samples sent = %v, want 15", v)
	}
	if v := testutil.ToFloat64(rig.shipper.m.lastAcked); v != 5 {
		t.Errorf("last acked = %v, want 5", v)
	}
}

func TestShipperRetriesTransientFailures(t *testing.T) {
	// 500, 503, unauthorized and an ack that does not confirm: all keep the batch.
	rig := newShipRig(t, 500, 503, 401, 299)
	if err := rig.spool.Append(testBatch(1)); err != nil {
		t.Fatal(err)
	}
	rig.runUntilEmpty(t)
	if got := rig.fake.seqs(); len(got) != 1 || got[0] != 1 {
		t.Errorf("accepted = %v, want batch 1 once", got)
	}
	for reason, want := range map[string]float64{"server": 2, "unauthorized": 1, "bad_ack": 1} {
		if v := testutil.ToFloat64(rig.shipper.m.sendErrors.WithLabelValues(reason)); v != want {
			t.Errorf("errors{reason=%s} = %v, want %v", reason, v, want)
		}
	}
}

func TestShipperHonoursRetryAfter(t *testing.T) {
	rig := newShipRig(t, http.StatusTooManyRequests)
	rig.shipper.opts.MaxBackoff = time.Minute
	if err := rig.spool.Append(testBatch(1)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = rig.shipper.Run(ctx) }()
	if d := <-rig.waits; d != 3*time.Second {
		t.Errorf("waited %v after 429 with Retry-After: 3, want 3s", d)
	}
	cancel()
	<-done
}

func TestShipperSetsAsideRejectedBatch(t *testing.T) {
	rig := newShipRig(t, http.StatusBadRequest)
	for range 2 {
		if err := rig.spool.Append(testBatch(1)); err != nil {
			t.Fatal(err)
		}
	}
	rig.runUntilEmpty(t)
	if got := rig.fake.seqs(); len(got) != 1 || got[0] != 2 {
		t.Errorf("accepted = %v, want only batch 2 after batch 1 was rejected", got)
	}
	if st := rig.spool.Stats(); st.Drops.Rejected != 1 {
		t.Errorf("rejected = %d, want 1", st.Drops.Rejected)
	}
}

func TestShipperDrainStopsAtFirstFailure(t *testing.T) {
	rig := newShipRig(t, 200, 200, 500)
	for range 4 {
		if err := rig.spool.Append(testBatch(1)); err != nil {
			t.Fatal(err)
		}
	}
	if left := rig.shipper.Drain(context.Background()); left != 2 {
		t.Errorf("drain left %d batches, want 2 (stopped at the 500)", left)
	}
}

func TestBackoffStaysInBounds(t *testing.T) {
	sh := NewShipper(nil, ShipperOptions{MinBackoff: time.Second, MaxBackoff: 30 * time.Second})
	for failures := 1; failures < 70; failures++ {
		d := sh.backoff(failures)
		ceil := min(time.Second<<min(failures, 20), 30*time.Second)
		if d < time.Second || d > ceil {
			t.Fatalf("backoff(%d) = %v, want within [1s, %v]", failures, d, ceil)
		}
	}
}

func TestRetryAfterParsing(t *testing.T) {
	for _, tc := range []struct {
		h    string
		want time.Duration
	}{
		{"5", 5 * time.Second}, {"0", time.Second}, {"9999", time.Minute}, {"", time.Second}, {"soon", time.Second},
	} {
		if got := retryAfter(tc.h, time.Second, time.Minute); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.h, got, tc.want)
		}
	}
}

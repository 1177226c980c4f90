package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testToken = "0123456789abcdef-test-token"

func validBatch(seq uint64) *model.Batch {
	return &model.Batch{AgentID: "agent-1", Seq: seq, Agent: model.Agent{Version: "test", IntervalMS: 10000},
		Host: model.Host{Name: "web-1"},
		Events: []model.Event{
			{Timestamp: 1_700_000_000_000, Dataset: "system.cpu", Values: map[string]float64{"system.cpu.total.norm.pct": 0.25}},
			{Timestamp: 1_700_000_000_000, Dataset: "system.filesystem", Dims: map[string]string{"system.filesystem.mount_point": "/"},
				Values: map[string]float64{"system.filesystem.used.pct": 0.5, "system.filesystem.total": 1e9}},
		}}
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type rig struct {
	h     *Handler
	st    *memStore
	w     *Writer
	m     *Metrics
	token string
}

func newRig(t *testing.T, queueLen int) *rig {
	t.Helper()
	toks, err := ParseTokens("tokens", []byte("# agents\nfleet "+testToken+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	st := newMemStore()
	m := NewMetrics(nil)
	w := NewWriter(st, WriterOptions{QueueLen: queueLen, Metrics: m})
	t.Cleanup(w.Stop)
	h := NewHandler(HandlerOptions{Tokens: toks, Writer: w, MaxBodyBytes: 1 << 20, MaxDecodedBytes: 4 << 20, Metrics: m})
	return &rig{h: h, st: st, w: w, m: m, token: testToken}
}

func (r *rig) post(body []byte, encoding, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/ingest", bytes.NewReader(body))
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	return rec
}

func decodeErr(t *testing.T, rec *httptest.ResponseRecorder) model.ErrorResponse {
	t.Helper()
	var e model.ErrorResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", rec.Body.String(), err)
	}
	return e
}

func TestIngestAcksAndDeduplicates(t *testing.T) {
	r := newRig(t, 16)
	body := gz(t, mustJSON(t, validBatch(1)))
	for i, wantDup := range []bool{false, true} {
		rec := r.post(body, "gzip", r.token)
		if rec.Code != 200 {
			t.Fatalf("post %d: status %d: %s", i, rec.Code, rec.Body)
		}
		var ack model.Ack
		if err := json.Unmarshal(rec.Body.Bytes(), &ack); err != nil {
			t.Fatal(err)
		}
		if ack.Seq != 1 || ack.DurableSeq != 1 || ack.Duplicate != wantDup {
			t.Errorf("post %d: ack %+v, want seq 1 durable 1 duplicate %v", i, ack, wantDup)
		}
	}
	if r.st.samples != 3 {
		t.Errorf("stored samples = %d, want 3 (the resend is a no-op)", r.st.samples)
	}
	if v := testutil.ToFloat64(r.m.duplicates); v != 1 {
		t.Errorf("duplicates counter = %v, want 1", v)
	}
}

func TestIngestRejectsAndKeepsServing(t *testing.T) {
	r := newRig(t, 16)
	bomb := gz(t, bytes.Repeat([]byte(" "), 64<<20)) // 64 MiB of spaces: ~64 KiB compressed
	huge := bytes.Repeat([]byte("x"), 2<<20)
	for _, tc := range []struct {
		name     string
		body     []byte
		encoding string
		token    string
		status   int
		reason   string
	}{
		{"no token", gz(t, mustJSON(t, validBatch(1))), "gzip", "", 401, "unauthorized"},
		{"wrong token", gz(t, mustJSON(t, validBatch(1))), "gzip", "0123456789abcdef-wrong", 401, "unauthorized"},
		{"garbage", []byte("\x00\x01garbage"), "", testToken, 400, "bad_json"},
		{"garbage gzip", []byte("not gzip at all"), "gzip", testToken, 400, "bad_encoding"},
		{"gzip bomb", bomb, "gzip", testToken, 413, "too_large"},
		{"oversized body", huge, "", testToken, 413, "too_large"},
		{"unknown encoding", []byte("{}"), "br", testToken, 415, "bad_encoding"},
		{"invalid batch", mustJSON(t, model.Batch{AgentID: "a", Seq: 0}), "", testToken, 400, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := testutil.ToFloat64(r.m.rejected.WithLabelValues(tc.reason))
			rec := r.post(tc.body, tc.encoding, tc.token)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if e := decodeErr(t, rec); e.Reason != tc.reason || e.Error == "" {
				t.Errorf("error = %+v, want reason %q with a message", e, tc.reason)
			}
			if after := testutil.ToFloat64(r.m.rejected.WithLabelValues(tc.reason)); after != before+1 {
				t.Errorf("rejected{reason=%s} went %v -> %v, want +1", tc.reason, before, after)
			}
			if rec := r.post(gz(t, mustJSON(t, validBatch(7))), "gzip", testToken); rec.Code != 200 {
				t.Errorf("valid batch after a reject: status %d", rec.Code)
			}
		})
	}
	if r.st.samples != 3 {
		t.Errorf("stored samples = %d, want only the valid batch's 3", r.st.samples)
	}
}

func TestIngestOverloadAnswers429(t *testing.T) {
	r := newRig(t, 1)
	r.st.block = make(chan struct{})
	r.st.entered = make(chan int, 4)
	results := make(chan int, 2)
	post := func(seq uint64) {
		go func() { results <- r.post(gz(t, mustJSON(t, validBatch(seq))), "gzip", testToken).Code }()
	}
	// The first request is taken by the writer and blocks in the store; the second
	// fills the one-slot queue; the third finds it full.
	post(1)
	<-r.st.entered
	post(2)
	for len(r.w.queue) == 0 {
		runtime.Gosched()
	}
	rec := r.post(gz(t, mustJSON(t, validBatch(3))), "gzip", testToken)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("third request: status %d Retry-After %q, want 429 with Retry-After 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	close(r.st.block)
	for range 2 {
		if code := <-results; code != 200 {
			t.Errorf("queued request answered %d after the store unblocked, want 200", code)
		}
	}
}

func TestIngestStoreFailureIs503(t *testing.T) {
	r := newRig(t, 4)
	r.st.fail = errors.New("disk I/O error")
	rec := r.post(gz(t, mustJSON(t, validBatch(1))), "gzip", testToken)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(decodeErr(t, rec).Error, "disk I/O error") {
		t.Fatalf("status %d body %s, want 503 naming the store error", rec.Code, rec.Body)
	}
}

// A store that is full for now (the outbox while the cluster is away) makes
// agents back off and keep their data: 429 with Retry-After, not 503.
func TestIngestFullStoreIs429(t *testing.T) {
	r := newRig(t, 4)
	r.st.fail = fmt.Errorf("%w: outbox holds 1 GiB", store.ErrFull)
	rec := r.post(gz(t, mustJSON(t, validBatch(1))), "gzip", testToken)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" || decodeErr(t, rec).Reason != "store_full" {
		t.Fatalf("status %d Retry-After %q body %s, want 429 store_full", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
}

func TestWriterGroupsConcurrentBatches(t *testing.T) {
	st := newMemStore()
	st.block = make(chan struct{})
	st.entered = make(chan int, 10)
	w := NewWriter(st, WriterOptions{QueueLen: 64, MaxGroup: 64})
	defer w.Stop()
	done := make(chan error, 10)
	submit := func(seq uint64) {
		go func() {
			_, err := w.Submit(context.Background(), validBatch(seq))
			done <- err
		}()
	}
	// One batch goes alone and blocks in the store; nine queue up behind it and
	// must all go into the next transaction.
	submit(1)
	if first := <-st.entered; first != 1 {
		t.Fatalf("first group = %d, want 1", first)
	}
	for seq := uint64(2); seq <= 10; seq++ {
		submit(seq)
	}
	for len(w.queue) < 9 {
		runtime.Gosched()
	}
	close(st.block)
	for range 10 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if len(st.groups) != 2 || st.groups[0] != 1 || st.groups[1] != 9 {
		t.Errorf("commit groups = %v, want [1 9]: everything queued behind a commit goes into the next one", st.groups)
	}
}

func TestTokens(t *testing.T) {
	toks, err := ParseTokens("t", []byte("alpha aaaaaaaaaaaaaaaaaaaa\n\n# c\nbbbbbbbbbbbbbbbbbbbb\n"))
	if err != nil {
		t.Fatal(err)
	}
	if name, ok := toks.Check("aaaaaaaaaaaaaaaaaaaa"); !ok || name != "alpha" {
		t.Errorf("check alpha = %q %v", name, ok)
	}
	if name, ok := toks.Check("bbbbbbbbbbbbbbbbbbbb"); !ok || name != "t:4" {
		t.Errorf("check unnamed = %q %v, want name t:4", name, ok)
	}
	if _, ok := toks.Check("aaaaaaaaaaaaaaaaaaab"); ok {
		t.Error("a wrong token was accepted")
	}
	for _, bad := range []struct{ data, want string }{
		{"short", "t:1: token"},
		{"a b c", "t:1: want"},
		{"# only comments\n", "no tokens"},
	} {
		if _, err := ParseTokens("t", []byte(bad.data)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseTokens(%q) err = %v, want it to contain %q", bad.data, err, bad.want)
		}
	}
}

func TestDecodeBatchValidation(t *testing.T) {
	mod := func(f func(b *model.Batch)) []byte {
		b := validBatch(1)
		f(b)
		return mustJSON(t, b)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string // substring of the error; "" = valid
	}{
		{"valid", mustJSON(t, validBatch(1)), ""},
		{"unknown fields ignored", []byte(strings.Replace(string(mustJSON(t, validBatch(1))), `{`, `{"future":1,`, 1)), ""},
		{"trailing data", append(mustJSON(t, validBatch(1)), []byte(" {}")...), "data after"},
		{"not an object", []byte(`[1,2]`), "decode batch"},
		{"empty agent", mod(func(b *model.Batch) { b.AgentID = "" }), "agent_id"},
		{"agent with slash", mod(func(b *model.Batch) { b.AgentID = "a/b" }), "agent_id"},
		{"seq zero", mod(func(b *model.Batch) { b.Seq = 0 }), "seq"},
		{"seq beyond int64", mod(func(b *model.Batch) { b.Seq = 1 << 63 }), "seq"},
		{"no host", mod(func(b *model.Batch) { b.Host.Name = "" }), "host.name"},
		{"control char host", mod(func(b *model.Batch) { b.Host.Name = "a\nb" }), "host.name"},
		{"ts in seconds", mod(func(b *model.Batch) { b.Events[0].Timestamp = 1_700_000_000 }), "timestamp"},
		{"no values", mod(func(b *model.Batch) { b.Events[0].Values = nil }), "values"},
		{"bad field", mod(func(b *model.Batch) { b.Events[0].Values = map[string]float64{"a b": 1} }), "field"},
		{"bad dataset", mod(func(b *model.Batch) { b.Events[0].Dataset = "" }), "dataset"},
		{"value overflow", []byte(strings.Replace(string(mustJSON(t, validBatch(1))), "0.25", "1e999", 1)), "decode batch"},
		{"string value", []byte(strings.Replace(string(mustJSON(t, validBatch(1))), "0.25", `"x"`, 1)), "decode batch"},
		{"too many dims", mod(func(b *model.Batch) {
			b.Events[0].Dims = map[string]string{}
			for i := range 40 {
				b.Events[0].Dims[fmt.Sprintf("d%d", i)] = "v"
			}
		}), "dims"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeBatch(tc.data, DefaultLimits)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			var rej *RejectError
			if err != nil && (!errors.As(err, &rej) || rej.Reason == "") {
				t.Errorf("error %v is not a RejectError with a reason", err)
			}
		})
	}
}

// The rule engine's feed sees each stored batch once: not the resend, and only
// after the commit.
func TestWriterCommittedFeedSkipsDuplicates(t *testing.T) {
	st := newMemStore()
	var seen []uint64
	w := NewWriter(st, WriterOptions{QueueLen: 4, Metrics: NewMetrics(nil), Committed: func(b *model.Batch, _ time.Time) {
		if st.samples == 0 {
			t.Error("Committed called before the store had the batch")
		}
		seen = append(seen, b.Seq)
	}})
	for _, seq := range []uint64{1, 1, 2} {
		if _, err := w.Submit(context.Background(), validBatch(seq)); err != nil {
			t.Fatal(err)
		}
	}
	w.Stop()
	if len(seen) != 2 || seen[0] != 1 || seen[1] != 2 {
		t.Errorf("Committed saw seqs %v, want [1 2]", seen)
	}
}

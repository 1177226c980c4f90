package outbox

import (
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigilmon/vigil/internal/model"
)

var update = flag.Bool("update", false, "rewrite the seed corpus under testdata/fuzz")

func testCounter(c prometheus.Counter) float64 { return testutil.ToFloat64(c) }

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// sameBatch is reflect.DeepEqual that also holds for NaN values (compared by bits)
// and, like DeepEqual, tells nil collections from empty ones.
func sameBatch(a, b *model.Batch) bool {
	if a == nil || b == nil {
		return a == b
	}
	ac, bc := *a, *b
	ac.Events, bc.Events = nil, nil
	if !reflect.DeepEqual(ac, bc) || len(a.Events) != len(b.Events) || (a.Events == nil) != (b.Events == nil) {
		return false
	}
	for i := range a.Events {
		ea, eb := a.Events[i], b.Events[i]
		if ea.Timestamp != eb.Timestamp || ea.Dataset != eb.Dataset || !reflect.DeepEqual(ea.Dims, eb.Dims) ||
			(ea.Values == nil) != (eb.Values == nil) || len(ea.Values) != len(eb.Values) {
			return false
		}
		for k, v := range ea.Values {
			if w, ok := eb.Values[k]; !ok || math.Float64bits(v) != math.Float64bits(w) {
				return false
			}
		}
	}
	return true
}

func TestCodecRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    *model.Batch
	}{
		{"zero batch", &model.Batch{}},
		{"empty collections", &model.Batch{Host: model.Host{IP: []string{}}, Events: []model.Event{{Dims: map[string]string{}, Values: map[string]float64{}}}}},
		{"nil maps in an event", &model.Batch{Events: []model.Event{{Timestamp: -1, Dataset: "x"}}}},
		{"odd numbers", &model.Batch{Seq: math.MaxUint64, Agent: model.Agent{IntervalMS: math.MinInt64},
			Events: []model.Event{{Timestamp: math.MaxInt64, Values: map[string]float64{
				"nan": math.NaN(), "inf": math.Inf(-1), "neg0": math.Copysign(0, -1), "tiny": math.SmallestNonzeroFloat64}}}}},
		{"unicode and empty keys", &model.Batch{Host: model.Host{Name: "hôte-✓"}, Events: []model.Event{{
			Dims: map[string]string{"": "", "mount": "/mnt/ü\x00x"}, Values: map[string]float64{"": 1}}}}},
		{"realistic", realisticBatch(12345)},
		{"check results", withChecks(realisticBatch(7))},
		{"empty checks", &model.Batch{Checks: []model.CheckResult{{Perf: []model.PerfValue{}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkRoundTrip(t, tc.b, 1_700_000_000_123_456_789)
		})
	}
}

func withChecks(b *model.Batch) *model.Batch {
	lo, hi := 0.0, math.Inf(1)
	b.Checks = []model.CheckResult{
		{Timestamp: 1_700_000_000_000, Name: "disk", Command: "check_disk -p /", State: 2, StateType: "hard", Attempt: 3, MaxAttempts: 3,
			Output: "DISK CRITICAL - / 99%", LongOutput: "line 2\nline 3", LastChange: 1_699_999_000_000, DurationUS: 1234,
			Perf: []model.PerfValue{{Label: "/", Value: 99, Unit: "%", Warn: "80", Crit: "@90:100", Min: &lo, Max: &hi}, {Label: "x", Value: -1}}},
		{Timestamp: 1_700_000_000_001, Name: "load", State: 0, StateType: "hard", Attempt: 1, MaxAttempts: 1},
	}
	return b
}

// TestCodecReadsFormatV1 decodes a frame as the outbox wrote it before check
// results existed: an outbox left by the older collector drains after an upgrade.
func TestCodecReadsFormatV1(t *testing.T) {
	b := realisticBatch(3)
	frame := append(make([]byte, headerLen), formatV1)
	frame = binary.LittleEndian.AppendUint64(frame, 42)
	frame = appendBatch(frame, b)
	h := frame[:headerLen]
	binary.LittleEndian.PutUint32(h[0:], uint32(len(frame)-headerLen))
	binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(frame[headerLen:], castagnoli))
	binary.LittleEndian.PutUint32(h[8:], crc32.Checksum(h[:8], castagnoli))
	recs, bad, _ := scanSegment(frame)
	if len(recs) != 1 || len(bad) != 0 {
		t.Fatalf("format 1 frame: %d records, %d damaged", len(recs), len(bad))
	}
	got, err := decodeFrame(frame, string(frame))
	if err != nil || !sameBatch(got, b) {
		t.Fatalf("format 1 frame decoded to %+v, %v", got, err)
	}
}

// checkRoundTrip encodes b in a frame, finds it with the segment scanner and
// decodes it back.
func checkRoundTrip(t *testing.T, b *model.Batch, received int64) {
	t.Helper()
	frame, err := appendFrame(nil, b, received)
	if err != nil {
		t.Fatal(err)
	}
	recs, bad, end := scanSegment(frame)
	if len(recs) != 1 || len(bad) != 0 || end != int64(len(frame)) || recs[0].received != received {
		t.Fatalf("scan of one frame: %+v %+v %d", recs, bad, end)
	}
	got, err := decodeFrame(frame, string(frame))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !sameBatch(got, b) {
		t.Fatalf("round trip changed the batch:\n got %+v\nwant %+v", got, b)
	}
}

// FuzzDecodeRecord feeds arbitrary bytes to the segment scanner and to the batch
// decoder: neither may panic, records found must lie inside the input in order,
// and whatever decodes must survive another encode/decode unchanged.
func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte{})
	f.Add(appendBatch(nil, &model.Batch{AgentID: "a", Events: []model.Event{{Dataset: "d", Values: map[string]float64{"v": 1}}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, bad, end := scanSegment(data)
		var prev int64
		for _, r := range recs {
			if r.off < prev || r.off+int64(r.n) > int64(len(data)) {
				t.Fatalf("record %+v out of order or outside %d bytes", r, len(data))
			}
			prev = r.off + int64(r.n)
			frame := data[r.off:prev]
			if b, err := decodeFrame(frame, string(frame)); err == nil {
				checkRoundTrip(t, b, r.received)
			}
		}
		if end != prev {
			t.Fatalf("end %d, last record ends at %d", end, prev)
		}
		for _, g := range bad {
			if g.off < 0 || g.n <= 0 || g.off+g.n > end {
				t.Fatalf("damaged region %+v outside the records (end %d)", g, end)
			}
		}
		d := decoder{b: data, s: string(data)}
		if b, err := d.batch(formatV1); err == nil {
			checkRoundTrip(t, b, 0)
		}
	})
}

// TestFuzzSeedCorpus checks that testdata/fuzz/FuzzDecodeRecord holds what its
// names say (whole, torn and damaged segments, bare batch encodings), and writes
// it afresh with -update.
func TestFuzzSeedCorpus(t *testing.T) {
	// Small on purpose: the fuzzer minimises every new input, and with agent-sized
	// (5 KB) seeds that took the whole fuzz time.
	small := &model.Batch{AgentID: "a1", Seq: 7, Host: model.Host{Name: "h", Cloud: &model.Cloud{Region: "r"}},
		Events: []model.Event{{Timestamp: 1, Dataset: "system.filesystem",
			Dims: map[string]string{"system.filesystem.mount_point": "/"}, Values: map[string]float64{"system.filesystem.used.pct": 0.5}}}}
	agent := realisticBatch(2)
	agent.Events = agent.Events[4:7]
	var seg []byte
	for i, b := range []*model.Batch{small, agent, small} {
		var err error
		if seg, err = appendFrame(seg, b, int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	damaged := append([]byte(nil), seg...)
	damaged[frameSizeOf(t, small)+headerLen+30] ^= 1 // in the second frame's payload
	type want struct{ recs, bad int }
	seeds := map[string]struct {
		data []byte
		want want
	}{
		"segment":     {seg, want{3, 0}},
		"torn":        {seg[:len(seg)-7], want{2, 0}},
		"damaged":     {damaged, want{2, 1}},
		"batch":       {appendBatch(nil, small), want{}},
		"batch-agent": {appendBatch(nil, agent), want{}},
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeRecord")
	for name, seed := range seeds {
		path := filepath.Join(dir, name)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", seed.data)
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to write the corpus)", err)
		}
		lit, ok := strings.CutPrefix(string(raw), "go test fuzz v1\n[]byte(")
		lit, ok2 := strings.CutSuffix(lit, ")\n")
		q, err := strconv.Unquote(lit)
		if !ok || !ok2 || err != nil {
			t.Fatalf("%s: not a one-[]byte corpus file", path)
		}
		data := []byte(q)
		recs, bad, _ := scanSegment(data)
		if got := (want{len(recs), len(bad)}); got != seed.want {
			t.Errorf("%s: %d records, %d damaged regions; want %+v", name, got.recs, got.bad, seed.want)
		}
		if strings.HasPrefix(name, "batch") {
			d := decoder{b: data, s: q}
			if _, err := d.batch(formatV1); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

func frameSizeOf(t *testing.T, b *model.Batch) int64 {
	buf, err := appendFrame(nil, b, 0)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(buf))
}

package ship

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"

	"github.com/vigilmon/vigil/internal/model"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testBatch(samples int) *model.Batch {
	vals := make(map[string]float64, samples)
	for i := range samples {
		vals["test.value."+string(rune('a'+i%26))+strings.Repeat("x", i/26)] = float64(i)
	}
	return &model.Batch{Host: model.Host{Name: "h1"}, Events: []model.Event{{Timestamp: 1, Dataset: "test", Values: vals}}}
}

func openTestSpool(t *testing.T, dir string, maxBytes int64) *Spool {
	t.Helper()
	s, err := OpenSpool(SpoolOptions{Dir: dir, MaxBytes: maxBytes})
	if err != nil {
		t.Fatalf("open spool: %v", err)
	}
	return s
}

func TestSpoolSequenceSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := openTestSpool(t, dir, 1<<30)
	id := s.AgentID()
	for range 3 {
		if err := s.Append(testBatch(2)); err != nil {
			t.Fatal(err)
		}
	}
	seg, ok, err := s.Oldest()
	if err != nil || !ok || seg.Seq != 1 || seg.Samples != 2 {
		t.Fatalf("oldest = %+v %v %v, want seq 1 with 2 samples", seg, ok, err)
	}
	if err := s.Ack(2); err != nil {
		t.Fatal(err)
	}
	// A second instance on the same directory is what a restart after kill -9 sees:
	// nothing was closed or flushed beyond what Append and Ack did.
	s2 := openTestSpool(t, dir, 1<<30)
	if s2.AgentID() != id {
		t.Errorf("agent id changed across reopen: %q -> %q", id, s2.AgentID())
	}
	st := s2.Stats()
	if st.Segments != 1 || st.NextSeq != 4 {
		t.Errorf("after reopen: %+v, want 1 segment (3) and next seq 4", st)
	}
	if err := s2.Append(testBatch(1)); err != nil {
		t.Fatal(err)
	}
	seg, _, _ = s2.Oldest()
	if seg.Seq != 3 {
		t.Errorf("oldest after reopen = %d, want 3", seg.Seq)
	}
}

func TestSpoolNeverReusesAckedSequence(t *testing.T) {
	for _, clean := range []bool{false, true} {
		t.Run(map[bool]string{false: "kill -9", true: "clean stop"}[clean], func(t *testing.T) {
			dir := t.TempDir()
			s := openTestSpool(t, dir, 1<<30)
			for range 5 {
				if err := s.Append(testBatch(1)); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Ack(5); err != nil {
				t.Fatal(err)
			}
			if st := s.Stats(); st.Segments != 0 {
				t.Fatalf("segments after acking all = %d, want 0", st.Segments)
			}
			// After an unclean stop the newest acked batch is the sequence floor and is
			// sent once more (the collector answers it as a duplicate); after Close the
			// persisted ack is the floor and nothing is resent.
			wantSegments := 1
			if clean {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				wantSegments = 0
			}
			s2 := openTestSpool(t, dir, 1<<30)
			if st := s2.Stats(); st.Segments != wantSegments || st.NextSeq != 6 {
				t.Fatalf("after reopen: %+v, want %d segments and next seq 6", st, wantSegments)
			}
		})
	}
}

func TestSpoolKeepsOnlyOneAckedMarker(t *testing.T) {
	dir := t.TempDir()
	s := openTestSpool(t, dir, 1<<30)
	for i := range 4 {
		if err := s.Append(testBatch(1)); err != nil {
			t.Fatal(err)
		}
		if err := s.Ack(uint64(i + 1)); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"+segmentSuffix))
	if len(files) != 1 || filepath.Base(files[0]) != segmentName(4, 1) {
		t.Errorf("segment files after acking 1..4 = %v, want only the marker for 4", files)
	}
	if _, ok, _ := s.Oldest(); ok {
		t.Error("the acked marker is offered for shipping")
	}
}

func TestSpoolRecoversFromInterruptedWrites(t *testing.T) {
	dir := t.TempDir()
	s := openTestSpool(t, dir, 1<<30)
	if err := s.Append(testBatch(1)); err != nil {
		t.Fatal(err)
	}
	// A crash mid-write leaves a temporary file; a crash between ack and delete leaves
	// an acked segment.
	if err := os.WriteFile(filepath.Join(dir, tmpPrefix+segmentName(2, 1)), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.state.LastAcked = 1
	if err := s.saveState(); err != nil {
		t.Fatal(err)
	}
	s2 := openTestSpool(t, dir, 1<<30)
	if st := s2.Stats(); st.Segments != 0 || st.NextSeq != 2 {
		t.Errorf("stats = %+v, want no segments and next seq 2", st)
	}
	entries, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, e := range entries {
		if b := filepath.Base(e); b != stateFile && b != rejectedDir {
			t.Errorf("leftover file %s after recovery", b)
		}
	}
}

func TestSpoolDropsOldestWhenFull(t *testing.T) {
	dir := t.TempDir()
	probe := openTestSpool(t, t.TempDir(), 1<<30)
	if err := probe.Append(testBatch(10)); err != nil {
		t.Fatal(err)
	}
	one := probe.Stats().Bytes
	s := openTestSpool(t, dir, 3*one+one/2) // room for three batches
	for range 5 {
		if err := s.Append(testBatch(10)); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Segments != 3 || st.Drops.Batches != 2 || st.Drops.Samples != 20 {
		t.Fatalf("stats = %+v, want 3 segments kept and 2 batches / 20 samples dropped", st)
	}
	if seg, _, _ := s.Oldest(); seg.Seq != 3 {
		t.Errorf("oldest = %d, want 3 (1 and 2 dropped)", seg.Seq)
	}
	// Drop counters are persisted so a restart still reports them.
	if st2 := openTestSpool(t, dir, 1<<30).Stats(); st2.Drops != st.Drops {
		t.Errorf("drops after reopen = %+v, want %+v", st2.Drops, st.Drops)
	}
}

func TestSpoolFullDiskKeepsBatchesAndRecovers(t *testing.T) {
	dir := t.TempDir()
	s := openTestSpool(t, dir, 1<<30)
	if err := s.Append(testBatch(1)); err != nil {
		t.Fatal(err)
	}
	diskFull := true
	realWrite := s.writeDurable
	s.writeDurable = func(tmp, final string, data []byte) error {
		if diskFull {
			// A partial file is what a real ENOSPC leaves behind.
			_ = os.WriteFile(tmp, data[:len(data)/2], 0o600)
			return &os.PathError{Op: "write", Path: tmp, Err: syscall.ENOSPC}
		}
		return realWrite(tmp, final, data)
	}
	err := s.Append(testBatch(2))
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "spool batch 2") {
		t.Fatalf("append on full disk: err = %v, want ENOSPC naming batch 2", err)
	}
	if err := s.Append(testBatch(3)); err == nil {
		t.Fatal("second append on full disk succeeded")
	}
	if st := s.Stats(); st.Segments != 1 || st.Pending != 2 || st.NextSeq != 2 {
		t.Fatalf("stats on full disk = %+v, want 1 segment, 2 pending, next seq 2", st)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, tmpPrefix+"*")); len(tmps) != 0 {
		t.Fatalf("partial files left behind: %v", tmps)
	}
	diskFull = false
	if err := s.Flush(); err != nil {
		t.Fatalf("flush after space returned: %v", err)
	}
	var got []int
	for {
		seg, ok, err := s.Oldest()
		if err != nil || !ok {
			break
		}
		got = append(got, seg.Samples)
		if err := s.Ack(seg.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("batches after recovery have sample counts %v, want [1 2 3] in order", got)
	}
}

func TestSpoolPendingBound(t *testing.T) {
	s, err := OpenSpool(SpoolOptions{Dir: t.TempDir(), MaxBytes: 1 << 30, MaxPending: 2})
	if err != nil {
		t.Fatal(err)
	}
	s.writeDurable = func(string, string, []byte) error { return syscall.EROFS }
	for i := range 4 {
		_ = s.Append(testBatch(i + 1))
	}
	st := s.Stats()
	if st.Pending != 2 || st.Drops.Batches != 2 || st.Drops.Samples != 3 {
		t.Errorf("stats = %+v, want 2 pending and batches of 1+2 samples dropped", st)
	}
}

func TestSpoolRejectSetsBatchAside(t *testing.T) {
	dir := t.TempDir()
	s := openTestSpool(t, dir, 1<<30)
	for range 2 {
		if err := s.Append(testBatch(1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Reject(1); err != nil {
		t.Fatal(err)
	}
	if seg, _, _ := s.Oldest(); seg.Seq != 2 {
		t.Errorf("oldest after reject = %d, want 2", seg.Seq)
	}
	if _, err := os.Stat(filepath.Join(dir, rejectedDir, segmentName(1, 1))); err != nil {
		t.Errorf("rejected batch not kept for inspection: %v", err)
	}
	if st := s.Stats(); st.Drops.Rejected != 1 {
		t.Errorf("rejected count = %d, want 1", st.Drops.Rejected)
	}
}

func TestSpoolRefusesCorruptState(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := OpenSpool(SpoolOptions{Dir: dir, MaxBytes: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("open with corrupt state: err = %v, want a corrupt-state error", err)
	}
}

func TestParseSegmentName(t *testing.T) {
	for _, tc := range []struct {
		name    string
		seq     uint64
		samples int
		ok      bool
	}{
		{segmentName(42, 7), 42, 7, true},
		{"00000000000000000001-0.json.gz", 1, 0, true},
		{"00000000000000000000-1.json.gz", 0, 0, false},
		{"abc-1.json.gz", 0, 0, false},
		{"1.json.gz", 0, 0, false},
		{"1-2.json", 0, 0, false},
		{"1--2.json.gz", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seq, n, ok := parseSegmentName(tc.name)
			if seq != tc.seq || n != tc.samples || ok != tc.ok {
				t.Errorf("parse(%q) = %d, %d, %v; want %d, %d, %v", tc.name, seq, n, ok, tc.seq, tc.samples, tc.ok)
			}
		})
	}
}

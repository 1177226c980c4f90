package outbox

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Close writes nothing that Append and Ack have not already written, so closing
// and reopening sees exactly what a restart after kill -9 sees.
func reopen(t *testing.T, ob *Outbox, o Options) *Outbox {
	t.Helper()
	if err := ob.Close(); err != nil {
		t.Fatal(err)
	}
	return openT(t, o)
}

func TestRestart(t *testing.T) {
	fs := frameSize(t, 1)
	removeFile := func(t *testing.T, path string) { os.Remove(path) }
	garbage := func(t *testing.T, path string) { appendFile(t, path, []byte{0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5}) }
	for _, tc := range []struct {
		name    string
		acked   []int                           // indexes into the 10 entries handed out
		ackLogs func(t *testing.T, path string) // damage done to each ack log, as a power cut may
		want    []uint64
	}{
		{"nothing acked", nil, nil, span(1, 10)},
		{"acked out of order", []int{6, 0, 3, 1, 2}, nil, []uint64{5, 6, 8, 9, 10}},
		{"whole segments acked", []int{0, 1, 2, 3, 4, 5}, nil, []uint64{7, 8, 9, 10}},
		{"everything acked", []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, nil, nil},
		{"zeros and a torn entry after the acks", []int{6, 0, 3, 1, 2}, garbage, []uint64{5, 6, 8, 9, 10}},
		// Documented: a lost ack log means redelivery, never loss.
		{"ack logs lost", []int{0, 1, 7}, removeFile, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Dir: t.TempDir(), SegmentBytes: 3 * fs}
			ob := openT(t, o)
			for i := range 10 {
				appendT(t, ob, realisticBatch(uint64(i+1)))
			}
			es := nextT(t, ob, 4)
			var ack []Entry
			for _, i := range tc.acked {
				ack = append(ack, es[i])
			}
			if err := ob.Ack(ack); err != nil {
				t.Fatal(err)
			}
			if tc.ackLogs != nil {
				acks, _ := filepath.Glob(filepath.Join(o.Dir, "*"+ackExt))
				for _, p := range acks {
					tc.ackLogs(t, p)
				}
			}
			ob = reopen(t, ob, o)
			if st := ob.Stats(); st.Entries != len(tc.want) {
				t.Errorf("entries after restart = %d, want %d", st.Entries, len(tc.want))
			}
			wantSeqs(t, nextT(t, ob, 3), tc.want...)
			// Appends after a restart go behind the recovered entries.
			appendT(t, ob, realisticBatch(11))
			wantSeqs(t, nextT(t, ob, 3), 11)
		})
	}
}

// writeRecords appends n batches one group each, closes, and returns the frame
// offsets in the single segment and the segment's path.
func writeRecords(t *testing.T, o Options, n int) (offs []int64, path string) {
	t.Helper()
	ob := openT(t, o)
	for i := range n {
		appendT(t, ob, realisticBatch(uint64(i+1)))
	}
	for _, r := range ob.segs[0].recs {
		offs = append(offs, r.off)
	}
	path = ob.segs[0].f.Name()
	if err := ob.Close(); err != nil {
		t.Fatal(err)
	}
	return offs, path
}

func TestTornTail(t *testing.T) {
	for _, tc := range []struct {
		name string
		// damage gets the file size and the last frame's offset and returns the
		// new size and bytes to write at the old end.
		damage func(size, last int64) (int64, []byte)
		want   []uint64
	}{
		{"cut in the last header", func(_, last int64) (int64, []byte) { return last + 5, nil }, span(1, 4)},
		{"cut in the last payload", func(_, last int64) (int64, []byte) { return last + headerLen + 100, nil }, span(1, 4)},
		{"one byte short", func(size, _ int64) (int64, []byte) { return size - 1, nil }, span(1, 4)},
		{"zeros after the end (power cut)", func(size, _ int64) (int64, []byte) { return size, make([]byte, 4096) }, span(1, 5)},
		{"garbage after the end", func(size, _ int64) (int64, []byte) { return size, []byte("garbage, not a frame") }, span(1, 5)},
		{"header with a length past the end", func(size, _ int64) (int64, []byte) {
			h, _ := appendFrame(nil, realisticBatch(9), 0)
			return size, h[:headerLen+10]
		}, span(1, 5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Dir: t.TempDir()}
			offs, path := writeRecords(t, o, 5)
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			size, extra := tc.damage(fi.Size(), offs[len(offs)-1])
			if err := os.Truncate(path, size); err != nil {
				t.Fatal(err)
			}
			appendFile(t, path, extra)
			ob := openT(t, o)
			wantEnd := offs[len(tc.want)-1] + frameSize(t, 1)
			if fi, _ := os.Stat(path); fi.Size() != wantEnd {
				t.Errorf("segment is %d bytes after recovery, want the torn tail cut at %d", fi.Size(), wantEnd)
			}
			if got := testCounter(ob.m.corrupt); got != 0 {
				t.Errorf("corrupt_total = %v; a torn tail is not corruption", got)
			}
			wantSeqs(t, nextT(t, ob, 10), tc.want...)
			appendT(t, ob, realisticBatch(6))
			wantSeqs(t, nextT(t, ob, 10), 6)
			ob = reopen(t, ob, o)
			wantSeqs(t, nextT(t, ob, 10), append(tc.want, 6)...)
		})
	}
}

func appendFile(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptRecordSkipped(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   func(off int64) int64 // byte to flip, given record 3's offset
	}{
		{"payload byte", func(off int64) int64 { return off + headerLen + 200 }},
		{"payload checksum", func(off int64) int64 { return off + 5 }},
		{"length", func(off int64) int64 { return off + 1 }},
		{"header checksum", func(off int64) int64 { return off + 9 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs strings.Builder
			o := Options{Dir: t.TempDir()}
			offs, path := writeRecords(t, o, 6)
			flipByte(t, path, tc.at(offs[2]))
			o.Logger = newTextLogger(&logs)
			ob := openT(t, o)
			wantSeqs(t, nextT(t, ob, 10), 1, 2, 4, 5, 6)
			if got := testCounter(ob.m.corrupt); got != 1 {
				t.Errorf("corrupt_total = %v, want 1", got)
			}
			if l := logs.String(); !strings.Contains(l, filepath.Base(path)) || !strings.Contains(l, "offset=") {
				t.Errorf("log does not name file and offset:\n%s", l)
			}
		})
	}
}

func flipByte(t *testing.T, path string, at int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptRecordFoundOnRead(t *testing.T) {
	ob := openT(t, Options{Dir: t.TempDir()})
	appendT(t, ob, batches(1, 3)...)
	flipByte(t, ob.segs[0].f.Name(), ob.segs[0].recs[1].off+headerLen+50)
	wantSeqs(t, nextT(t, ob, 10), 1, 3)
	if got := testCounter(ob.m.corrupt); got != 1 {
		t.Errorf("corrupt_total = %v, want 1", got)
	}
	if st := ob.Stats(); st.Entries != 2 {
		t.Errorf("entries = %d, want the damaged one dropped", st.Entries)
	}
}

func TestWriteErrors(t *testing.T) {
	enospc := func(f *os.File, data []byte, off int64, _ bool) error {
		_, _ = f.WriteAt(data[:len(data)/2], off) // a short write, as a full disk gives
		return syscall.ENOSPC
	}
	syncFails := func(f *os.File, data []byte, off int64, _ bool) error {
		_, _ = f.WriteAt(data, off)
		return syscall.EIO
	}
	for _, tc := range []struct {
		name  string
		write func(f *os.File, data []byte, off int64, sync bool) error
		errno syscall.Errno
	}{
		{"short write", enospc, syscall.ENOSPC},
		{"fsync fails", syncFails, syscall.EIO},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o := Options{Dir: dir}
			ob := openT(t, o)
			appendT(t, ob, batches(1, 2)...)
			before := ob.Stats()
			ob.writeAt = tc.write
			err := ob.Append(batches(3, 3), t0)
			if !errors.Is(err, tc.errno) {
				t.Fatalf("append = %v, want %v", err, tc.errno)
			}
			if st := ob.Stats(); st != before || diskBytes(t, dir) != before.Bytes {
				t.Errorf("failed append left %+v (%d bytes on disk), want %+v", st, diskBytes(t, dir), before)
			}
			ob.writeAt = writeAt
			appendT(t, ob, batches(6, 1)...)
			wantSeqs(t, nextT(t, ob, 10), 1, 2, 6)
			ob = reopen(t, ob, o)
			wantSeqs(t, nextT(t, ob, 10), 1, 2, 6)
		})
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	now := t0.Add(90 * time.Second)
	ob := openT(t, Options{Dir: t.TempDir(), Metrics: reg, Now: func() time.Time { return now }, NoSync: true})
	appendT(t, ob, batches(1, 3)...)
	es := nextT(t, ob, 1)
	if err := ob.Ack(es[:1]); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP vigil_collector_outbox_acked_total Outbox entries acked as delivered.
# TYPE vigil_collector_outbox_acked_total counter
vigil_collector_outbox_acked_total 1
# HELP vigil_collector_outbox_appended_total Batches written to the outbox.
# TYPE vigil_collector_outbox_appended_total counter
vigil_collector_outbox_appended_total 3
# HELP vigil_collector_outbox_entries Outbox entries not acked yet.
# TYPE vigil_collector_outbox_entries gauge
vigil_collector_outbox_entries 2
# HELP vigil_collector_outbox_oldest_age_seconds Age of the oldest unacked outbox entry, 0 when empty.
# TYPE vigil_collector_outbox_oldest_age_seconds gauge
vigil_collector_outbox_oldest_age_seconds 90
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "vigil_collector_outbox_acked_total",
		"vigil_collector_outbox_appended_total", "vigil_collector_outbox_entries", "vigil_collector_outbox_oldest_age_seconds"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 7 {
		t.Errorf("gathered %d series (%v), want 7", n, err)
	}
	// A second outbox on the same registry is an error, not a panic.
	if _, err := Open(Options{Dir: t.TempDir(), Metrics: reg}); err == nil {
		t.Error("second registration succeeded")
	}
}

func TestOrphanAckLogRemoved(t *testing.T) {
	dir := t.TempDir()
	// A crash between deleting a segment and its ack log; the outbox is empty
	// now, so the next segment would take that name.
	orphan := filepath.Join(dir, "00000000000000000001"+ackExt)
	if err := os.WriteFile(orphan, appendAck(nil, 1, 0), 0o640); err != nil {
		t.Fatal(err)
	}
	ob := openT(t, Options{Dir: dir})
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("orphan ack log still there: %v", err)
	}
	appendT(t, ob, batches(1, 1)...)
	ob = reopen(t, ob, Options{Dir: dir})
	wantSeqs(t, nextT(t, ob, 10), 1)
}

func TestDamagedEndOfOlderSegment(t *testing.T) {
	var logs strings.Builder
	o := Options{Dir: t.TempDir(), SegmentBytes: 3 * frameSize(t, 1)}
	ob := openT(t, o)
	for i := range 5 {
		appendT(t, ob, realisticBatch(uint64(i+1)))
	}
	older, off := ob.segs[0].f.Name(), ob.segs[0].recs[2].off
	flipByte(t, older, off+headerLen+7)
	o.Logger = newTextLogger(&logs)
	ob = reopen(t, ob, o)
	wantSeqs(t, nextT(t, ob, 10), 1, 2, 4, 5)
	if got := testCounter(ob.m.corrupt); got != 1 {
		t.Errorf("corrupt_total = %v, want 1", got)
	}
	if !strings.Contains(logs.String(), "offset="+strconv.FormatInt(off, 10)) {
		t.Errorf("log does not name offset %d:\n%s", off, logs.String())
	}
}

// A segment cut short behind the outbox's back cannot be read: Next says so and
// keeps the entries, rather than dropping them silently.
func TestReadErrorKeepsEntries(t *testing.T) {
	ob := openT(t, Options{Dir: t.TempDir()})
	appendT(t, ob, batches(1, 3)...)
	path := ob.segs[0].f.Name()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := ob.Next(t.Context(), 10, 0); err == nil || !strings.Contains(err.Error(), filepath.Base(path)) {
		t.Fatalf("next = %v, want a read error naming the segment", err)
	}
	if st := ob.Stats(); st.Entries != 3 || countHanded(ob) != 0 {
		t.Errorf("after a failed read: %+v, %d handed out; want all 3 waiting", st, countHanded(ob))
	}
}

// Package outbox is the collector's on-disk queue between ingest and
// Elasticsearch. Ingest appends every batch and acks the agent only once the
// append is fsynced; a drainer reads entries in order, bulk-writes them and acks
// them here; whole segments whose entries are all acked are deleted. Agents keep
// being acked while the cluster is down, the queue is bounded (ErrFull turns into
// 429, so agents keep the data in their own spools), and nothing appended is lost
// by kill -9 or a power cut: it is delivered, possibly again, after a restart.
//
// On disk: Dir holds segments "<first sequence, 20 digits>.seg", each a run of
// checksummed frames (codec.go), next to a segment an optional "<same>.ack"
// log of the frames already delivered (recover.go), and LOCK.
package outbox

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/internal/model"
)

// ErrFull is returned by Append when the batches do not fit under MaxBytes;
// nothing was written.
var ErrFull = errors.New("outbox full")

// ErrClosed is returned by every operation after Close, and wakes a waiting Next.
var ErrClosed = errors.New("outbox closed")

// Options configures an Outbox.
type Options struct {
	// Dir holds the segments; it is created 0750 if missing.
	Dir string
	// MaxBytes bounds the segment bytes on disk (default 1 GiB). The ack logs
	// (8 bytes per entry) are not counted.
	MaxBytes int64
	// SegmentBytes is the size beyond which the next append starts a new segment
	// (default 16 MiB, at most 1 GiB). Space is reclaimed a segment at a time.
	SegmentBytes int64
	Logger       *slog.Logger
	// Metrics, if not nil, gets the vigil_collector_outbox_* collectors.
	Metrics prometheus.Registerer
	Now     func() time.Time
	// NoSync skips every fsync: for benchmarks and tests that do not test crash
	// safety. Data then survives kill -9 but not a power cut.
	NoSync bool
}

// Entry is one batch handed out by Next; pass it back to Ack once delivered.
type Entry struct {
	Batch    *model.Batch
	Received time.Time

	seg *segment
	idx int    // index in seg.recs
	off int64  // frame offset in the segment: Ack checks it, so a stale Entry acks nothing else
	n   uint32 // frame length
}

// Stats is a snapshot of the queue.
type Stats struct {
	// Bytes is the size of all segments on disk.
	Bytes int64
	// Entries counts entries not acked yet (handed out or not).
	Entries int
	// Oldest is the Received time of the first unacked entry in append order,
	// zero when there is none.
	Oldest time.Time
}

// Outbox is a bounded, crash-safe FIFO of batches on disk. Append, Next, Ack,
// Rewind, Stats and Close may be called from any goroutine.
type Outbox struct {
	dir      string
	maxBytes int64
	segBytes int64
	noSync   bool
	log      *slog.Logger
	now      func() time.Time
	m        metrics

	// writeAt does every segment write (and its fsync when sync is set), a field
	// so tests can fail it the way a full or broken disk does.
	writeAt func(f *os.File, data []byte, off int64, sync bool) error

	// wmu serialises Append, so the mutex below is never held across a write or
	// fsync: Next, Ack and Stats do not wait for the disk.
	wmu  sync.Mutex
	wbuf []byte
	wrec []record

	mu      sync.Mutex
	segs    []*segment // ascending seq; the last one may be active
	active  *segment   // where Append writes; nil until the first Append after Open or a seal
	nextSeq uint64     // first sequence of a new segment, above every existing name
	bytes   int64
	entries int
	waiters int
	wake    chan struct{} // closed and replaced when entries become available
	done    chan struct{} // closed by Close
	closed  bool
	ackBuf  []byte
	lock    *os.File // flock on Dir/LOCK, held until Close
}

const (
	defaultMaxBytes     = 1 << 30
	defaultSegmentBytes = 16 << 20
	maxSegmentBytes     = 1 << 30 // ack entries hold offsets as uint32
)

// Open opens (creating if needed) the outbox in o.Dir and recovers its segments:
// the torn tail of the newest one (a crash mid-write) is truncated away, damaged
// records elsewhere are skipped, counted and logged, and entries acked before the
// restart are not handed out again.
func Open(o Options) (*Outbox, error) {
	if o.Dir == "" {
		return nil, errors.New("open outbox: no directory")
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = defaultMaxBytes
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = defaultSegmentBytes
	}
	o.SegmentBytes = min(o.SegmentBytes, o.MaxBytes, maxSegmentBytes)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("create outbox directory: %w", err)
	}
	var err error
	ob := &Outbox{
		dir: o.Dir, maxBytes: o.MaxBytes, segBytes: o.SegmentBytes, noSync: o.NoSync,
		log: o.Logger, now: o.Now, m: newMetrics(), writeAt: writeAt,
		wake: make(chan struct{}), done: make(chan struct{}), nextSeq: 1,
	}
	if ob.lock, err = lockDir(o.Dir); err != nil {
		return nil, fmt.Errorf("open outbox %s: %w", o.Dir, err)
	}
	if err := ob.recover(); err != nil {
		_ = ob.Close()
		return nil, fmt.Errorf("open outbox %s: %w", o.Dir, err)
	}
	if o.Metrics != nil {
		if err := ob.m.register(o.Metrics, ob); err != nil {
			_ = ob.Close()
			return nil, fmt.Errorf("open outbox: register metrics: %w", err)
		}
	}
	return ob, nil
}

// Append writes batches, all received at received, with one write and one
// fsync, and returns once they are durable. If they would take the outbox beyond
// MaxBytes it writes nothing and returns ErrFull (a group larger than MaxBytes is
// always refused: retry with fewer batches). After any other error none of
// the batches may be acked to their agents (a prefix of them may still be
// delivered later; documents have deterministic IDs, so that is harmless), and
// the outbox stays usable: the next Append starts a new segment.
func (o *Outbox) Append(batches []*model.Batch, received time.Time) error {
	if len(batches) == 0 {
		return nil
	}
	o.wmu.Lock()
	defer o.wmu.Unlock()

	buf, recs := o.wbuf[:0], o.wrec[:0]
	rcv := received.UnixNano()
	for _, b := range batches {
		if b == nil {
			return errors.New("append to outbox: nil batch")
		}
		start := len(buf)
		var err error
		if buf, err = appendFrame(buf, b, rcv); err != nil {
			return fmt.Errorf("append to outbox: %w", err)
		}
		recs = append(recs, record{off: int64(start), n: uint32(len(buf) - start), received: rcv})
	}
	// Keep the buffers for the next group, unless a burst made them huge.
	if cap(buf) <= 8<<20 {
		o.wbuf, o.wrec = buf, recs
	} else {
		o.wbuf, o.wrec = nil, nil
	}
	need := int64(len(buf))
	if need > maxPayloadLen {
		return fmt.Errorf("append to outbox: %d bytes in one group, above the %d byte limit", need, maxPayloadLen)
	}

	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return ErrClosed
	}
	if a := o.active; o.bytes+need > o.maxBytes && a != nil && a.size > 0 && a.acked == len(a.recs) {
		// The segment being written is all delivered: retire it now instead of
		// refusing while its bytes are reclaimable.
		o.sealLocked()
		o.reclaimLocked()
	}
	if o.bytes+need > o.maxBytes {
		o.mu.Unlock()
		o.m.full.Inc()
		return ErrFull
	}
	// Only Append changes o.active and seg.size, and it holds wmu: both can be
	// used below without mu. Concurrent Acks only lower o.bytes.
	seg := o.active
	o.mu.Unlock()

	if seg == nil || (seg.size > 0 && seg.size+need > o.segBytes) {
		var err error
		if seg, err = o.roll(); err != nil {
			return err
		}
	}
	off := seg.size
	if err := o.writeAt(seg.f, buf, off, !o.noSync); err != nil {
		o.failedWrite(seg, off, need)
		return fmt.Errorf("append to outbox %s: %w", filepath.Base(seg.f.Name()), err)
	}

	o.mu.Lock()
	for _, r := range recs {
		r.off += off
		seg.recs = append(seg.recs, r)
	}
	seg.unread += len(recs)
	seg.size += need
	o.bytes += need
	o.entries += len(recs)
	o.nextSeq += uint64(len(recs))
	o.broadcastLocked()
	o.mu.Unlock()
	o.m.appended.Add(float64(len(recs)))
	return nil
}

// roll creates the next segment and makes it the active one. The directory is
// fsynced before any data goes in, so a durable record is always in a file
// whose name is durable too.
func (o *Outbox) roll() (*segment, error) {
	o.mu.Lock()
	seq := o.nextSeq
	if n := len(o.segs); n > 0 {
		seq = max(seq, o.segs[n-1].seq+1) // the last one may hold no records
	}
	o.mu.Unlock()
	path := o.segPath(seq, segExt)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("create outbox segment: %w", err)
	}
	if !o.noSync {
		if err := syncDir(o.dir); err != nil {
			_ = f.Close()
			_ = os.Remove(path)
			return nil, fmt.Errorf("create outbox segment: %w", err)
		}
	}
	seg := &segment{seq: seq, f: f}
	o.mu.Lock()
	o.sealLocked()
	o.segs = append(o.segs, seg)
	o.active = seg
	o.nextSeq = seq
	o.reclaimLocked()
	o.mu.Unlock()
	return seg, nil
}

// failedWrite cuts a failed group off the segment and retires the segment: after
// a failed fsync Linux may already have dropped the dirty pages and cleared the
// error, so the file's tail is not trusted for more appends. Records written
// before were fsynced by their own Append and stay.
func (o *Outbox) failedWrite(seg *segment, off, need int64) {
	size := off
	if err := seg.f.Truncate(off); err != nil {
		// The partial group stays after the last record; recovery skips it.
		size = off + need
		if fi, serr := seg.f.Stat(); serr == nil {
			size = max(off, fi.Size())
		}
		o.log.Warn("cannot cut a failed write off its segment", "file", seg.f.Name(), "offset", off, "err", err)
	}
	o.mu.Lock()
	o.bytes += size - seg.size
	seg.size = size
	o.sealLocked()
	o.reclaimLocked()
	o.mu.Unlock()
}

func (o *Outbox) sealLocked() {
	if o.active != nil {
		o.active.sealed = true
		o.active = nil
	}
}

func (o *Outbox) broadcastLocked() {
	if o.waiters > 0 {
		close(o.wake)
		o.wake = make(chan struct{})
	}
}

// Stats returns the current size of the queue.
func (o *Outbox) Stats() Stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := Stats{Bytes: o.bytes, Entries: o.entries}
	for _, s := range o.segs {
		for s.firstUnacked < len(s.recs) && s.recs[s.firstUnacked].state == stateAcked {
			s.firstUnacked++
		}
		if s.firstUnacked < len(s.recs) {
			st.Oldest = time.Unix(0, s.recs[s.firstUnacked].received)
			break
		}
	}
	return st
}

// Close waits for an Append in progress, wakes a waiting Next with ErrClosed and
// closes the files. Acks are not fsynced here either: the ack logs are in the page
// cache and survive the process; a power cut right after only means redelivery.
// Close is idempotent.
func (o *Outbox) Close() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	close(o.done)
	o.mu.Unlock()

	o.wmu.Lock()
	defer o.wmu.Unlock()
	o.mu.Lock()
	defer o.mu.Unlock()
	var errs []error
	for _, s := range o.segs {
		if err := s.close(); err != nil {
			errs = append(errs, err)
		}
	}
	if o.lock != nil {
		errs = append(errs, o.lock.Close()) // releases the flock
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close outbox: %w", err)
	}
	return nil
}

package outbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/vigilmon/vigil/internal/model"
)

// Entry states. Every change goes through setStateLocked, which keeps the
// counters in step.
const (
	stateUnread uint8 = iota // not handed out since Open or the last Rewind
	stateHanded              // handed out by Next, not acked
	stateAcked               // delivered (or unreadable and dropped)
)

// record is the in-memory index entry of one frame: about 24 bytes per batch,
// so a full 1 GiB outbox of 5 KB batches indexes in ~5 MB.
type record struct {
	off      int64
	received int64
	n        uint32
	state    uint8
}

type segment struct {
	seq    uint64
	f      *os.File // read handle, also the write handle while the segment is active
	ackf   *os.File // ack log, opened at the first ack
	ackOff int64    // where the next ack entry goes
	size   int64
	recs   []record

	unread, acked int
	next          int  // no unread record before this index
	firstUnacked  int  // no unacked record before this index
	pins          int  // entries being read by Next right now: the file must stay
	sealed        bool // no more appends; deleted once every record is acked
	deleted       bool
	closed        bool // files closed (deleted, or the outbox closed)
	removeErr     bool // removal failed once (logged once, retried)
}

// close closes the files once. s.f itself is never reset: Next reads through it
// without the lock, and a read racing Close just fails with os.ErrClosed.
func (s *segment) close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	errs = append(errs, s.f.Close())
	if s.ackf != nil {
		errs = append(errs, s.ackf.Close())
	}
	return errors.Join(errs...)
}

func (o *Outbox) setStateLocked(s *segment, i int, st uint8) {
	r := &s.recs[i]
	switch r.state {
	case stateUnread:
		s.unread--
	case stateAcked:
		s.acked--
		o.entries++
	}
	switch st {
	case stateUnread:
		s.unread++
		s.next = min(s.next, i)
	case stateAcked:
		s.acked++
		o.entries--
	}
	r.state = st
}

// Next waits until at least one entry is available (or ctx ends, or the outbox
// closes) and returns the oldest entries not handed out yet: up to maxEntries
// (at least 1) and, beyond the first, up to about maxBytes encoded bytes
// (maxBytes <= 0: no byte limit). Entries handed out and not acked are handed
// out again only after Rewind or a restart. A record found damaged on read is
// logged, counted in corrupt_total and dropped.
func (o *Outbox) Next(ctx context.Context, maxEntries int, maxBytes int64) ([]Entry, error) {
	maxEntries = max(maxEntries, 1)
	for {
		picked, err := o.take(ctx, maxEntries, maxBytes)
		if err != nil {
			return nil, err
		}
		entries, err := o.read(picked)
		if err != nil || len(entries) > 0 {
			return entries, err
		}
		// Everything taken was unreadable and is dropped: take the next ones.
	}
}

func (o *Outbox) take(ctx context.Context, maxEntries int, maxBytes int64) ([]Entry, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		if o.closed {
			return nil, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if picked := o.pickLocked(maxEntries, maxBytes); len(picked) > 0 {
			return picked, nil
		}
		wake := o.wake
		o.waiters++
		o.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
		case <-o.done:
		}
		o.mu.Lock()
		o.waiters--
	}
}

// pickLocked marks the oldest unread entries handed out and pins their segments.
func (o *Outbox) pickLocked(maxEntries int, maxBytes int64) []Entry {
	var picked []Entry
	var bytes int64
	for _, s := range o.segs {
		if s.unread == 0 {
			continue
		}
		for s.next < len(s.recs) && s.recs[s.next].state != stateUnread {
			s.next++
		}
		for i := s.next; i < len(s.recs) && s.unread > 0; i++ {
			r := s.recs[i]
			if r.state != stateUnread {
				continue
			}
			if len(picked) == maxEntries || (len(picked) > 0 && maxBytes > 0 && bytes+int64(r.n) > maxBytes) {
				return picked
			}
			o.setStateLocked(s, i, stateHanded)
			s.pins++
			bytes += int64(r.n)
			picked = append(picked, Entry{Received: time.Unix(0, r.received), seg: s, idx: i, off: r.off, n: r.n})
		}
	}
	return picked
}

// read fills in the batches of picked entries, reading each run of adjacent
// records with one ReadAt. Damaged records are dropped. If reading fails, the
// entries not read go back to unread; the error is returned only if nothing
// could be read, so the drainer retries and the problem is visible.
func (o *Outbox) read(picked []Entry) ([]Entry, error) {
	out := make([]Entry, 0, len(picked))
	var bad []Entry
	var rerr error
	lo := 0
	for lo < len(picked) {
		hi := lo + 1
		for hi < len(picked) && picked[hi].seg == picked[lo].seg && picked[hi].idx == picked[hi-1].idx+1 {
			hi++
		}
		s, start := picked[lo].seg, picked[lo].off
		buf := make([]byte, picked[hi-1].off+int64(picked[hi-1].n)-start)
		if _, err := s.f.ReadAt(buf, start); err != nil {
			rerr = fmt.Errorf("read outbox segment %s: %w", s.f.Name(), err)
			break
		}
		// One string per run: every string of every batch in it is a slice of it.
		str := string(buf)
		for _, e := range picked[lo:hi] {
			p := int(e.off - start)
			b, err := decodeChecked(buf[p:p+int(e.n)], str[p:p+int(e.n)])
			if err != nil {
				o.log.Error("dropped damaged record", "file", s.f.Name(), "offset", e.off, "err", err)
				bad = append(bad, e)
				continue
			}
			e.Batch = b
			out = append(out, e)
		}
		lo = hi
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	for _, e := range picked {
		e.seg.pins--
	}
	for _, e := range bad {
		if e.seg.recs[e.idx].state != stateAcked {
			o.setStateLocked(e.seg, e.idx, stateAcked)
			o.m.corrupt.Inc()
		}
	}
	if rerr != nil {
		for _, e := range picked[lo:] {
			if e.seg.recs[e.idx].state == stateHanded {
				o.setStateLocked(e.seg, e.idx, stateUnread)
			}
		}
		o.broadcastLocked()
	}
	o.reclaimLocked()
	if rerr != nil && len(out) == 0 {
		if o.closed {
			return nil, ErrClosed
		}
		return nil, rerr
	}
	return out, nil
}

// decodeChecked verifies a frame again (the disk may have changed since Open)
// and decodes its batch.
func decodeChecked(frame []byte, str string) (*model.Batch, error) {
	if n, _, ok, _ := frameAt(frame, 0); !ok || n != len(frame) {
		return nil, errCorrupt
	}
	return decodeFrame(frame, str)
}

// Ack marks entries delivered. Entries may be acked in any order and more than
// once. Each ack is appended to the segment's ack log without fsync: it survives
// kill -9 (page cache), and losing it to a power cut only means redelivery. A
// segment is deleted once it is sealed and every entry in it is acked. The entries
// are marked delivered in memory even if the returned error (from writing the ack
// log) is not nil; such an ack is only lost at the next restart.
func (o *Outbox) Ack(entries []Entry) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrClosed
	}
	var errs []error
	n := 0
	for i := 0; i < len(entries); {
		s := entries[i].seg
		buf := o.ackBuf[:0]
		for ; i < len(entries) && entries[i].seg == s; i++ {
			e := &entries[i]
			if s == nil || s.deleted || e.idx >= len(s.recs) || s.recs[e.idx].off != e.off || s.recs[e.idx].state == stateAcked {
				continue
			}
			o.setStateLocked(s, e.idx, stateAcked)
			buf = appendAck(buf, s.seq, e.off)
			n++
		}
		if len(buf) > 0 {
			if err := o.writeAcks(s, buf); err != nil {
				errs = append(errs, err)
			}
		}
		o.ackBuf = buf
	}
	o.m.acked.Add(float64(n))
	o.reclaimLocked()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("persist outbox acks: %w", err)
	}
	return nil
}

// Rewind makes every entry handed out and not acked available to Next again.
func (o *Outbox) Rewind() {
	o.mu.Lock()
	defer o.mu.Unlock()
	rewound := false
	for _, s := range o.segs {
		for i := range s.recs {
			if s.recs[i].state == stateHanded {
				o.setStateLocked(s, i, stateUnread)
				rewound = true
			}
		}
	}
	if rewound {
		o.broadcastLocked()
	}
}

// reclaimLocked deletes sealed segments whose entries are all acked.
func (o *Outbox) reclaimLocked() {
	keep := o.segs[:0]
	removed := false
	for _, s := range o.segs {
		if s.sealed && s.pins == 0 && s.acked == len(s.recs) {
			if err := o.removeSegment(s); err == nil {
				removed = true
				continue
			} else if !s.removeErr {
				s.removeErr = true
				o.log.Error("delete delivered segment (will retry)", "seq", s.seq, "err", err)
			}
		}
		keep = append(keep, s)
	}
	clear(o.segs[len(keep):])
	o.segs = keep
	if removed && !o.noSync {
		// Not needed for safety (a resurrected segment is only redelivered), but
		// it keeps the bytes the ops team sees freed actually free after a crash.
		if err := syncDir(o.dir); err != nil {
			o.log.Warn("sync directory after delete", "err", err)
		}
	}
}

// removeSegment deletes the segment first and its ack log second: a crash in
// between leaves an ack log without segment, which Open removes before any new
// segment could take its name.
func (o *Outbox) removeSegment(s *segment) error {
	_ = s.close()
	if err := os.Remove(o.segPath(s.seq, segExt)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s.deleted = true
	o.bytes -= s.size
	if err := os.Remove(o.segPath(s.seq, ackExt)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		o.log.Warn("delete ack log", "seq", s.seq, "err", err)
	}
	return nil
}

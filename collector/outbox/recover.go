package outbox

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	segExt      = ".seg"
	ackExt      = ".ack"
	ackEntryLen = 8
)

func (o *Outbox) segPath(seq uint64, ext string) string {
	return filepath.Join(o.dir, fmt.Sprintf("%020d%s", seq, ext))
}

// parseName recognises "<20 digits>.seg" and "<20 digits>.ack"; anything else in
// the directory is left alone.
func parseName(name string) (seq uint64, ext string, ok bool) {
	ext = filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	if (ext != segExt && ext != ackExt) || len(base) != 20 {
		return 0, "", false
	}
	seq, err := strconv.ParseUint(base, 10, 64)
	return seq, ext, err == nil
}

// The ack log of a segment is a run of 8-byte entries [u32 frame offset][u32
// CRC-32C(segment seq, offset)], written in place (never O_APPEND, so a short
// write is overwritten by the next one instead of misaligning every entry after
// it) and never fsynced. A power cut can leave zeros or garbage in it; the
// checksum rejects those, so damage only loses acks (redelivery) and never marks
// an undelivered entry delivered.
func appendAck(buf []byte, seq uint64, off int64) []byte {
	buf = binary.LittleEndian.AppendUint32(buf, uint32(off))
	return binary.LittleEndian.AppendUint32(buf, ackSum(seq, uint32(off)))
}

func ackSum(seq uint64, off uint32) uint32 {
	var k [12]byte
	binary.LittleEndian.PutUint64(k[:], seq)
	binary.LittleEndian.PutUint32(k[8:], off)
	return crc32.Checksum(k[:], castagnoli)
}

func (o *Outbox) writeAcks(s *segment, buf []byte) error {
	if s.closed {
		return nil // deleted already: nothing left to ack
	}
	if s.ackf == nil {
		f, err := os.OpenFile(o.segPath(s.seq, ackExt), os.O_WRONLY|os.O_CREATE, 0o640)
		if err != nil {
			return err
		}
		s.ackf = f
	}
	if _, err := s.ackf.WriteAt(buf, s.ackOff); err != nil {
		return err
	}
	s.ackOff += int64(len(buf))
	return nil
}

// recover loads every segment in the directory. Only the newest segment can have
// been in the middle of a write when the process died, so only its tail is
// truncated; new appends always go to a new segment, so no recovered offset is
// ever reused and a stale ack can never match a new record.
func (o *Outbox) recover() error {
	des, err := os.ReadDir(o.dir)
	if err != nil {
		return fmt.Errorf("read directory: %w", err)
	}
	var seqs, acks []uint64
	hasSeg := map[uint64]bool{}
	for _, de := range des {
		seq, ext, ok := parseName(de.Name())
		switch {
		case !ok || !de.Type().IsRegular():
		case ext == segExt:
			seqs = append(seqs, seq)
			hasSeg[seq] = true
		default:
			acks = append(acks, seq)
		}
	}
	for _, seq := range acks {
		// Left by a crash between deleting a segment and its ack log. It must go
		// before a new segment can get its name (the outbox may be empty now).
		if !hasSeg[seq] {
			if err := os.Remove(o.segPath(seq, ackExt)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove ack log of a deleted segment: %w", err)
			}
		}
	}
	slices.Sort(seqs)
	for i, seq := range seqs {
		s, err := o.loadSegment(seq, i == len(seqs)-1)
		if err != nil {
			return err
		}
		o.segs = append(o.segs, s)
		o.bytes += s.size
		o.entries += len(s.recs) - s.acked
		o.nextSeq = max(o.nextSeq, seq+uint64(max(len(s.recs), 1)))
	}
	o.mu.Lock()
	o.reclaimLocked()
	o.mu.Unlock()
	if len(o.segs) > 0 {
		o.log.Info("recovered undelivered entries", "segments", len(o.segs), "entries", o.entries, "bytes", o.bytes)
	}
	return nil
}

func (o *Outbox) loadSegment(seq uint64, newest bool) (*segment, error) {
	path := o.segPath(seq, segExt)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read segment: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open segment: %w", err)
	}
	s := &segment{seq: seq, f: f, sealed: true, size: int64(len(data))}
	scanned, bad, end := scanSegment(data)
	for _, r := range bad {
		o.m.corrupt.Inc()
		o.log.Error("skipped damaged record", "file", path, "offset", r.off, "bytes", r.n)
	}
	if tail := s.size - end; tail > 0 {
		if newest {
			// A group whose write or fsync never finished: its Append did not
			// return nil, so none of it was acked to an agent.
			o.log.Warn("truncated torn write", "file", path, "offset", end, "bytes", tail)
			if err := o.truncate(f, end); err != nil {
				o.log.Warn("truncate torn write", "file", path, "err", err)
			} else {
				s.size = end
			}
		} else {
			o.m.corrupt.Inc()
			o.log.Error("skipped damaged bytes at the end of a segment", "file", path, "offset", end, "bytes", tail)
		}
	}
	s.recs = make([]record, len(scanned))
	for i, r := range scanned {
		s.recs[i] = record{off: r.off, n: r.n, received: r.received}
	}
	if err := o.loadAcks(s); err != nil {
		_ = f.Close()
		return nil, err
	}
	s.unread = len(s.recs) - s.acked
	return s, nil
}

func (o *Outbox) truncate(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	if o.noSync {
		return nil
	}
	// So that a second crash cannot bring the torn bytes back behind a newer segment.
	return f.Sync()
}

func (o *Outbox) loadAcks(s *segment) error {
	path := o.segPath(s.seq, ackExt)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read ack log: %w", err)
	}
	s.ackOff = int64(len(data) / ackEntryLen * ackEntryLen)
	ignored := 0
	for p := 0; p+ackEntryLen <= len(data); p += ackEntryLen {
		off := binary.LittleEndian.Uint32(data[p:])
		if binary.LittleEndian.Uint32(data[p+4:]) != ackSum(s.seq, off) {
			ignored++
			continue
		}
		i, found := slices.BinarySearchFunc(s.recs, int64(off), func(r record, t int64) int { return cmp.Compare(r.off, t) })
		if found && s.recs[i].state != stateAcked {
			s.recs[i].state = stateAcked
			s.acked++
		}
	}
	if ignored > 0 {
		o.log.Warn("ignored damaged acks; those entries are delivered again", "file", path, "acks", ignored)
	}
	return nil
}

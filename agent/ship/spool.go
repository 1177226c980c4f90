// Package ship moves batches from the agent to the collector without losing them:
// every batch is written to an on-disk spool (one fsynced file per batch) before it is
// sent, and its file is deleted only after the collector has acknowledged it.
package ship

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"

	"github.com/vigilmon/vigil/internal/model"
)

// Segment names are "<seq, 20 digits>-<samples>.json.gz": sortable by name, and the
// sample count is known without reading the file when a full spool drops it.
const (
	segmentSuffix = ".json.gz"
	tmpPrefix     = ".tmp-"
	rejectedDir   = "rejected"
	stateFile     = "state.json"
)

// SpoolOptions configures a Spool.
type SpoolOptions struct {
	Dir string
	// MaxBytes bounds the files on disk; when a new batch would exceed it, the
	// oldest unacked batches are dropped and counted.
	MaxBytes int64
	// MaxPending bounds the batches held in memory while the disk refuses writes
	// (full disk); beyond it the oldest pending batch is dropped and counted.
	MaxPending int
	Logger     *slog.Logger
}

// Segment is one spooled batch as it goes on the wire (gzip-compressed JSON).
type Segment struct {
	Seq     uint64
	Samples int
	Data    []byte
}

// DropStats counts what the spool had to throw away; it is persisted and shipped
// as metrics so that no loss is silent.
type DropStats struct {
	Batches  uint64 `json:"dropped_batches"`
	Samples  uint64 `json:"dropped_samples"`
	Rejected uint64 `json:"rejected_batches"`
}

type spoolState struct {
	AgentID   string `json:"agent_id"`
	LastAcked uint64 `json:"last_acked_seq"`
	DropStats
}

type segmentInfo struct {
	seq     uint64
	samples int
	size    int64
}

// Spool is a bounded, crash-safe FIFO of batches on disk. It assigns sequence numbers
// when a batch reaches the disk, so a sequence number is never reused: the next one
// is above every segment file and the last acked sequence, both of which survive
// kill -9.
type Spool struct {
	opts   SpoolOptions
	logger *slog.Logger

	mu       sync.Mutex
	state    spoolState
	segments []segmentInfo // ascending seq
	bytes    int64
	nextSeq  uint64
	pending  []*model.Batch // waiting for disk space, oldest first
	lastErr  error
	notify   chan struct{}
	// marker is the newest segment, already acked, kept on disk until a newer
	// segment is durable: its name is the sequence floor after a crash, so acks
	// never need an fsync of their own. After a crash it is sent once more and the
	// collector answers it as a duplicate.
	marker *segmentInfo

	// One compressor for the life of the spool: a new gzip writer allocates about
	// 800 KB, which was most of the agent's CPU and heap per cycle.
	zw  *gzip.Writer
	buf bytes.Buffer

	// writeDurable does every disk write (segments and state), injected so tests
	// can simulate a full disk.
	writeDurable func(tmp, final string, data []byte) error
}

// OpenSpool opens (creating if needed) the spool directory and recovers its state:
// leftover temporary files from a crash are removed, and segments already acked are
// deleted.
func OpenSpool(opts SpoolOptions) (*Spool, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 360
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, rejectedDir), 0o750); err != nil {
		return nil, fmt.Errorf("create spool directory: %w", err)
	}
	zw, err := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	if err != nil {
		return nil, fmt.Errorf("create compressor: %w", err)
	}
	s := &Spool{opts: opts, logger: opts.Logger, notify: make(chan struct{}, 1), writeDurable: writeDurable, zw: zw}
	if err := s.loadState(); err != nil {
		return nil, err
	}
	if err := s.scan(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Spool) loadState() error {
	path := filepath.Join(s.opts.Dir, stateFile)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		id, err := newAgentID()
		if err != nil {
			return err
		}
		s.state.AgentID = id
		return s.saveState()
	case err != nil:
		return fmt.Errorf("read spool state: %w", err)
	}
	if err := json.Unmarshal(data, &s.state); err != nil || s.state.AgentID == "" {
		// The state file is written atomically, so this is outside damage. Refusing to
		// start is safer than inventing a new identity that would reuse sequences.
		return fmt.Errorf("read spool state %s: corrupt (%v); move it away to start with a new agent id", path, err)
	}
	return nil
}

func (s *Spool) saveState() error {
	data, err := json.Marshal(s.state)
	if err != nil {
		return fmt.Errorf("encode spool state: %w", err)
	}
	path := filepath.Join(s.opts.Dir, stateFile)
	tmp := filepath.Join(s.opts.Dir, tmpPrefix+stateFile)
	if err := s.writeDurable(tmp, path, data); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write spool state: %w", err)
	}
	return nil
}

func (s *Spool) scan() error {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return fmt.Errorf("read spool directory: %w", err)
	}
	maxSeq := s.state.LastAcked
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(s.opts.Dir, name)
		if strings.HasPrefix(name, tmpPrefix) {
			// A write interrupted by a crash; its batch never got a sequence number.
			_ = os.Remove(path)
			continue
		}
		seq, samples, ok := parseSegmentName(name)
		if !ok {
			continue
		}
		maxSeq = max(maxSeq, seq)
		if seq <= s.state.LastAcked {
			_ = os.Remove(path) // acked before the stop; the persisted ack keeps the floor
			continue
		}
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("stat spool segment %s: %w", name, err)
		}
		s.segments = append(s.segments, segmentInfo{seq: seq, samples: samples, size: info.Size()})
		s.bytes += info.Size()
	}
	slices.SortFunc(s.segments, func(a, b segmentInfo) int { return cmpUint(a.seq, b.seq) })
	s.nextSeq = maxSeq + 1
	return nil
}

// AgentID is the persistent identity of this agent installation.
func (s *Spool) AgentID() string { return s.state.AgentID }

// Append assigns the next sequence number to b and writes it durably. If the disk
// refuses the write (full, read-only), the batch is kept in memory, retried on the
// next Append or Flush, and the error is returned so the caller can report it.
func (s *Spool) Append(b *model.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = append(s.pending, b)
	for len(s.pending) > s.opts.MaxPending {
		s.state.Batches++
		s.state.Samples += uint64(s.pending[0].Samples())
		s.pending = s.pending[1:]
	}
	return s.flushLocked()
}

// Flush retries writing batches held in memory after a failed write.
func (s *Spool) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

func (s *Spool) flushLocked() error {
	wrote := false
	for len(s.pending) > 0 {
		b := s.pending[0]
		b.AgentID = s.state.AgentID
		b.Seq = s.nextSeq
		data, err := s.encode(b)
		if err != nil {
			// Cannot happen for the types in model; drop rather than wedge the spool.
			s.pending = s.pending[1:]
			s.state.Rejected++
			s.logger.Error("encode batch", "seq", b.Seq, "err", err)
			continue
		}
		name := segmentName(b.Seq, b.Samples())
		tmp, final := filepath.Join(s.opts.Dir, tmpPrefix+name), filepath.Join(s.opts.Dir, name)
		if err := s.writeDurable(tmp, final, data); err != nil {
			_ = os.Remove(tmp)
			_ = os.Remove(final)
			s.lastErr = fmt.Errorf("spool batch %d: %w", b.Seq, err)
			return s.lastErr
		}
		s.nextSeq++
		s.pending = s.pending[1:]
		s.segments = append(s.segments, segmentInfo{seq: b.Seq, samples: b.Samples(), size: int64(len(data))})
		s.bytes += int64(len(data))
		wrote = true
	}
	s.lastErr = nil
	if wrote {
		s.dropMarkerLocked()
		s.trimLocked()
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
	return nil
}

// trimLocked drops the oldest segments while the spool is over its byte bound. The
// newest segment always stays, so one oversized batch still gets shipped.
func (s *Spool) trimLocked() {
	dropped := false
	for s.bytes > s.opts.MaxBytes && len(s.segments) > 1 {
		old := s.segments[0]
		if err := os.Remove(filepath.Join(s.opts.Dir, segmentName(old.seq, old.samples))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.logger.Error("drop spool segment", "seq", old.seq, "err", err)
			return
		}
		s.segments = s.segments[1:]
		s.bytes -= old.size
		s.state.Batches++
		s.state.Samples += uint64(old.samples)
		dropped = true
		s.logger.Warn("spool full: dropped oldest batch", "seq", old.seq, "samples", old.samples, "max_bytes", s.opts.MaxBytes)
	}
	if dropped {
		if err := s.saveState(); err != nil {
			s.logger.Warn("persist spool drop counters", "err", err)
		}
	}
}

// Oldest returns the oldest spooled segment, or ok=false when the spool is empty.
func (s *Spool) Oldest() (seg Segment, ok bool, err error) {
	s.mu.Lock()
	if len(s.segments) == 0 {
		s.mu.Unlock()
		return Segment{}, false, nil
	}
	info := s.segments[0]
	s.mu.Unlock()
	data, err := os.ReadFile(filepath.Join(s.opts.Dir, segmentName(info.seq, info.samples)))
	if errors.Is(err, fs.ErrNotExist) {
		// Trimmed between the lock release and the read: the caller asks again.
		return Segment{}, false, nil
	}
	if err != nil {
		return Segment{}, false, fmt.Errorf("read spool segment %d: %w", info.seq, err)
	}
	return Segment{Seq: info.seq, Samples: info.samples, Data: data}, true, nil
}

// Ack records that the collector holds every batch up to seq durably and deletes
// their files, except the newest segment, which stays as the sequence floor until
// a newer one is durable (see marker). Nothing here needs an fsync: an ack lost in
// a crash only makes the agent send a batch again, which the collector answers as
// a duplicate.
func (s *Spool) Ack(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.LastAcked = max(s.state.LastAcked, seq)
	for len(s.segments) > 0 && s.segments[0].seq <= s.state.LastAcked {
		old := s.segments[0]
		s.segments = s.segments[1:]
		s.bytes -= old.size
		if len(s.segments) == 0 {
			s.dropMarkerLocked()
			s.marker = &old
			break
		}
		if err := os.Remove(filepath.Join(s.opts.Dir, segmentName(old.seq, old.samples))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete acked segment %d: %w", old.seq, err)
		}
	}
	return nil
}

func (s *Spool) dropMarkerLocked() {
	if s.marker == nil {
		return
	}
	if err := os.Remove(filepath.Join(s.opts.Dir, segmentName(s.marker.seq, s.marker.samples))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.logger.Warn("delete acked segment", "seq", s.marker.seq, "err", err)
	}
	s.marker = nil
}

// Close persists the last ack and the drop counters, so a clean restart neither
// resends the newest batch nor forgets what was lost. Safe to call more than once.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.saveState(); err != nil {
		return err
	}
	s.dropMarkerLocked()
	return nil
}

// Reject moves a batch the collector refused as invalid out of the queue, into
// rejected/ for inspection, so one bad batch never blocks the ones behind it.
func (s *Spool) Reject(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.segments) == 0 || s.segments[0].seq != seq {
		return nil
	}
	old := s.segments[0]
	name := segmentName(old.seq, old.samples)
	if err := os.Rename(filepath.Join(s.opts.Dir, name), filepath.Join(s.opts.Dir, rejectedDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("set aside rejected batch %d: %w", seq, err)
	}
	s.segments = s.segments[1:]
	s.bytes -= old.size
	s.state.Rejected++
	if seq > s.state.LastAcked {
		s.state.LastAcked = seq
	}
	return s.saveState()
}

// Notify is signalled whenever a new segment reaches the disk.
func (s *Spool) Notify() <-chan struct{} { return s.notify }

// Stats is a snapshot for metrics and self-reporting.
type Stats struct {
	Segments  int
	Bytes     int64
	Pending   int
	NextSeq   uint64
	LastAcked uint64
	Drops     DropStats
	WriteErr  error
}

// Stats returns the current spool numbers.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{
		Segments: len(s.segments), Bytes: s.bytes, Pending: len(s.pending),
		NextSeq: s.nextSeq, LastAcked: s.state.LastAcked, Drops: s.state.DropStats, WriteErr: s.lastErr,
	}
}

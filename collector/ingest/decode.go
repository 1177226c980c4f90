package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"

	"github.com/vigilmon/vigil/internal/model"
)

// Limits bound what one batch may contain, so a broken or hostile agent cannot make
// the collector allocate without end.
type Limits struct {
	MaxEvents         int
	MaxValuesPerEvent int
	MaxDimsPerEvent   int
}

// DefaultLimits are generous for any real host (a cycle has a few hundred events).
var DefaultLimits = Limits{MaxEvents: 100_000, MaxValuesPerEvent: 1_000, MaxDimsPerEvent: 32}

// RejectError is a batch refused for a reason the sender can act on. Reason is a
// stable token used as a metric label.
type RejectError struct {
	Status int
	Reason string
	Msg    string
}

func (e *RejectError) Error() string { return e.Msg }

func reject(status int, reason, format string, args ...any) *RejectError {
	return &RejectError{Status: status, Reason: reason, Msg: fmt.Sprintf(format, args...)}
}

// Timestamps outside this window are certainly wrong (a clock at 1970, or ms sent as
// ns) and would poison range queries.
const (
	minTimestampMS = 946_684_800_000   // 2000-01-01
	maxTimestampMS = 7_258_118_400_000 // 2200-01-01
)

// Decoder turns request bodies into validated batches. It pools gzip readers and
// body buffers: allocating them per request was a third of the ingest CPU. Safe
// for concurrent use.
type Decoder struct {
	maxBytes int64
	limits   Limits
	readers  sync.Pool // *gzip.Reader
	buffers  sync.Pool // *bytes.Buffer
}

// NewDecoder returns a Decoder that refuses bodies larger than maxBytes after
// decompression (which defeats gzip bombs) and batches beyond lim.
func NewDecoder(maxBytes int64, lim Limits) *Decoder {
	return &Decoder{maxBytes: maxBytes, limits: lim}
}

// Decode reads body according to encoding ("gzip" or "" / "identity"), then
// decodes and validates it as one batch.
func (d *Decoder) Decode(body io.Reader, encoding string) (*model.Batch, error) {
	buf, _ := d.buffers.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() {
		if buf.Cap() <= 4<<20 { // do not pin a rare huge body in the pool
			buf.Reset()
			d.buffers.Put(buf)
		}
	}()
	if err := d.decompress(buf, body, encoding); err != nil {
		return nil, err
	}
	return DecodeBatch(buf.Bytes(), d.limits)
}

func (d *Decoder) decompress(dst *bytes.Buffer, body io.Reader, encoding string) error {
	var r io.Reader
	switch encoding {
	case "", "identity":
		r = body
	case "gzip":
		zr, _ := d.readers.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(body)
		} else {
			err = zr.Reset(body)
		}
		if err != nil {
			return reject(400, "bad_encoding", "read gzip body: %v", err)
		}
		defer d.readers.Put(zr)
		r = zr
	default:
		return reject(415, "bad_encoding", "unsupported Content-Encoding %q (want gzip or identity)", encoding)
	}
	_, err := dst.ReadFrom(io.LimitReader(r, d.maxBytes+1))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return reject(413, "too_large", "body exceeds %d bytes", tooLarge.Limit)
	case err != nil:
		return reject(400, "bad_encoding", "read body: %v", err)
	case int64(dst.Len()) > d.maxBytes:
		return reject(413, "too_large", "decompressed body exceeds %d bytes", d.maxBytes)
	}
	return nil
}

// DecodeBatch parses and validates one batch. Unknown JSON fields are ignored so a
// newer agent can talk to an older collector; anything that would store wrong data
// is refused with the reason.
func DecodeBatch(data []byte, lim Limits) (*model.Batch, error) {
	var b model.Batch
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&b); err != nil {
		return nil, reject(400, "bad_json", "decode batch: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, reject(400, "bad_json", "decode batch: data after the JSON object")
	}
	if err := Validate(&b, lim); err != nil {
		return nil, err
	}
	return &b, nil
}

// Validate refuses a batch that would store wrong data, with a *RejectError
// that says why. DecodeBatch calls it; so does the collector for batches it
// makes itself from polled NRPE daemons, whose output is just as untrusted.
func Validate(b *model.Batch, lim Limits) error {
	if err := checkName("agent_id", b.AgentID, 64); err != nil {
		return err
	}
	// The store keys batches by seq in a signed 64-bit column; a larger value
	// would fail the whole group commit it joins, not just this batch.
	if b.Seq == 0 || b.Seq > math.MaxInt64 {
		return reject(400, "invalid", "seq must be between 1 and 2^63-1, got %d", b.Seq)
	}
	if b.Host.Name == "" || len(b.Host.Name) > 255 || !printable(b.Host.Name) {
		return reject(400, "invalid", "host.name must be 1..255 printable characters, got %q", clip(b.Host.Name))
	}
	if len(b.Events) > lim.MaxEvents {
		return reject(413, "too_many_events", "batch has %d events, limit %d", len(b.Events), lim.MaxEvents)
	}
	for i := range b.Events {
		if err := validateEvent(i, &b.Events[i], lim); err != nil {
			return err
		}
	}
	return validateChecks(b, lim)
}

func validateEvent(i int, e *model.Event, lim Limits) error {
	if e.Timestamp < minTimestampMS || e.Timestamp > maxTimestampMS {
		return reject(400, "invalid", "events[%d]: timestamp %d is not Unix milliseconds between 2000 and 2200", i, e.Timestamp)
	}
	if !validName(e.Dataset, 100) {
		return nameError(fmt.Sprintf("events[%d].dataset", i), e.Dataset, 100)
	}
	if len(e.Values) == 0 || len(e.Values) > lim.MaxValuesPerEvent {
		return reject(400, "invalid", "events[%d]: %d values, want 1..%d", i, len(e.Values), lim.MaxValuesPerEvent)
	}
	if len(e.Dims) > lim.MaxDimsPerEvent {
		return reject(400, "invalid", "events[%d]: %d dims, limit %d", i, len(e.Dims), lim.MaxDimsPerEvent)
	}
	for k, v := range e.Values {
		if !validName(k, 256) {
			return nameError(fmt.Sprintf("events[%d] field", i), k, 256)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return reject(400, "invalid", "events[%d].values[%q]: not a finite number", i, k)
		}
	}
	for k, v := range e.Dims {
		if !validName(k, 256) {
			return nameError(fmt.Sprintf("events[%d] dim", i), k, 256)
		}
		if len(v) > 1024 || !utf8.ValidString(v) {
			return reject(400, "invalid", "events[%d].dims[%q]: value must be valid UTF-8 of at most 1024 bytes", i, k)
		}
	}
	return nil
}

// checkName allows the characters of ECS field names and identifiers.
func checkName(what, s string, maxLen int) error {
	if !validName(s, maxLen) {
		return nameError(what, s, maxLen)
	}
	return nil
}

// validName is the allocation-free test behind checkName: it runs for every
// value of every batch.
func validName(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !nameChar(s[i]) {
			return false
		}
	}
	return true
}

func nameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '@'
}

// nameError says why validName refused s.
func nameError(what, s string, maxLen int) error {
	if s == "" || len(s) > maxLen {
		return reject(400, "invalid", "%s must be 1..%d characters, got %d", what, maxLen, len(s))
	}
	for i := 0; i < len(s); i++ {
		if !nameChar(s[i]) {
			return reject(400, "invalid", "%s %q has character %q (allowed: letters, digits, . _ - @)", what, clip(s), s[i])
		}
	}
	return reject(400, "invalid", "%s %q is not a valid name", what, clip(s))
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

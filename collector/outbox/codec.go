package outbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/vigilmon/vigil/internal/model"
)

// A segment is a sequence of frames, nothing else (no file header, so a crash
// while creating a file leaves nothing to repair):
//
//	[u32 payload length][u32 CRC-32C(payload)][u32 CRC-32C(first 8 header bytes)][payload]
//
// The header checksum lets recovery tell a damaged length (resynchronise by
// scanning) from a damaged payload (skip exactly one record), and makes the scan
// cheap: a random position is rejected after checksumming 8 bytes, not a
// payload-sized guess. All-zero bytes (what a power cut can leave past the last
// fsync) never form a valid header because CRC-32C of 8 zero bytes is not zero.
//
// The payload is [u8 format][i64 received, unix nanos][batch], little endian, the
// batch in the binary form of appendBatch. The received time sits at a fixed
// place so Open reads it without decoding batches. Format 1 batches end after
// their events; format 2 adds the check results. Both are read, so an outbox
// written before an upgrade drains after it.
const (
	headerLen     = 12
	formatV1      = 1
	formatV2      = 2
	minPayload    = 1 + 8
	maxPayloadLen = 1 << 30 // also keeps frame offsets inside a segment within uint32
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var errCorrupt = errors.New("corrupt record")

// appendFrame appends the frame of one batch to buf.
func appendFrame(buf []byte, b *model.Batch, received int64) ([]byte, error) {
	start := len(buf)
	buf = append(buf, make([]byte, headerLen)...)
	buf = append(buf, formatV2)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(received))
	buf = appendBatch(buf, b)
	buf = appendChecks(buf, b.Checks)
	n := len(buf) - start - headerLen
	if n > maxPayloadLen {
		return buf[:start], fmt.Errorf("encode batch: %d bytes, above the %d byte record limit", n, maxPayloadLen)
	}
	h := buf[start : start+headerLen]
	binary.LittleEndian.PutUint32(h[0:], uint32(n))
	binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(buf[start+headerLen:], castagnoli))
	binary.LittleEndian.PutUint32(h[8:], crc32.Checksum(h[:8], castagnoli))
	return buf, nil
}

// frameAt checks the frame starting at data[p:]. It returns the frame length
// (header included) and the received time, or ok=false. headerOK reports whether
// at least the header was intact, in which case n is still the frame's length.
func frameAt(data []byte, p int) (n int, received int64, ok, headerOK bool) {
	if len(data)-p < headerLen {
		return 0, 0, false, false
	}
	h := data[p : p+headerLen]
	if crc32.Checksum(h[:8], castagnoli) != binary.LittleEndian.Uint32(h[8:]) {
		return 0, 0, false, false
	}
	plen := int(binary.LittleEndian.Uint32(h[0:]))
	if plen < minPayload || plen > maxPayloadLen {
		return 0, 0, false, false
	}
	n = headerLen + plen
	if n > len(data)-p {
		return n, 0, false, false // the tail of a write that did not finish
	}
	payload := data[p+headerLen : p+n]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(h[4:]) || (payload[0] != formatV1 && payload[0] != formatV2) {
		return n, 0, false, true
	}
	return n, int64(binary.LittleEndian.Uint64(payload[1:])), true, true
}

// scannedRecord is a valid frame found by scanSegment.
type scannedRecord struct {
	off      int64
	n        uint32
	received int64
}

// region is a run of bytes holding no valid frame.
type region struct{ off, n int64 }

// scanSegment finds the valid frames of a segment. Damaged bytes followed by a
// valid frame are returned in bad (skipped records); damaged bytes after the last
// valid frame are the tail: a write cut short by a crash. end is where the last
// valid frame ends.
func scanSegment(data []byte) (recs []scannedRecord, bad []region, end int64) {
	p := 0
	for p < len(data) {
		if n, rcv, ok, _ := frameAt(data, p); ok {
			recs = append(recs, scannedRecord{off: int64(p), n: uint32(n), received: rcv})
			p += n
			end = int64(p)
			continue
		}
		q := resync(data, p)
		if q < 0 {
			break
		}
		bad = append(bad, region{off: int64(p), n: int64(q - p)})
		p = q
	}
	return recs, bad, end
}

// resync returns the first position after p where a valid frame starts, or -1.
// A record with an intact header but a damaged payload is skipped in one step;
// otherwise the length cannot be trusted and every byte position is tried.
func resync(data []byte, p int) int {
	if n, _, _, headerOK := frameAt(data, p); headerOK {
		if _, _, ok, _ := frameAt(data, p+n); ok {
			return p + n
		}
	}
	for q := p + 1; q+headerLen+minPayload <= len(data); q++ {
		if _, _, ok, _ := frameAt(data, q); ok {
			return q
		}
	}
	return -1
}

// decodeFrame decodes the frame at data[0:] whose validity frameAt already
// established; str is data as a string, which every decoded string aliases.
func decodeFrame(data []byte, str string) (*model.Batch, error) {
	plen := int(binary.LittleEndian.Uint32(data[0:]))
	d := decoder{b: data[:headerLen+plen], s: str[:headerLen+plen], i: headerLen + minPayload}
	return d.batch(data[headerLen])
}

// appendBatch is the batch encoding: strings as uvarint length + bytes, floats as
// 8 bytes, and collections as uvarint(count+1) so that nil (0) and empty survive
// a round trip. It is several times faster than encoding/json in both directions
// (BenchmarkCodec) and needs one allocation per decoded map, none per string.
func appendBatch(buf []byte, b *model.Batch) []byte {
	buf = appendString(buf, b.AgentID)
	buf = binary.AppendUvarint(buf, b.Seq)
	buf = appendString(buf, b.Agent.Version)
	buf = binary.AppendVarint(buf, b.Agent.IntervalMS)
	h := &b.Host
	buf = appendStrings(buf, h.Name, h.Hostname, h.ID)
	buf = appendCount(buf, len(h.IP), h.IP == nil)
	for _, ip := range h.IP {
		buf = appendString(buf, ip)
	}
	buf = appendString(buf, h.Architecture)
	o := &h.OS
	buf = appendStrings(buf, o.Type, o.Family, o.Platform, o.Name, o.Version, o.Kernel)
	if c := h.Cloud; c != nil {
		buf = append(buf, 1)
		buf = appendStrings(buf, c.Provider, c.Region, c.AvailabilityZone, c.InstanceID, c.InstanceType, c.AccountID)
	} else {
		buf = append(buf, 0)
	}
	buf = appendCount(buf, len(b.Events), b.Events == nil)
	for i := range b.Events {
		e := &b.Events[i]
		buf = binary.AppendVarint(buf, e.Timestamp)
		buf = appendString(buf, e.Dataset)
		buf = appendCount(buf, len(e.Dims), e.Dims == nil)
		for k, v := range e.Dims {
			buf = appendStrings(buf, k, v)
		}
		buf = appendCount(buf, len(e.Values), e.Values == nil)
		for k, v := range e.Values {
			buf = appendString(buf, k)
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
	}
	return buf
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

func appendStrings(buf []byte, ss ...string) []byte {
	for _, s := range ss {
		buf = appendString(buf, s)
	}
	return buf
}

func appendCount(buf []byte, n int, isNil bool) []byte {
	if isNil {
		return append(buf, 0)
	}
	return binary.AppendUvarint(buf, uint64(n)+1)
}

// decoder reads appendBatch's encoding. Errors are sticky: after the first one
// every read returns a zero value, so the code reads like the encoder.
type decoder struct {
	b   []byte
	s   string // the same bytes as b; strings are sliced from it without copying
	i   int
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.i = len(d.b)
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b[d.i:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.i += n
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b[d.i:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.i += n
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)-d.i) {
		d.fail()
		return ""
	}
	s := d.s[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

func (d *decoder) f64() float64 {
	if len(d.b)-d.i < 8 {
		d.fail()
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.i:]))
	d.i += 8
	return v
}

func (d *decoder) u8() byte {
	if d.i >= len(d.b) {
		d.fail()
		return 0
	}
	c := d.b[d.i]
	d.i++
	return c
}

// count reads a collection size; every element takes at least one byte, so a
// size above the bytes left is damage, caught before it becomes an allocation.
func (d *decoder) count() (n int, isNil bool) {
	v := d.uvarint()
	if v == 0 {
		return 0, true
	}
	if v-1 > uint64(len(d.b)-d.i) {
		d.fail()
		return 0, true
	}
	return int(v - 1), false
}

func (d *decoder) batch(format byte) (*model.Batch, error) {
	b := &model.Batch{AgentID: d.str(), Seq: d.uvarint()}
	b.Agent = model.Agent{Version: d.str(), IntervalMS: d.varint()}
	h := &b.Host
	h.Name, h.Hostname, h.ID = d.str(), d.str(), d.str()
	if n, isNil := d.count(); !isNil {
		h.IP = make([]string, n)
		for i := range h.IP {
			h.IP[i] = d.str()
		}
	}
	h.Architecture = d.str()
	h.OS = model.HostOS{Type: d.str(), Family: d.str(), Platform: d.str(), Name: d.str(), Version: d.str(), Kernel: d.str()}
	switch d.u8() {
	case 0:
	case 1:
		h.Cloud = &model.Cloud{Provider: d.str(), Region: d.str(), AvailabilityZone: d.str(),
			InstanceID: d.str(), InstanceType: d.str(), AccountID: d.str()}
	default:
		d.fail()
	}
	if n, isNil := d.count(); !isNil {
		b.Events = make([]model.Event, n)
		for i := range b.Events {
			d.event(&b.Events[i])
		}
	}
	if format == formatV2 {
		b.Checks = d.checks()
	}
	if d.err == nil && d.i != len(d.b) {
		d.fail() // trailing bytes: not something appendBatch wrote
	}
	if d.err != nil {
		return nil, d.err
	}
	return b, nil
}

func (d *decoder) event(e *model.Event) {
	e.Timestamp = d.varint()
	e.Dataset = d.str()
	if n, isNil := d.count(); !isNil {
		e.Dims = make(map[string]string, n)
		for range n {
			k := d.str()
			e.Dims[k] = d.str()
		}
	}
	if n, isNil := d.count(); !isNil {
		e.Values = make(map[string]float64, n)
		for range n {
			k := d.str()
			e.Values[k] = d.f64()
		}
	}
}

package nrpe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Decode reads exactly one packet from r, as nrpe's read_packet does: the
// 10-byte common header, then by version the rest of a 1036-byte v2 packet,
// or the alignment and buffer_length fields and buffer_length bytes of a
// v3/v4 packet. It does not read the 3 trailer bytes of a v3 packet (nrpe
// never does either, and a peer that does not send them would leave us
// waiting); see V3TrailerLen.
//
// maxBuffer bounds buffer_length before anything is allocated, so a hostile
// length costs nothing; 0 (or anything outside 1..MaxBuffer) means MaxBuffer,
// the limit of nrpe itself. v2 packets have a fixed 1024-byte buffer and are
// not subject to it.
//
// It then checks the CRC (with crc32 and alignment zeroed, as nrpe does),
// and returns the text up to the first NUL, and at most MaxText(version)
// bytes. A v3/v4 buffer without a NUL is taken whole: nrpe 3.x sends v3
// answers whose buffer_length leaves the NUL out, and the C readers print
// them whole thanks to the zeroed slack they allocate. A v2 buffer without
// one loses its last byte, as nrpe forces buffer[1023] to NUL. The cap only
// bites on a 65536-byte v3/v4 buffer without a NUL, and keeps every decoded
// text re-encodable.
//
// Both packet types are accepted; the caller checks which one it expects
// (see Packet.Expect). A stream that ends before the first byte returns
// io.EOF, one that ends inside a packet io.ErrUnexpectedEOF, both wrapped.
func Decode(r io.Reader, maxBuffer int) (Packet, error) {
	if maxBuffer <= 0 || maxBuffer > MaxBuffer {
		maxBuffer = MaxBuffer
	}
	var hdr [V3HeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:CommonHeaderLen]); err != nil {
		return Packet{}, fmt.Errorf("read nrpe packet header: %w", err)
	}
	p := Packet{
		Version:    int(int16(binary.BigEndian.Uint16(hdr[OffVersion:]))),
		Type:       int(int16(binary.BigEndian.Uint16(hdr[OffType:]))),
		ResultCode: int16(binary.BigEndian.Uint16(hdr[OffResult:])),
	}
	if p.Version != Version2 && p.Version != Version3 && p.Version != Version4 {
		return Packet{}, fmt.Errorf("decode nrpe packet: %w %d (want 2, 3 or 4)", ErrVersion, p.Version)
	}
	// Checked before reading on, so garbage costs no allocation.
	if p.Type != QueryPacket && p.Type != ResponsePacket {
		return Packet{}, fmt.Errorf("decode nrpe v%d packet: %w %d (want 1 query or 2 response)", p.Version, ErrType, p.Type)
	}

	var pkt, buf []byte // pkt: the whole packet as the CRC covers it; buf: its buffer
	if p.Version == Version2 {
		pkt = make([]byte, V2PacketSize)
		copy(pkt, hdr[:CommonHeaderLen])
		if _, err := io.ReadFull(r, pkt[CommonHeaderLen:]); err != nil {
			return Packet{}, fmt.Errorf("read nrpe v2 packet body (%d bytes): %w", V2PacketSize-CommonHeaderLen, noEOF(err))
		}
		buf = pkt[OffV2Buffer : OffV2Buffer+V2BufferSize]
	} else {
		if _, err := io.ReadFull(r, hdr[CommonHeaderLen:]); err != nil {
			return Packet{}, fmt.Errorf("read nrpe v%d packet header: %w", p.Version, noEOF(err))
		}
		n := int64(int32(binary.BigEndian.Uint32(hdr[OffBufferLength:])))
		if n < 0 {
			return Packet{}, fmt.Errorf("decode nrpe v%d packet: %w %d (negative)", p.Version, ErrBadLength, n)
		}
		if n > int64(maxBuffer) {
			return Packet{}, fmt.Errorf("decode nrpe v%d packet: %w: buffer_length %d exceeds limit %d", p.Version, ErrTooLarge, n, maxBuffer)
		}
		// For v3 the 3 trailer bytes stay zero here: the sender's CRC covered
		// them as zeros (calloc), whatever arrives after the buffer.
		pkt = make([]byte, overheadV3(p.Version)+int(n))
		copy(pkt, hdr[:])
		buf = pkt[V3HeaderLen : V3HeaderLen+int(n)]
		if _, err := io.ReadFull(r, buf); err != nil {
			return Packet{}, fmt.Errorf("read nrpe v%d buffer (%d bytes): %w", p.Version, n, noEOF(err))
		}
		// nrpe zeroes alignment before checking the CRC: senders always
		// send 0, and a receiver must not care.
		binary.BigEndian.PutUint16(pkt[OffAlignment:], 0)
	}

	want := binary.BigEndian.Uint32(pkt[OffCRC:])
	binary.BigEndian.PutUint32(pkt[OffCRC:], 0)
	if got := crc32.ChecksumIEEE(pkt); got != want {
		return Packet{}, fmt.Errorf("decode nrpe v%d packet: %w: packet carries 0x%08x, contents hash to 0x%08x", p.Version, ErrBadCRC, want, got)
	}

	if i := bytes.IndexByte(buf, 0); i >= 0 {
		buf = buf[:i]
	}
	buf = buf[:min(len(buf), MaxText(p.Version))]
	// The full slice expression keeps an append by the caller from
	// scribbling over the padding that follows in pkt.
	p.Buffer = buf[:len(buf):len(buf)]
	return p, nil
}

// DecodeBytes decodes the one packet that b holds, with the default bound
// MaxBuffer. Bytes after the packet are an error (ErrTrailing), except the
// 3 trailer bytes of a v3 packet (or fewer, from a peer that omits them).
func DecodeBytes(b []byte) (Packet, error) {
	r := bytes.NewReader(b)
	p, err := Decode(r, MaxBuffer)
	if err != nil {
		return Packet{}, err
	}
	allowed := 0
	if p.Version == Version3 {
		allowed = V3TrailerLen
	}
	if r.Len() > allowed {
		return Packet{}, fmt.Errorf("decode nrpe v%d packet: %w: %d bytes after a %d-byte packet", p.Version, ErrTrailing, r.Len(), len(b)-r.Len())
	}
	return p, nil
}

// Expect checks that p is of the packet type the caller is waiting for: a
// server wants queries, a client responses.
func (p Packet) Expect(typ int) error {
	if p.Type != typ {
		return fmt.Errorf("nrpe v%d packet: %w %d (%s), want %d (%s)", p.Version, ErrType, p.Type, typeName(p.Type), typ, typeName(typ))
	}
	return nil
}

func typeName(t int) string {
	switch t {
	case QueryPacket:
		return "query"
	case ResponsePacket:
		return "response"
	}
	return "unknown"
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: once the header has been
// read, a stream that ends is a truncated packet, not a clean close.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

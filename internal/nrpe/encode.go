package nrpe

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Encode returns p as stock nrpe 4.x puts it on the wire:
//
//   - v2: 1036 bytes; the text, then NULs to the end of the 1024-byte
//     buffer, then the 2 padding bytes.
//   - v4: 16 + buffer_length bytes, buffer_length = len(text) + 1 (the NUL).
//   - v3: 19 + buffer_length bytes: nrpe sizes v3 packets as
//     sizeof(v3_packet) - 1 + buffer_length, so 3 zero bytes follow the
//     buffer and are covered by the CRC.
//   - v3/v4 queries are padded with zeros to 1036 bytes in all, as check_nrpe
//     pads them (see MinQuerySize); the padding is counted in buffer_length.
//     Responses are not padded, as the daemon does not pad them.
//
// Fill: nrpe first fills a v2 packet with pseudo-random bytes 0x30..0x77
// (randomize_buffer) and then writes the fields; strncpy NUL-pads the
// buffer, so the randomness survives only in the 2 trailing padding bytes
// (and in the unset result_code of queries). Encode fills with zeros
// instead, which every peer accepts (they only recompute the CRC over what
// was sent) and which makes our packets deterministic. Those 2 bytes are the
// only difference from a packet nrpe would send.
//
// Encode refuses an unknown version or type, text containing a NUL (the
// peer would silently cut it there; see ResponseText) and text longer than
// MaxText(p.Version).
func Encode(p Packet) ([]byte, error) {
	if p.Type != QueryPacket && p.Type != ResponsePacket {
		return nil, fmt.Errorf("encode nrpe packet: %w %d (want 1 query or 2 response)", ErrType, p.Type)
	}
	limit := MaxText(p.Version)
	if limit == 0 {
		return nil, fmt.Errorf("encode nrpe packet: %w %d (want 2, 3 or 4)", ErrVersion, p.Version)
	}
	if i := bytes.IndexByte(p.Buffer, 0); i >= 0 {
		return nil, fmt.Errorf("encode nrpe v%d packet: %w at offset %d of %d", p.Version, ErrNUL, i, len(p.Buffer))
	}
	if len(p.Buffer) > limit {
		return nil, fmt.Errorf("encode nrpe v%d packet: %w: %d bytes of text, at most %d fit", p.Version, ErrTooLarge, len(p.Buffer), limit)
	}

	var b []byte
	if p.Version == Version2 {
		b = make([]byte, V2PacketSize)
		copy(b[OffV2Buffer:], p.Buffer)
	} else {
		overhead := overheadV3(p.Version)
		n := len(p.Buffer) + 1
		if p.Type == QueryPacket && overhead+n < MinQuerySize {
			n = MinQuerySize - overhead
		}
		b = make([]byte, overhead+n)
		binary.BigEndian.PutUint16(b[OffAlignment:], 0)
		binary.BigEndian.PutUint32(b[OffBufferLength:], uint32(n))
		copy(b[V3HeaderLen:], p.Buffer)
	}
	binary.BigEndian.PutUint16(b[OffVersion:], uint16(p.Version))
	binary.BigEndian.PutUint16(b[OffType:], uint16(p.Type))
	binary.BigEndian.PutUint16(b[OffResult:], uint16(p.ResultCode))
	// The crc32 field is still zero here, which is what the CRC is defined over.
	binary.BigEndian.PutUint32(b[OffCRC:], crc32.ChecksumIEEE(b))
	return b, nil
}

// overheadV3 is the size of a v3/v4 packet less its buffer_length.
func overheadV3(version int) int {
	if version == Version3 {
		return V3HeaderLen + V3TrailerLen
	}
	return V3HeaderLen
}

package nrpe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

var errorIs = errors.Is

func mustEncode(t testing.TB, p Packet) []byte {
	t.Helper()
	b, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// resum recomputes the CRC of a packet edited by a test, the way a sender
// would (alignment included), so that only the edit itself is wrong.
func resum(b []byte) []byte {
	binary.BigEndian.PutUint32(b[OffCRC:], 0)
	binary.BigEndian.PutUint32(b[OffCRC:], bitwiseCRC(b))
	return b
}

func edit(b []byte, off int, v ...byte) []byte {
	b = bytes.Clone(b)
	copy(b[off:], v)
	return b
}

func be32(n int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

func TestDecodeErrors(t *testing.T) {
	v2 := mustEncode(t, Packet{Version: 2, Type: 2, Buffer: []byte("OK")})
	v4 := mustEncode(t, Packet{Version: 4, Type: 2, Buffer: []byte("OK")})
	for _, c := range []struct {
		name string
		in   []byte
		max  int
		err  error
		msg  string // part of the message
	}{
		{"empty stream", nil, 0, io.EOF, ""},
		{"half a header", v4[:5], 0, io.ErrUnexpectedEOF, "header"},
		{"v2 cut in the body", v2[:1035], 0, io.ErrUnexpectedEOF, "v2 packet body"},
		{"v2 header only", v2[:10], 0, io.ErrUnexpectedEOF, "v2"},
		{"v4 cut in the length", v4[:14], 0, io.ErrUnexpectedEOF, "v4 packet header"},
		{"v4 cut in the buffer", v4[:len(v4)-1], 0, io.ErrUnexpectedEOF, "v4 buffer (3 bytes)"},
		{"v4 header, no buffer", v4[:16], 0, io.ErrUnexpectedEOF, ""},
		{"v2 text changed", edit(v2, 10, 'N'), 0, ErrBadCRC, "packet carries 0x"},
		{"v2 padding changed", edit(v2, 1035, 'x'), 0, ErrBadCRC, "contents hash to 0x"},
		{"v4 crc changed", edit(v4, OffCRC, 0xde, 0xad), 0, ErrBadCRC, ""},
		{"v4 result changed", edit(v4, OffResult+1, 2), 0, ErrBadCRC, ""},
		// nrpe zeroes alignment before it checks: a sender that hashed a
		// non-zero alignment is refused (and one that did not is accepted,
		// see TestDecodeLenient).
		{"alignment hashed", resum(edit(v4, OffAlignment, 0xbe, 0xef)), 0, ErrBadCRC, ""},
		{"version 1", resum(edit(v2, OffVersion, 0, 1)), 0, ErrVersion, "version 1 (want 2, 3 or 4)"},
		{"version 5", resum(edit(v4, OffVersion, 0, 5)), 0, ErrVersion, "version 5"},
		{"version -1", edit(v4, OffVersion, 0xff, 0xff), 0, ErrVersion, "version -1"},
		{"type 0", resum(edit(v4, OffType, 0, 0)), 0, ErrType, "type 0 (want 1 query or 2 response)"},
		{"type 3", resum(edit(v2, OffType, 0, 3)), 0, ErrType, "type 3"},
		{"negative buffer_length", edit(v4, OffBufferLength, be32(-1)...), 0, ErrBadLength, "-1 (negative)"},
		{"buffer_length 2^31-1", edit(v4, OffBufferLength, be32(1<<31-1)...), 0, ErrTooLarge, "buffer_length 2147483647 exceeds limit 65536"},
		{"buffer_length 65537", edit(v4, OffBufferLength, be32(65537)...), 0, ErrTooLarge, "65537 exceeds limit 65536"},
		{"limit above nrpe's is clamped", edit(v4, OffBufferLength, be32(65537)...), 1 << 30, ErrTooLarge, "limit 65536"},
		{"caller's limit", mustEncode(t, Packet{Version: 4, Type: 2, Buffer: make1(100)}), 100, ErrTooLarge, "buffer_length 101 exceeds limit 100"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(c.in), c.max)
			if !errors.Is(err, c.err) || !strings.Contains(errString(err), c.msg) {
				t.Fatalf("got %v, want %v with %q", err, c.err, c.msg)
			}
		})
	}
}

func make1(n int) []byte { return bytes.Repeat([]byte("y"), n) }

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Every cut of a packet is io.ErrUnexpectedEOF (or io.EOF at 0), never a
// panic or a short packet.
func TestDecodeEveryTruncation(t *testing.T) {
	for _, v := range []int{2, 3, 4} {
		b := mustEncode(t, Packet{Version: v, Type: 1, Buffer: []byte("check_load")})
		for n := 1; n < len(b)-overheadTrailer(v); n++ {
			if _, err := Decode(bytes.NewReader(b[:n]), 0); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("v%d cut at %d of %d: %v", v, n, len(b), err)
			}
		}
	}
}

func overheadTrailer(v int) int {
	if v == Version3 {
		return V3TrailerLen
	}
	return 0
}

func TestDecodeLenient(t *testing.T) {
	// Alignment is ignored when the sender hashed it as 0.
	b := mustEncode(t, Packet{Version: 4, Type: 2, Buffer: []byte("OK")})
	if p, err := DecodeBytes(edit(b, OffAlignment, 0xbe, 0xef)); err != nil || string(p.Buffer) != "OK" {
		t.Errorf("non-zero alignment: %s, %v", show(p), err)
	}
	// No NUL inside buffer_length (nrpe 3.x v3 answers): the text is whole.
	raw := append(append([]byte{0, 4, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0}, be32(5)...), "hello"...)
	if p, err := DecodeBytes(resum(raw)); err != nil || string(p.Buffer) != "hello" {
		t.Errorf("unterminated buffer: %s, %v", show(p), err)
	}
	// nrpe 3.x's v3 answer: buffer_length = strlen, then NUL and 2 zeros,
	// all three inside the CRC.
	raw = append(append([]byte{0, 3, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0}, be32(2)...), "OK\x00\x00\x00"...)
	if p, err := DecodeBytes(resum(raw)); err != nil || string(p.Buffer) != "OK" || p.ResultCode != 1 {
		t.Errorf("nrpe 3.x v3 answer: %s, %v", show(p), err)
	}
	// ... except where the text would not fit a packet again: a 65536-byte
	// buffer without NUL keeps 65535 bytes, a v2 buffer 1023.
	raw = append(append([]byte{0, 4, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0}, be32(MaxBuffer)...), make1(MaxBuffer)...)
	if p, err := DecodeBytes(resum(raw)); err != nil || len(p.Buffer) != V3MaxText {
		t.Errorf("full unterminated v4 buffer: %d bytes, %v", len(p.Buffer), err)
	}
	raw = append([]byte{0, 2, 0, 2, 0, 0, 0, 0, 0, 0}, make1(V2BufferSize+2)...)
	if p, err := DecodeBytes(resum(raw)); err != nil || len(p.Buffer) != V2MaxText {
		t.Errorf("unterminated v2 buffer: %d bytes, %v", len(p.Buffer), err)
	}
	// buffer_length 0: empty text (the daemon then refuses the empty query).
	raw = append([]byte{0, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, be32(0)...)
	if p, err := DecodeBytes(resum(raw)); err != nil || len(p.Buffer) != 0 || p.Type != QueryPacket {
		t.Errorf("empty buffer: %s, %v", show(p), err)
	}
	// Text after the first NUL is padding, not text.
	b = mustEncode(t, Packet{Version: 4, Type: 2, Buffer: []byte("OK\x01rest")})
	b[V3HeaderLen+2] = 0
	if p, err := DecodeBytes(resum(b)); err != nil || string(p.Buffer) != "OK" {
		t.Errorf("text after NUL: %s, %v", show(p), err)
	}
	// An append to the decoded text must not run into the packet's padding.
	p, _ := DecodeBytes(mustEncode(t, Packet{Version: 2, Type: 2, Buffer: []byte("OK")}))
	if cap(p.Buffer) != len(p.Buffer) {
		t.Errorf("cap %d > len %d", cap(p.Buffer), len(p.Buffer))
	}
}

// Decode reads exactly one packet: what follows stays in the stream.
func TestDecodeExtraBytes(t *testing.T) {
	for _, v := range []int{2, 3, 4} {
		one := mustEncode(t, Packet{Version: v, Type: 2, Buffer: []byte("first")})
		two := mustEncode(t, Packet{Version: 4, Type: 2, Buffer: []byte("second")})
		r := bytes.NewReader(append(append(bytes.Clone(one), two...), "junk"...))
		if p, err := Decode(r, 0); err != nil || string(p.Buffer) != "first" {
			t.Fatalf("v%d first: %s, %v", v, show(p), err)
		}
		if v == Version3 {
			if r.Len() != len(two)+4+V3TrailerLen {
				t.Fatalf("v3: %d bytes left, the 3 trailer bytes must stay unread", r.Len())
			}
			_, _ = r.Seek(V3TrailerLen, io.SeekCurrent)
		}
		if p, err := Decode(r, 0); err != nil || string(p.Buffer) != "second" {
			t.Fatalf("v%d second: %s, %v", v, show(p), err)
		}
		if r.Len() != 4 {
			t.Fatalf("v%d: %d bytes left, want 4", v, r.Len())
		}
		if _, err := DecodeBytes(append(bytes.Clone(one), 'x', 'y', 'z', 'w')); !errors.Is(err, ErrTrailing) {
			t.Fatalf("v%d DecodeBytes with 4 extra bytes: %v", v, err)
		}
	}
	v3 := mustEncode(t, Packet{Version: 3, Type: 2, Buffer: []byte("x")})
	for _, cut := range []int{0, 1, 3} { // a v3 packet with all, some or none of its trailer
		if _, err := DecodeBytes(v3[:len(v3)-cut]); err != nil {
			t.Errorf("v3 without %d trailer bytes: %v", cut, err)
		}
	}
}

// countingReader returns zeros forever and counts what it hands out.
type countingReader struct{ n int }

func (r *countingReader) Read(p []byte) (int, error) {
	clear(p)
	r.n += len(p)
	return len(p), nil
}

// A hostile buffer_length costs neither memory nor reads.
func TestDecodeHostileLength(t *testing.T) {
	hdr := []byte{0, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}
	r := &countingReader{}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(io.MultiReader(bytes.NewReader(hdr), r), 0)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if r.n != 0 {
		t.Errorf("read %d bytes past the header", r.n)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 64<<10 {
		t.Errorf("allocated %d bytes for a refused packet", d)
	}
	// Within the bound, what is read is exactly the packet.
	hdr[12], hdr[13], hdr[14], hdr[15] = 0, 0, 0x10, 0
	r = &countingReader{}
	_, err = Decode(io.MultiReader(bytes.NewReader(hdr), r), 0)
	if !errors.Is(err, ErrBadCRC) || r.n != 0x1000 {
		t.Errorf("4096-byte buffer: read %d, %v", r.n, err)
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, c := range []struct {
		p   Packet
		err error
		msg string
	}{
		{Packet{Version: 2, Type: 2, Buffer: make1(1024)}, ErrTooLarge, "1024 bytes of text, at most 1023 fit"},
		{Packet{Version: 4, Type: 2, Buffer: make1(65536)}, ErrTooLarge, "65536 bytes of text, at most 65535 fit"},
		{Packet{Version: 3, Type: 1, Buffer: make1(65536)}, ErrTooLarge, "v3"},
		{Packet{Version: 1, Type: 1}, ErrVersion, "version 1"},
		{Packet{Version: 5, Type: 1}, ErrVersion, "version 5"},
		{Packet{Version: 4, Type: 0}, ErrType, "type 0"},
		{Packet{Version: 4, Type: 3}, ErrType, "type 3"},
		{Packet{Version: 2, Type: 2, Buffer: []byte("a\x00b")}, ErrNUL, "at offset 1 of 3"},
	} {
		if _, err := Encode(c.p); !errors.Is(err, c.err) || !strings.Contains(errString(err), c.msg) {
			t.Errorf("Encode(%s) = %v, want %v with %q", show(c.p), err, c.err, c.msg)
		}
	}
}

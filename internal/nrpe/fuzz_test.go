package nrpe

import (
	"bytes"
	"runtime"
	"testing"
)

// fuzzBound is the maxBuffer the fuzzer decodes with: small, so that a
// decoder allocating by the length field instead of the bound shows at once.
const fuzzBound = 4096

// FuzzDecode feeds arbitrary bytes to Decode and DecodeBytes. Neither may
// panic, read or allocate beyond the bound, and every packet that decodes
// must encode and decode again to the same fields. The seed corpus in
// testdata/fuzz/FuzzDecode holds the packets captured from real nrpe and
// check_nrpe and hand-made edge cases (hostile and negative lengths, v3
// trailers, bad versions, types and CRCs).
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		p, err := Decode(r, fuzzBound)
		runtime.ReadMemStats(&after)
		// One packet, its header copy and the error message; a decoder that
		// trusted buffer_length would allocate up to 2 GiB here.
		if d := after.TotalAlloc - before.TotalAlloc; d > 4*(V2PacketSize+fuzzBound)+64<<10 {
			t.Fatalf("Decode allocated %d bytes with bound %d", d, fuzzBound)
		}
		if read := len(data) - r.Len(); read > V3HeaderLen+fuzzBound && read > V2PacketSize {
			t.Fatalf("Decode read %d bytes with bound %d", read, fuzzBound)
		}
		if err == nil {
			checkReencodes(t, p)
		}
		if q, err := DecodeBytes(data); err == nil {
			checkReencodes(t, q)
		}
	})
}

func checkReencodes(t *testing.T, p Packet) {
	t.Helper()
	if len(p.Buffer) > MaxText(p.Version) || bytes.IndexByte(p.Buffer, 0) >= 0 {
		t.Fatalf("decoded text of %d bytes for v%d, or with a NUL", len(p.Buffer), p.Version)
	}
	b, err := Encode(p)
	if err != nil {
		t.Fatalf("decoded %s does not encode: %v", show(p), err)
	}
	q, err := DecodeBytes(b)
	if err != nil {
		t.Fatalf("re-encoded %s does not decode: %v", show(p), err)
	}
	assertSame(t, q, p)
}

package nrpe

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bitwiseCRC is CRC-32 computed bit by bit as utils.c does (reflected
// polynomial 0xEDB88320, init and final XOR 0xFFFFFFFF), so the packets
// below do not depend on hash/crc32 being the same function.
func bitwiseCRC(b []byte) uint32 {
	crc := ^uint32(0)
	for _, c := range b {
		crc ^= uint32(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xEDB88320
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

// handPacket builds a packet field by field from the tables in specs.md
// 1.2 and 1.3, independently of Encode: size is the whole packet, bufLen
// the v3/v4 buffer_length.
func handPacket(version, typ uint16, result uint16, text string, size, bufLen int) []byte {
	b := make([]byte, size)
	b[0], b[1] = byte(version>>8), byte(version)
	b[2], b[3] = byte(typ>>8), byte(typ)
	b[8], b[9] = byte(result>>8), byte(result)
	if version == 2 {
		copy(b[10:], text)
	} else {
		// b[10:12] alignment stays 0
		b[12], b[13], b[14], b[15] = byte(bufLen>>24), byte(bufLen>>16), byte(bufLen>>8), byte(bufLen)
		copy(b[16:], text)
	}
	crc := bitwiseCRC(b) // crc32 field still zero
	b[4], b[5], b[6], b[7] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	return b
}

func TestEncodeByteExact(t *testing.T) {
	for _, c := range []struct {
		name string
		p    Packet
		want []byte
	}{
		{"v2 response", Packet{Version: 2, Type: 2, ResultCode: 1, Buffer: []byte("WARNING: x")}, handPacket(2, 2, 1, "WARNING: x", 1036, 0)},
		{"v2 query", Packet{Version: 2, Type: 1, Buffer: []byte(HelloCommand)}, handPacket(2, 1, 0, HelloCommand, 1036, 0)},
		{"v2 1023 bytes", Packet{Version: 2, Type: 2, Buffer: bytes.Repeat([]byte("a"), 1023)}, handPacket(2, 2, 0, strings.Repeat("a", 1023), 1036, 0)},
		// v4: 16 + text + NUL; queries padded to 1036 as check_nrpe does.
		{"v4 response", Packet{Version: 4, Type: 2, ResultCode: 2, Buffer: []byte("CRIT")}, handPacket(4, 2, 2, "CRIT", 16+5, 5)},
		{"v4 empty response", Packet{Version: 4, Type: 2}, handPacket(4, 2, 0, "", 17, 1)},
		{"v4 query", Packet{Version: 4, Type: 1, Buffer: []byte("check_load")}, handPacket(4, 1, 0, "check_load", 1036, 1020)},
		{"v4 long query", Packet{Version: 4, Type: 1, Buffer: bytes.Repeat([]byte("q"), 1500)}, handPacket(4, 1, 0, strings.Repeat("q", 1500), 16+1501, 1501)},
		// v3: 19 + buffer_length, the 3 trailing zeros inside the CRC.
		{"v3 response", Packet{Version: 3, Type: 2, ResultCode: 3, Buffer: []byte("UNKNOWN")}, handPacket(3, 2, 3, "UNKNOWN", 19+8, 8)},
		{"v3 query", Packet{Version: 3, Type: 1, Buffer: []byte("ok")}, handPacket(3, 1, 0, "ok", 1036, 1017)},
		{"negative result", Packet{Version: 4, Type: 2, ResultCode: -1, Buffer: []byte("x")}, handPacket(4, 2, 0xffff, "x", 18, 2)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Encode(c.p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, c.want) {
				t.Fatalf("Encode(%s):\n got %s\nwant %s", show(c.p), hexHead(got), hexHead(c.want))
			}
			back, err := DecodeBytes(got)
			if err != nil {
				t.Fatal(err)
			}
			assertSame(t, back, c.p)
		})
	}
}

func assertSame(t *testing.T, got, want Packet) {
	t.Helper()
	if got.Version != want.Version || got.Type != want.Type || got.ResultCode != want.ResultCode || !bytes.Equal(got.Buffer, want.Buffer) {
		t.Fatalf("got %s, want %s", show(got), show(want))
	}
}

func TestRoundTrip(t *testing.T) {
	for _, v := range []int{Version2, Version3, Version4} {
		for _, typ := range []int{QueryPacket, ResponsePacket} {
			for _, n := range []int{0, 1, 1019, 1020, 1023, MaxText(v)} {
				text := bytes.Repeat([]byte("0123456789\n"), n/11+1)[:n]
				p := Packet{Version: v, Type: typ, ResultCode: StateCritical, Buffer: text}
				b, err := Encode(p)
				if err != nil {
					t.Fatalf("v%d type %d %d bytes: %v", v, typ, n, err)
				}
				got, err := Decode(bytes.NewReader(b), MaxBuffer)
				if err != nil {
					t.Fatalf("v%d type %d %d bytes: %v", v, typ, n, err)
				}
				assertSame(t, got, p)
			}
		}
	}
}

func TestSplitQuery(t *testing.T) {
	many := strings.Repeat("!a", 20)
	for _, c := range []struct {
		q    string
		cmd  string
		args []string
	}{
		{"check_load", "check_load", nil},
		{"check_disk!20%!10%", "check_disk", []string{"20%", "10%"}},
		{"check_disk!!10%", "check_disk", []string{"10%"}}, // strtok: empty fields vanish
		{"!check!x!", "check", []string{"x"}},
		{"c!-w 5,5 -c $x$!\"q\"", "c", []string{"-w 5,5 -c $x$", `"q"`}},
		{"c" + many, "c", strings.Fields(strings.Repeat("a ", 16))}, // only 16 arguments kept
		{"", "", nil},
		{"!!", "", nil},
	} {
		cmd, args := SplitQuery(c.q)
		if cmd != c.cmd || strings.Join(args, "|") != strings.Join(c.args, "|") || len(args) != len(c.args) {
			t.Errorf("SplitQuery(%q) = %q %q, want %q %q", c.q, cmd, args, c.cmd, c.args)
		}
	}
}

func TestJoinQuery(t *testing.T) {
	if q, err := JoinQuery("check_disk", "20%", "10%"); err != nil || q != "check_disk!20%!10%" {
		t.Errorf("JoinQuery = %q, %v", q, err)
	}
	if q, err := JoinQuery(HelloCommand); err != nil || q != HelloCommand {
		t.Errorf("JoinQuery(hello) = %q, %v", q, err)
	}
	for _, c := range []struct {
		cmd  string
		args []string
		msg  string
	}{
		{"", nil, "empty command"},
		{"a!b", nil, `"a!b"`},
		{"c", []string{"1", "", "3"}, "argument 2 ($ARG2$) is empty"},
		{"c", []string{"x!y"}, `argument 1 ($ARG1$) "x!y"`},
		{"c", []string{"x\x00"}, "NUL"},
		{"c", strings.Fields(strings.Repeat("a ", 17)), "17 arguments"},
	} {
		_, err := JoinQuery(c.cmd, c.args...)
		if !errorIs(err, ErrQuery) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("JoinQuery(%q, %q) = %v, want ErrQuery saying %q", c.cmd, c.args, err, c.msg)
		}
	}
}

func TestResponseText(t *testing.T) {
	long := strings.Repeat("x", 70000)
	for _, c := range []struct {
		v    int
		out  string
		want string
	}{
		{2, "OK - fine\n", "OK - fine"},
		{4, "OK - fine\n", "OK - fine"},
		{4, "line1\nline2\n\n", "line1\nline2\n"}, // one newline only
		{4, "before\x00after", "before"},
		{2, long, long[:1023]},
		{3, long, long[:65535]},
		{4, long[:65535] + "\n", long[:65535]},
		{1, "x", ""},
	} {
		got := ResponseText(c.v, []byte(c.out))
		if string(got) != c.want {
			t.Errorf("ResponseText(v%d, %q) = %d bytes %q, want %d bytes", c.v, trim(c.out), len(got), trim(string(got)), len(c.want))
		}
	}
	if MaxText(2) != 1023 || MaxText(3) != 65535 || MaxText(4) != 65535 || MaxText(1) != 0 {
		t.Errorf("MaxText = %d %d %d %d", MaxText(2), MaxText(3), MaxText(4), MaxText(1))
	}
}

func TestExpect(t *testing.T) {
	p := Packet{Version: 4, Type: ResponsePacket}
	if err := p.Expect(ResponsePacket); err != nil {
		t.Error(err)
	}
	err := p.Expect(QueryPacket)
	if !errorIs(err, ErrType) || !strings.Contains(err.Error(), "2 (response), want 1 (query)") {
		t.Errorf("Expect: %v", err)
	}
}

// The v2 layout constants are what sizeof(v2_packet) gives (specs.md 1.2).
func TestLayout(t *testing.T) {
	if V2PacketSize != CommonHeaderLen+V2BufferSize+2 || V3HeaderLen != OffBufferLength+4 || MinQuerySize != 1036 {
		t.Fatal("layout constants disagree with specs.md")
	}
	b, _ := Encode(Packet{Version: 4, Type: QueryPacket, Buffer: []byte("x")})
	if binary.BigEndian.Uint32(b[OffBufferLength:]) != 1020 {
		t.Fatalf("v4 query buffer_length %d, want 1020", binary.BigEndian.Uint32(b[OffBufferLength:]))
	}
}

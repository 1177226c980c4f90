package nrpe

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/testutil/peers"
)

// scenario is one check_nrpe run through the recording proxy to nrpe.
type scenario struct {
	name  string
	args  []string
	out   string // check_nrpe's stdout; "" = not checked
	rc    int
	conns [][2]string // per connection: golden file of the query, of the response ("" = none)
}

func scenarios(hello string) []scenario {
	return []scenario{
		{"hello v2", []string{"-2"}, hello, 0, [][2]string{{"v2_hello_query.bin", "v2_hello_response.bin"}}},
		{"hello v4", nil, hello, 0, [][2]string{{"v4_hello_query.bin", "v4_hello_response.bin"}}},
		{"ok v2", []string{"-2", "-c", "ok"}, "OK: all good", 0, [][2]string{{"v2_ok_query.bin", "v2_ok_response.bin"}}},
		{"crit v4", []string{"-c", "crit"}, "CRITICAL: disk full", 2, [][2]string{{"v4_crit_query.bin", "v4_crit_response.bin"}}},
		// v2 carries 1023 bytes of output, v4 all of it.
		{"long v2", []string{"-2", "-c", "long"}, longOutput[:V2MaxText], 0, [][2]string{{"v2_long_query.bin", "v2_long_response.bin"}}},
		{"long v4", []string{"-c", "long"}, longOutput, 0, [][2]string{{"v4_long_query.bin", "v4_long_response.bin"}}},
		// nrpe 4.x refuses v3 queries and hangs up; check_nrpe says so and
		// falls back to v2.
		{"v3 falls back to v2", []string{"-3", "-c", "ok"}, "CHECK_NRPE: Receive header underflow - only 0 bytes received (4 expected).\nOK: all good", 0,
			[][2]string{{"v3_ok_query.bin", ""}, {"v2_ok_query.bin", "v2_ok_response.bin"}}},
		// dont_blame_nrpe=0: a query with '!' is dropped without an answer,
		// and check_nrpe tries v2 before it gives up.
		{"arguments refused", []string{"-c", "check_disk", "-a", "20%", "10%"}, "", 3,
			[][2]string{{"v4_args_query.bin", ""}, {"v2_args_query.bin", ""}}},
	}
}

// TestRealPeers runs Debian's check_nrpe against Debian's nrpe through a
// recording proxy and checks every packet they exchange against the golden
// table (with -update it stores them as testdata/*.bin); then it checks
// that nrpe answers packets from Encode, and that check_nrpe accepts
// answers from Encode, in every version.
func TestRealPeers(t *testing.T) {
	daemon := peers.NRPE(t, peers.NRPEOptions{Plain: true, Commands: nrpeCommands}).Addr
	rec := startRecorder(t, daemon)

	hello, rc := checkNRPE(t, rec.addr())
	if !strings.HasPrefix(hello, "NRPE v") || rc != 0 {
		t.Fatalf("check_nrpe hello: %q rc %d, want NRPE v... rc 0", hello, rc)
	}
	rec.take()
	if *update && hello != capturedHello {
		t.Fatalf("nrpe answers %q but golden_test.go says capturedHello = %q: change it first", hello, capturedHello)
	}

	t.Run("capture", func(t *testing.T) {
		for _, sc := range scenarios(hello) {
			out, rc := checkNRPE(t, rec.addr(), sc.args...)
			if (sc.out != "" && out != sc.out) || rc != sc.rc {
				t.Errorf("%s: check_nrpe %v printed %q rc %d, want %q rc %d", sc.name, sc.args, trim(out), rc, trim(sc.out), sc.rc)
			}
			got := rec.take()
			if len(got) != len(sc.conns) {
				t.Errorf("%s: %d connections, want %d", sc.name, len(got), len(sc.conns))
				continue
			}
			for i, files := range sc.conns {
				for j, raw := range [][]byte{got[i].query, got[i].response} {
					if files[j] == "" {
						if len(raw) != 0 {
							t.Errorf("%s: connection %d: daemon answered %d bytes, want none", sc.name, i+1, len(raw))
						}
						continue
					}
					checkGolden(t, findGolden(t, hello, files[j]), raw)
					if *update {
						if err := os.WriteFile(filepath.Join("testdata", files[j]), raw, 0o644); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
		}
	})

	t.Run("nrpe answers Encode", func(t *testing.T) {
		for _, v := range []int{Version2, Version4} {
			p := ask(t, daemon, Packet{Version: v, Type: QueryPacket, Buffer: []byte("crit")})
			if p.Version != v || p.Type != ResponsePacket || p.ResultCode != StateCritical || string(p.Buffer) != "CRITICAL: disk full" {
				t.Errorf("v%d: nrpe answered %s", v, show(p))
			}
		}
		// nrpe 4.x accepts only v2 and v4 queries: a v3 one is dropped.
		b, _ := Encode(Packet{Version: Version3, Type: QueryPacket, Buffer: []byte("ok")})
		if _, err := roundTrip(t, daemon, b); !hungUp(err) {
			t.Errorf("v3 query: got %v, want the connection closed without an answer", err)
		}
		// A CRC error is dropped the same way.
		b, _ = Encode(Packet{Version: Version4, Type: QueryPacket, Buffer: []byte("ok")})
		b[OffCRC] ^= 1
		if _, err := roundTrip(t, daemon, b); !hungUp(err) {
			t.Errorf("query with a bad CRC: got %v, want the connection closed without an answer", err)
		}
	})

	t.Run("check_nrpe accepts Encode", func(t *testing.T) {
		big := strings.Repeat("x", 5000)
		for _, c := range []struct {
			args    []string
			version int
			query   string
			code    int16
			text    string
		}{
			{[]string{"-2", "-c", "disk"}, Version2, "disk", StateWarning, "WARNING: from go v2"},
			{[]string{"-3", "-c", "disk"}, Version3, "disk", StateCritical, "CRITICAL: from go v3"},
			{[]string{"-c", "disk"}, Version4, "disk", StateUnknown, "UNKNOWN: " + big},
			{[]string{"-c", "check_disk", "-a", "20%", "10%"}, Version4, "check_disk!20%!10%", StateOK, "OK"},
			{nil, Version4, HelloCommand, StateOK, "NRPE v0.0.0-vigil"},
		} {
			addr, queries := serveOnce(t, func(q Packet) Packet {
				return Packet{Version: q.Version, Type: ResponsePacket, ResultCode: c.code, Buffer: []byte(c.text)}
			})
			out, rc := checkNRPE(t, addr, c.args...)
			if out != c.text || rc != int(c.code) {
				t.Errorf("check_nrpe %v printed %q rc %d, want %q rc %d", c.args, trim(out), rc, trim(c.text), c.code)
			}
			select {
			case q := <-queries:
				if q.Version != c.version || q.Type != QueryPacket || string(q.Buffer) != c.query {
					t.Errorf("check_nrpe %v sent %s, want v%d query %q", c.args, show(q), c.version, c.query)
				}
			default:
				t.Errorf("check_nrpe %v: no query decoded", c.args)
			}
		}
	})
}

// ask sends p to addr and decodes the answer.
func ask(t *testing.T, addr string, p Packet) Packet {
	t.Helper()
	b, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := roundTrip(t, addr, b)
	if err != nil {
		t.Fatalf("v%d query %q: %v", p.Version, p.Buffer, err)
	}
	return got
}

func roundTrip(t *testing.T, addr string, b []byte) (Packet, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, peerTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(peerTimeout))
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	p, err := Decode(c, 0)
	if err == nil {
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("after the answer: %v, want EOF (one packet per connection)", err)
		}
	}
	return p, err
}

// hungUp reports a connection closed before the first byte of an answer:
// io.EOF, or a reset when nrpe closed with part of the query unread.
func hungUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

package input

import (
	"context"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"reflect"
	"testing"
	"time"
)

func TestParseStatState(t *testing.T) {
	tests := []struct {
		in   string
		want byte
		ok   bool
	}{
		{"1 (systemd) S 0 1 1 0 -1", 'S', true},
		{"42 (tmux: server) R 1 42", 'R', true},
		{"100 (a) R (b)) Z 1 100", 'Z', true}, // comm "a) R (b)"
		{"7 ()) D 1", 'D', true},              // comm ")"
		{"8 (x)", 0, false},                   // truncated after comm
		{"9 (x) ", 0, false},
		{"10 (x)S 1", 0, false},
		{"11 (unterminated S 1", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseStatState([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseStatState(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// dirent builds one linux_dirent64 record padded to 8 bytes.
func dirent(name string) []byte {
	reclen := (19 + len(name) + 1 + 7) &^ 7
	b := make([]byte, reclen)
	binary.NativeEndian.PutUint64(b[0:], 1234)            // d_ino
	binary.NativeEndian.PutUint64(b[8:], 1)               // d_off
	binary.NativeEndian.PutUint16(b[16:], uint16(reclen)) // d_reclen
	b[18] = 4                                             // DT_DIR
	copy(b[19:], name)
	return b
}

func TestNextDirent(t *testing.T) {
	var buf []byte
	for _, n := range []string{".", "..", "1", "self", "4194304"} {
		buf = append(buf, dirent(n)...)
	}
	var got []string
	for b := buf; len(b) > 0; {
		var name []byte
		name, b = nextDirent(b)
		got = append(got, string(name))
	}
	if want := []string{".", "..", "1", "self", "4194304"}; !reflect.DeepEqual(got, want) {
		t.Errorf("names = %q, want %q", got, want)
	}
	// A corrupt record length ends the walk instead of looping or panicking.
	bad := dirent("x")
	binary.NativeEndian.PutUint16(bad[16:], 3)
	if name, rest := nextDirent(bad); name != nil || rest != nil {
		t.Errorf("corrupt record gave %q, %d bytes left", name, len(rest))
	}
	if name, rest := nextDirent(bad[:10]); name != nil || rest != nil {
		t.Errorf("short buffer gave %q, %d bytes left", name, len(rest))
	}
}

func TestProcessSummaryFixture(t *testing.T) {
	p := newProcessSummaryAt("testdata/proc")
	defer p.Close()
	want := map[string]float64{
		"system.process.summary.total":    11, // 108 vanished, 12ab and sys are not pids
		"system.process.summary.running":  1,
		"system.process.summary.sleeping": 3, // S, S, D
		"system.process.summary.idle":     1,
		"system.process.summary.stopped":  2, // T, t
		"system.process.summary.zombie":   1, // the one whose name contains ") R ("
		"system.process.summary.dead":     1,
		"system.process.summary.unknown":  2, // W, and an unparsable line
	}
	// The second cycle reads through the cached descriptors.
	for cycle := 1; cycle <= 2; cycle++ {
		evs, err := p.Collect(context.Background(), time.UnixMilli(int64(cycle)))
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Dataset != "system.process.summary" || evs[0].Timestamp != int64(cycle) {
			t.Fatalf("cycle %d: events = %+v", cycle, evs)
		}
		if !reflect.DeepEqual(evs[0].Values, want) {
			t.Errorf("cycle %d: values = %v\nwant %v", cycle, evs[0].Values, want)
		}
		if len(p.cache) != 11 {
			t.Errorf("cycle %d: %d cached descriptors, want 11", cycle, len(p.cache))
		}
	}
}

func TestProcessSummaryMissingRoot(t *testing.T) {
	p := newProcessSummaryAt("testdata/no-such-proc")
	defer p.Close()
	if _, err := p.Collect(context.Background(), time.Now()); err == nil {
		t.Fatal("Collect on a missing proc root succeeded")
	}
}

// TestHelperProcess is not a test: TestProcessSummaryReal runs the test
// binary as a child process that waits for its stdin to close.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("VIGIL_INPUT_HELPER") != "1" {
		t.Skip("helper process for TestProcessSummaryReal")
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// Against the real /proc: a child's descriptor is cached while it lives and
// closed once it has exited, and Close releases everything.
func TestProcessSummaryReal(t *testing.T) {
	fdsBefore := openFDs(t)
	p := newProcessSummaryAt("/proc")

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "VIGIL_INPUT_HELPER=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := uint64(cmd.Process.Pid)

	evs, err := p.Collect(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	v := evs[0].Values
	var sum float64
	for _, k := range []string{"running", "sleeping", "stopped", "zombie", "idle", "dead", "unknown"} {
		sum += v["system.process.summary."+k]
	}
	if v["system.process.summary.total"] < 2 || sum != v["system.process.summary.total"] {
		t.Errorf("states do not add up to the total: %v", v)
	}
	if _, ok := p.cache[pid]; !ok {
		t.Errorf("child %d not cached", pid)
	}

	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Collect(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.cache[pid]; ok {
		t.Errorf("descriptor of exited child %d still cached", pid)
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if got := openFDs(t); got != fdsBefore {
		t.Errorf("%d descriptors open after Close, %d before", got, fdsBefore)
	}
}

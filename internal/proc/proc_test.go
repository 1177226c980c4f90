package proc

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStartLogAndStop(t *testing.T) {
	dir := t.TempDir()
	p, err := Start(filepath.Join(dir, "sh.log"), "/bin/sh", "-c", `echo started; trap 'echo bye; exit 0' TERM; while :; do sleep 0.01; done`)
	if err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(p.LogText(), "started") {
		time.Sleep(5 * time.Millisecond)
	}
	if err, killed := p.Stop(syscall.SIGTERM, 10*time.Second); err != nil || killed {
		t.Fatalf("stop: err %v killed %v, want a clean exit on SIGTERM", err, killed)
	}
	if !strings.Contains(p.LogText(), "bye") {
		t.Errorf("log = %q, want the program's output", p.LogText())
	}
}

func TestStopKillsWhatIgnoresTheSignal(t *testing.T) {
	p, err := Start(filepath.Join(t.TempDir(), "sh.log"), "/bin/sh", "-c", `trap '' TERM; echo ready; while :; do sleep 0.01; done`)
	if err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(p.LogText(), "ready") {
		time.Sleep(5 * time.Millisecond)
	}
	if err, killed := p.Stop(syscall.SIGTERM, 100*time.Millisecond); err == nil || !killed {
		t.Fatalf("stop: err %v killed %v, want it killed after the grace period", err, killed)
	}
	p.Signal(syscall.SIGTERM) // after exit: a no-op, not a panic
}

func TestStartReportsMissingBinary(t *testing.T) {
	if _, err := Start(filepath.Join(t.TempDir(), "x.log"), "/nonexistent/binary"); err == nil || !strings.Contains(err.Error(), "/nonexistent/binary") {
		t.Fatalf("err = %v, want it to name the binary", err)
	}
}

package ship

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSpoolOnRealFullDisk fills a real (tmpfs) file system under the spool: the
// error must be ENOSPC and name the batch, nothing on disk may be torn, and every
// batch must come out, in order, once space returns.
func TestSpoolOnRealFullDisk(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		msg := "needs root to mount a small tmpfs: " + strings.TrimSpace(string(out))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })

	s, err := OpenSpool(SpoolOptions{Dir: dir, MaxBytes: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	// Fill the disk, leaving a little room, then write batches until it refuses.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write(make([]byte, 240<<10))
	f.Close()
	var appended, firstFail int
	for i := 1; i <= 200; i++ {
		err := s.Append(testBatch(200))
		appended++
		if err != nil {
			if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "spool batch") {
				t.Fatalf("append %d: %v, want ENOSPC naming the batch", i, err)
			}
			firstFail = i
			break
		}
	}
	if firstFail == 0 {
		t.Fatal("the 256 KiB file system never filled up")
	}
	for range 3 { // more cycles while full: kept in memory
		if err := s.Append(testBatch(200)); err == nil {
			t.Fatal("append succeeded on a full disk")
		}
		appended++
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, tmpPrefix+"*")); len(tmps) != 0 {
		t.Fatalf("torn files on the full disk: %v", tmps)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatalf("flush after space returned: %v", err)
	}
	var got int
	var last uint64
	for {
		seg, ok, err := s.Oldest()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if seg.Seq != last+1 || seg.Samples != 200 {
			t.Fatalf("segment %d (%d samples) after %d: want consecutive batches of 200", seg.Seq, seg.Samples, last)
		}
		last = seg.Seq
		got++
		if err := s.Ack(seg.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if got != appended {
		t.Errorf("recovered %d batches, appended %d", got, appended)
	}
}

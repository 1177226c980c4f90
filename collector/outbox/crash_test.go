package outbox

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

const crashChildEnv = "VIGIL_OUTBOX_CRASH_DIR"

// TestKill9 runs a writer and drainer in a child process (this test binary again)
// and kills it with SIGKILL mid-stream. Whatever the child reported durable must
// come back after reopening, whatever it reported acked must not, and nothing
// else may appear except the group whose Append or Ack was under way.
func TestKill9(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir, os.Getenv(crashChildEnv+"_NOSYNC") != "")
		return
	}
	// Without fsync the child is ~10x faster, so the kill lands further on,
	// often in the middle of a write.
	for _, noSync := range []bool{false, true} {
		t.Run(fmt.Sprintf("nosync=%v", noSync), func(t *testing.T) { testKill9(t, noSync) })
	}
}

func testKill9(t *testing.T, noSync bool) {
	const groupSize, killAfter = 3, 60
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	if noSync {
		cmd.Env = append(cmd.Env, crashChildEnv+"_NOSYNC=1")
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lastAppend, lastAck := -1, -1
	var other []string
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		op, arg, _ := strings.Cut(sc.Text(), " ")
		g, err := strconv.Atoi(arg)
		switch {
		case err != nil:
			other = append(other, sc.Text())
		case op == "A":
			lastAppend = g
		case op == "K":
			lastAck = g
		}
		if lastAppend == killAfter && !killed {
			// Keep reading after the kill: the child may have got further, and
			// everything it printed was true before it died.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child stopped after group %d: %v %q", lastAppend, sc.Err(), other)
	}

	ob := openT(t, Options{Dir: dir})
	got := map[int][]uint64{}
	var order []uint64
	for _, e := range nextT(t, ob, 50) {
		g := int(e.Batch.Seq-1) / groupSize
		got[g] = append(got[g], e.Batch.Seq)
		order = append(order, e.Batch.Seq)
	}
	for i := 1; i < len(order); i++ {
		if order[i] <= order[i-1] {
			t.Fatalf("out of order after the crash: %v", order)
		}
	}
	for g := range lastAppend + 2 {
		switch n := len(got[g]); {
		case g <= lastAck && n != 0:
			t.Errorf("group %d was acked but came back: %v", g, got[g])
		case g > lastAck+1 && g <= lastAppend && n != groupSize:
			t.Errorf("group %d was durable but came back as %v", g, got[g])
		}
		// Group lastAck+1 may have been part-acked (its entries can span two
		// segments, one ack log write each) and group lastAppend+1 part-written.
		delete(got, g)
	}
	if len(got) > 0 {
		t.Errorf("entries that were never appended: %v", got)
	}
	t.Logf("killed after append %d, ack %d", lastAppend, lastAck)
}

// crashChild appends group k, reports it, acks group k-1 and reports that, until
// it is killed. Small segments make it roll and delete segments all the time.
func crashChild(dir string, noSync bool) {
	frame, _ := appendFrame(nil, realisticBatch(1), 0)
	ob, err := Open(Options{Dir: dir, SegmentBytes: 8 * int64(len(frame)), NoSync: noSync})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	var prev []Entry
	for g := 0; ; g++ {
		if err := ob.Append(batches(3*g+1, 3), time.Now()); err != nil {
			fmt.Println("append:", err)
			os.Exit(2)
		}
		fmt.Println("A", g)
		es, err := ob.Next(context.Background(), 3, 0)
		if err != nil || len(es) != 3 {
			fmt.Println("next:", len(es), err)
			os.Exit(2)
		}
		if prev != nil {
			if err := ob.Ack(prev); err != nil {
				fmt.Println("ack:", err)
				os.Exit(2)
			}
			fmt.Println("K", g-1)
		}
		prev = es
	}
}

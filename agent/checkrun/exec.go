package checkrun

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// drainGrace bounds the wait for end-of-file on the output pipes once the
// plugin's process group is gone. Only a process that left the group
// (setsid) and kept the pipes can hold them open longer; it is not waited
// for.
const drainGrace = time.Second

// execution is how one plugin process went, before any interpretation.
type execution struct {
	startErr error
	status   syscall.WaitStatus
	// timedOut and cancelled say why the process group was stopped, if it
	// was; killed says SIGTERM was not enough.
	timedOut, cancelled, killed bool
	limit                       time.Duration
	stdout, stderr              capture
}

// execute runs argv in a new process group and returns once the plugin has
// been reaped, every other process of its group killed, and its output
// read. The order matters: the leader is waited for without being reaped
// (waitid WNOWAIT), so its pid still names the group when the group is
// killed and cannot have been reused by an unrelated process.
func (p *Plugin) execute(ctx context.Context, argv []string) *execution {
	x := &execution{stdout: capture{cap: p.outputCap}, stderr: capture{cap: p.outputCap}}
	outR, outW, err := os.Pipe()
	if err != nil {
		x.startErr = fmt.Errorf("create stdout pipe: %w", err)
		return x
	}
	defer outR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		outW.Close()
		x.startErr = fmt.Errorf("create stderr pipe: %w", err)
		return x
	}
	defer errR.Close()

	cmd := &exec.Cmd{
		Path: p.path, Args: argv, Env: p.env, Dir: p.dir,
		// *os.File, not an io.Writer: the child writes straight into the
		// pipes and exec starts no copying goroutine that Wait would block on.
		Stdout: outW, Stderr: errW,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Credential: p.cred},
	}
	err = cmd.Start()
	// The child has its own copies; ours would keep the pipes from ever
	// reaching end-of-file.
	outW.Close()
	errW.Close()
	if err != nil {
		x.startErr = err
		return x
	}

	var readers sync.WaitGroup
	readers.Go(func() { x.stdout.readFrom(outR) })
	readers.Go(func() { x.stderr.readFrom(errR) })

	pid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		waitExited(pid)
	}()

	select {
	case <-exited:
	case <-ctx.Done():
		x.timedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
		x.cancelled = !x.timedOut
		x.killed = stopGroup(pid, exited, p.grace)
	}
	// Children and grandchildren that outlive the plugin are never wanted:
	// they would pile up run after run and can hold the output pipes open.
	_ = unix.Kill(-pid, unix.SIGKILL)
	// Wait reaps the leader; its error only restates the exit status,
	// which ProcessState has in full.
	_ = cmd.Wait()
	x.status = cmd.ProcessState.Sys().(syscall.WaitStatus)

	drainBy := time.Now().Add(drainGrace)
	_ = outR.SetReadDeadline(drainBy)
	_ = errR.SetReadDeadline(drainBy)
	readers.Wait()
	return x
}

// stopGroup sends SIGTERM to the group and SIGKILL after grace if the
// leader has not exited; it returns once the leader has, and reports
// whether SIGKILL was needed.
func stopGroup(pid int, exited <-chan struct{}, grace time.Duration) (killed bool) {
	_ = unix.Kill(-pid, unix.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-exited:
		return false
	case <-t.C:
	}
	_ = unix.Kill(-pid, unix.SIGKILL)
	// Since Linux 2.6.25 even a process blocked on a hard NFS mount dies on
	// SIGKILL (TASK_KILLABLE), so this wait ends.
	<-exited
	return true
}

// waitExited blocks until process pid has exited, leaving it a zombie for
// cmd.Wait to reap.
func waitExited(pid int) {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			// Any other error (ECHILD) means there is nothing left to wait
			// for.
			return
		}
	}
}

// capture keeps the first cap bytes written to a pipe and counts the rest,
// reading until end-of-file so the plugin never blocks on a full pipe: an
// over-long output costs the plugin nothing but its tail, and the timeout
// still bounds the run.
type capture struct {
	cap   int
	buf   []byte
	total int64
}

func (c *capture) readFrom(f *os.File) {
	chunk := make([]byte, 32<<10)
	for {
		n, err := f.Read(chunk)
		c.total += int64(n)
		if keep := min(n, c.cap-len(c.buf)); keep > 0 {
			c.buf = append(c.buf, chunk[:keep]...)
		}
		if err != nil {
			// EOF, or the drain deadline passed.
			return
		}
	}
}

// truncated reports whether output was dropped.
func (c *capture) truncated() bool { return c.total > int64(len(c.buf)) }

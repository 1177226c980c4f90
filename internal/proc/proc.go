// Package proc runs a program in the background with its output in a log file and
// stops it: what `make run`, `make bench` and the end-to-end tests do with the real
// binaries.
package proc

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Proc is a started program.
type Proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	// Log is the file holding the program's stdout and stderr.
	Log string
}

// Start runs binary with args, appending its output to logPath. It gets its own
// process group, so a Ctrl-C meant for the caller does not reach it: the caller
// decides the order in which things stop.
func Start(logPath, binary string, args ...string) (*Proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open log for %s: %w", binary, err)
	}
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	p := &Proc{cmd: cmd, done: make(chan struct{}), Log: logPath}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the program has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is how the program exited (nil for status 0); valid once Done is closed.
func (p *Proc) Err() error { return p.err }

// Signal sends sig unless the program has already exited.
func (p *Proc) Signal(sig syscall.Signal) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(sig)
	}
}

// Stop sends sig and waits up to grace for the exit, then kills the program. It
// returns how the program exited and whether it had to be killed.
func (p *Proc) Stop(sig syscall.Signal, grace time.Duration) (exitErr error, killed bool) {
	p.Signal(sig)
	select {
	case <-p.done:
		return p.err, false
	case <-time.After(grace):
	}
	p.Signal(syscall.SIGKILL)
	<-p.done
	return p.err, true
}

// LogText is what the program has written so far.
func (p *Proc) LogText() string {
	b, _ := os.ReadFile(p.Log)
	return string(b)
}

package input

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilmon/vigil/internal/model"
)

func init() { Register("process_summary", newProcessSummary) }

// processSummary counts processes by state (system.process.summary).
//
// It must stay cheap with hundreds or thousands of processes, so it does not
// use gopsutil's process objects (several files, strings and maps per process
// per call). It reads only /proc/<pid>/stat, into one reused buffer, with a
// pure parser of the state character. Nearly all the cost is then the
// kernel's: on a 2-vCPU VM, open+read+close of that file took about 4.4 µs of
// CPU per process, a pread on a descriptor kept open about 2 µs. So the files
// stay open between cycles and are re-read with pread(fd, 0), which makes the
// kernel regenerate them. Up to maxCachedStat descriptors are kept (about
// 5 KiB of kernel memory each: the file and its seq_file page); beyond that a
// file is opened and closed every cycle. A descriptor belongs to one process,
// not to a pid number: once that process is gone, pread fails with ESRCH even
// if the pid was reused, and the file is opened again.
type processSummary struct {
	procRoot string

	mu      sync.Mutex // Collect against Close
	dirFD   int        // procRoot, or -1 until the first Collect
	cache   map[uint64]cachedStat
	cycle   uint64
	dirents []byte
	buf     []byte
}

type cachedStat struct {
	fd   int
	seen uint64 // last cycle the pid was listed
}

const maxCachedStat = 1024

func newProcessSummary(Options) (Input, error) {
	return newProcessSummaryAt("/proc"), nil
}

func newProcessSummaryAt(procRoot string) *processSummary {
	return &processSummary{
		procRoot: procRoot,
		dirFD:    -1,
		cache:    map[uint64]cachedStat{},
		dirents:  make([]byte, 16<<10),
		// Only the state, right after the command name, is needed, so a short
		// read of the ~300-byte line does no harm and shortens the scan for
		// the last ')'. The name is at most 64 bytes (workqueue kernel
		// threads; 16 for others), so 256 always hold it and the state.
		buf: make([]byte, 256),
	}
}

func (*processSummary) Name() string { return "process_summary" }

// procCounts are the system.process.summary fields.
type procCounts struct {
	total, running, sleeping, stopped, zombie, idle, dead, unknown int
}

func (p *processSummary) Collect(_ context.Context, now time.Time) ([]model.Event, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dirFD < 0 {
		fd, err := unix.Open(p.procRoot, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", p.procRoot, err)
		}
		p.dirFD = fd
	} else if _, err := unix.Seek(p.dirFD, 0, 0); err != nil {
		return nil, fmt.Errorf("rewind %s: %w", p.procRoot, err)
	}
	p.cycle++
	var c procCounts
	for {
		n, err := unix.Getdents(p.dirFD, p.dirents)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", p.procRoot, err)
		}
		if n <= 0 {
			break
		}
		for b := p.dirents[:n]; len(b) > 0; {
			var name []byte
			name, b = nextDirent(b)
			pid, ok := parseUint(name)
			if !ok {
				continue // "self", "sys", ...
			}
			if state, ok := p.state(pid, name); ok {
				c.add(state)
			}
		}
	}
	// Close the descriptors of processes that have exited.
	for pid, e := range p.cache {
		if e.seen != p.cycle {
			_ = unix.Close(e.fd)
			delete(p.cache, pid)
		}
	}
	return []model.Event{event(now, "system.process.summary", nil, c.values())}, nil
}

// state reads one process's state. ok is false when the process vanished
// during the scan, which is normal and not counted at all; a file that exists
// but cannot be read counts as state 0 (unknown).
func (p *processSummary) state(pid uint64, name []byte) (state byte, ok bool) {
	if e, cached := p.cache[pid]; cached {
		n, err := unix.Pread(e.fd, p.buf, 0)
		if err == nil {
			e.seen = p.cycle
			p.cache[pid] = e
			s, _ := parseStatState(p.buf[:n])
			return s, true
		}
		// ESRCH: the process we had open is gone; the pid may be reused by a
		// new one, which the open below finds.
		_ = unix.Close(e.fd)
		delete(p.cache, pid)
	}
	fd, err := unix.Openat(p.dirFD, string(name)+"/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, !vanished(err)
	}
	n, err := unix.Read(fd, p.buf)
	if err != nil {
		_ = unix.Close(fd)
		return 0, !vanished(err)
	}
	if len(p.cache) < maxCachedStat {
		p.cache[pid] = cachedStat{fd: fd, seen: p.cycle}
	} else {
		_ = unix.Close(fd)
	}
	s, _ := parseStatState(p.buf[:n])
	return s, true
}

func vanished(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH)
}

// Close releases the cached descriptors. A later Collect starts afresh.
func (p *processSummary) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pid, e := range p.cache {
		_ = unix.Close(e.fd)
		delete(p.cache, pid)
	}
	if p.dirFD >= 0 {
		_ = unix.Close(p.dirFD)
		p.dirFD = -1
	}
	return nil
}

// nextDirent splits the first linux_dirent64 record off a getdents64 buffer
// and returns its name: d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1),
// then the NUL-terminated name, padded to d_reclen.
func nextDirent(b []byte) (name, rest []byte) {
	const nameOff = 19
	if len(b) < nameOff {
		return nil, nil
	}
	reclen := int(binary.NativeEndian.Uint16(b[16:18]))
	if reclen < nameOff || reclen > len(b) {
		return nil, nil // corrupt record: stop rather than loop
	}
	name = b[nameOff:reclen]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return name, b[reclen:]
}

// parseStatState returns the state character of a /proc/<pid>/stat line,
// "1234 (comm) S 1 ...". The command name may contain spaces and parentheses,
// "(a) b)" included, so the state is found after the LAST ')'.
func parseStatState(b []byte) (byte, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) || b[i+1] != ' ' {
		return 0, false
	}
	return b[i+2], true
}

// add counts one process. The states are those of fs/proc/array.c. Like top,
// uninterruptible sleep (D) counts as sleeping.
func (c *procCounts) add(state byte) {
	c.total++
	switch state {
	case 'R':
		c.running++
	case 'S', 'D':
		c.sleeping++
	case 'I':
		c.idle++
	case 'T', 't':
		c.stopped++
	case 'Z':
		c.zombie++
	case 'X', 'x':
		c.dead++
	default: // W, K, P on old kernels, or unreadable
		c.unknown++
	}
}

func (c procCounts) values() map[string]float64 {
	return map[string]float64{
		"system.process.summary.total":    float64(c.total),
		"system.process.summary.running":  float64(c.running),
		"system.process.summary.sleeping": float64(c.sleeping),
		"system.process.summary.stopped":  float64(c.stopped),
		"system.process.summary.zombie":   float64(c.zombie),
		"system.process.summary.idle":     float64(c.idle),
		"system.process.summary.dead":     float64(c.dead),
		"system.process.summary.unknown":  float64(c.unknown),
	}
}

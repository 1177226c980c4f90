package checks

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The parsers in this file take the bytes of one procfs file, so they are
// tested on literal kernel output and fuzzed where a process controls the
// text (the comm in /proc/PID/stat).

// parseLoadavg reads the three load averages from /proc/loadavg:
// "0.52 0.58 0.59 1/467 12345".
func parseLoadavg(b []byte) ([3]float64, error) {
	var avg [3]float64
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return avg, fmt.Errorf("parse loadavg %q: want at least 3 fields", b)
	}
	for i := range avg {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || v < 0 {
			return avg, fmt.Errorf("parse loadavg %q: field %d is not a load", b, i+1)
		}
		avg[i] = v
	}
	return avg, nil
}

// countCPUs counts the "cpuN" lines of /proc/stat: the online CPUs, which
// is what the kernel's load average is spread over (runtime.NumCPU would
// count only the agent's own affinity mask).
func countCPUs(stat []byte) (int, error) {
	n := 0
	for line := range bytes.Lines(stat) {
		if len(line) > 3 && bytes.HasPrefix(line, []byte("cpu")) && line[3] >= '0' && line[3] <= '9' {
			n++
		}
	}
	if n == 0 {
		return 0, errors.New("count cpus: no cpuN line in stat")
	}
	return n, nil
}

// parseMeminfo reads /proc/meminfo into bytes per key
// ("MemAvailable:   5123456 kB" is 5123456*1024). Lines without a unit
// (HugePages_Total) are counts and kept as they are.
func parseMeminfo(b []byte) (map[string]uint64, error) {
	m := make(map[string]uint64, 64)
	for line := range bytes.Lines(b) {
		key, rest, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse meminfo %s: %w", key, err)
		}
		if len(f) > 1 && string(f[1]) == "kB" {
			v *= 1024
		}
		m[string(key)] = v
	}
	if len(m) == 0 {
		return nil, errors.New("parse meminfo: no fields")
	}
	return m, nil
}

// procStat is what the procs check needs from /proc/PID/stat.
type procStat struct {
	pid   int
	comm  string
	state byte
}

// parseStat reads "PID (COMM) STATE ...". COMM is whatever the process set
// (up to 15 bytes) and may hold spaces and parentheses, "(sd-pam)" or
// "a) R (b", so it runs from the first '(' to the LAST ')' on the line, as
// procps reads it.
func parseStat(line []byte) (procStat, error) {
	open := bytes.IndexByte(line, '(')
	closing := bytes.LastIndexByte(line, ')')
	if open < 1 || closing < open {
		return procStat{}, fmt.Errorf("parse stat %q: no (comm)", line)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(line[:open])))
	if err != nil || pid <= 0 {
		return procStat{}, fmt.Errorf("parse stat %q: bad pid", line)
	}
	rest := line[closing+1:]
	if len(rest) < 2 || rest[0] != ' ' || rest[1] < 'A' || rest[1] > 'z' {
		return procStat{}, fmt.Errorf("parse stat %q: no state after comm", line)
	}
	return procStat{pid: pid, comm: string(line[open+1 : closing]), state: rest[1]}, nil
}

// parseStatusUID returns the effective uid from /proc/PID/status
// ("Uid:\t1000\t1000\t1000\t1000": real, effective, saved, fs), the one ps
// shows as the owner.
func parseStatusUID(b []byte) (uint32, error) {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("Uid:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) < 2 {
			break
		}
		uid, err := strconv.ParseUint(string(f[1]), 10, 32)
		if err != nil {
			return 0, fmt.Errorf("parse status uid: %w", err)
		}
		return uint32(uid), nil
	}
	return 0, errors.New("parse status: no Uid line")
}

// readProcFile reads a whole procfs file into *buf, growing and keeping
// it for the next file. Plain syscalls, because for files this small
// os.ReadFile's fstat, poller registration and allocation are a large part
// of the cost, paid once per process per run.
func readProcFile(path string, buf *[]byte) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, max(cap(b), 4096))
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			*buf = b
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

package input

import (
	"os"
	"slices"

	"golang.org/x/sys/unix"
)

// readProcFile reads a whole /proc or /sys file into buf, growing it as
// needed, and returns the filled slice for the caller to keep as its buffer
// for the next cycle. Plain syscalls, because for files this small
// os.ReadFile's extra fstat, netpoller registration attempt and allocation
// are a large part of the cost, paid every cycle.
func readProcFile(path string, buf []byte) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return buf[:0], &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(cap(buf), 4096))
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return buf[:0], &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

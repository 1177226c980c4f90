package outbox

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// writeAt is Outbox.writeAt outside tests.
func writeAt(f *os.File, data []byte, off int64, sync bool) error {
	if _, err := f.WriteAt(data, off); err != nil {
		return err
	}
	if sync {
		return f.Sync()
	}
	return nil
}

// lockDir takes an exclusive flock on dir/LOCK: two collectors appending to one
// outbox would interleave records and delete each other's segments. The kernel
// drops the lock when the process dies, so kill -9 needs no cleanup.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock directory (is another collector using it?): %w", err)
	}
	return f, nil
}

// syncDir makes creations and removals of files in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

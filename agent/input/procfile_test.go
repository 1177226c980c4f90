package input

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadProcFile(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("0123456789abcdef", 1000) // grows the buffer several times
	for name, content := range map[string]string{"empty": "", "small": "1 2 3\n", "big": big} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, buf := range [][]byte{nil, make([]byte, 0, 3), make([]byte, 10, 64)} {
				got, err := readProcFile(p, buf)
				if err != nil || string(got) != content {
					t.Errorf("readProcFile(cap %d) = %d bytes, %v; want %d bytes", cap(buf), len(got), err, len(content))
				}
			}
		})
	}
	if _, err := readProcFile(filepath.Join(dir, "missing"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
}

package checks

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
)

func TestFileAge(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "backup.done")
	writeFile(t, f, "ok\n")
	if err := os.Chtimes(f, t0, t0.Add(-90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	writeFile(t, empty, "")
	if err := os.Chtimes(empty, t0, t0.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name string
		args []string
		want string
		st   nagios.State
	}{
		{"fresh enough", []string{"-f", f, "-w", "7200", "-c", "86400"}, "FILE_AGE OK - " + f + " is 5400 seconds old and 3 bytes | age=5400s;7200;86400;0 size=3B;;;0", nagios.OK},
		{"too old", []string{"-f", f, "-w", "3600", "-c", "86400"}, "FILE_AGE WARNING - " + f + " is 5400 seconds old and 3 bytes | age=5400s;3600;86400;0 size=3B;;;0", nagios.Warning},
		{"empty", []string{"-f", empty, "-C", "1:"}, "FILE_AGE CRITICAL - " + empty + " is 1 seconds old and 0 bytes | age=1s;;;0 size=0B;;1:;0", nagios.Critical},
		{"missing", []string{"-f", missing, "-w", "1"}, "FILE_AGE CRITICAL - " + missing + " does not exist", nagios.Critical},
		{"missing ignored", []string{"-f", missing, "-i"}, "FILE_AGE OK - " + missing + " does not exist (ignored)", nagios.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustNew(t, testEnv(t), append([]string{"file_age"}, tt.args...)...).Run(t.Context())
			if got := line(r); got != tt.want || r.State != tt.st {
				t.Fatalf("got %s %s\nwant %s %s", r.State, got, tt.st, tt.want)
			}
		})
	}
}

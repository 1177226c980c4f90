package checks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
)

// TestLogGrowth walks one Check value through runs at stepped times: the
// state it keeps between runs is what tells a quiet log from a touched,
// truncated or rotated one.
func TestLogGrowth(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	now := t0
	env := testEnv(t)
	env.Now = func() time.Time { return now }
	c := mustNew(t, env, "log_growth", "-f", log, "-w", "300", "-c", "900")

	write := func(content string, mtime time.Time) {
		t.Helper()
		writeFile(t, log, content)
		if err := os.Chtimes(log, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name   string
		at     time.Duration // since t0
		change func()
		want   string
		st     nagios.State
	}{
		{"missing", 0, func() {}, "LOG_GROWTH CRITICAL - " + log + " does not exist", nagios.Critical},
		{"first run uses the mtime", 0, func() { write("a\n", t0.Add(-100*time.Second)) },
			"LOG_GROWTH OK - " + log + " last grew 100 seconds ago (2 bytes) | quiet=100s;300;900;0 size=2B;;;0", nagios.OK},
		{"quiet", 400 * time.Second, func() {},
			"LOG_GROWTH WARNING - " + log + " last grew 500 seconds ago (2 bytes) | quiet=500s;300;900;0 size=2B;;;0", nagios.Warning},
		{"touched is not growth", 1000 * time.Second, func() { write("a\n", t0.Add(990*time.Second)) },
			"LOG_GROWTH CRITICAL - " + log + " last grew 1100 seconds ago (2 bytes) | quiet=1100s;300;900;0 size=2B;;;0", nagios.Critical},
		{"grew", 1100 * time.Second, func() { write("a\nb\n", t0.Add(1090*time.Second)) },
			"LOG_GROWTH OK - " + log + " last grew 10 seconds ago (4 bytes) | quiet=10s;300;900;0 size=4B;;;0", nagios.OK},
		// An mtime older than the previous run (cp -p) dates the change at
		// that run, the earliest it can have happened.
		{"truncated", 1500 * time.Second, func() { write("c\n", t0) },
			"LOG_GROWTH WARNING - " + log + " last grew 400 seconds ago (2 bytes, truncated since last run) | quiet=400s;300;900;0 size=2B;;;0", nagios.Warning},
		{"rotated", 1600 * time.Second, func() {
			if err := os.Rename(log, log+".1"); err != nil {
				t.Fatal(err)
			}
			write("d\n", t0.Add(1590*time.Second))
		}, "LOG_GROWTH OK - " + log + " last grew 10 seconds ago (2 bytes, replaced since last run (rotated)) | quiet=10s;300;900;0 size=2B;;;0", nagios.OK},
	}
	for _, s := range steps {
		now = t0.Add(s.at)
		s.change()
		r := c.Run(t.Context())
		if got := line(r); got != s.want || r.State != s.st {
			t.Fatalf("%s: got %s %s\nwant %s %s", s.name, r.State, got, s.st, s.want)
		}
	}
	if !strings.Contains(line(c.Run(t.Context())), "10 seconds ago") {
		t.Fatal("a run without change must not move the date")
	}
}

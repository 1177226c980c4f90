package checks

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
)

// logGrowth alerts on a log file that stopped growing: the writer hung or
// died, or logs go somewhere else. -w/-c are Nagios ranges on the seconds
// since the file last changed ("600" alerts after ten quiet minutes).
//
// Inside the agent the Check value lives across runs and remembers the
// file's size and identity (device, inode), so "changed" means the size
// moved or the file was replaced: growth, truncation (copytruncate) and
// rotation (a new inode) all count as activity, while a touch that only
// bumps the mtime does not. The change happened between the previous run
// and this one, and is dated at the file's mtime clamped to that interval.
// The first run, and every run of the one-shot CLI, knows only the mtime,
// so there it measures the time since the last modification. A missing file
// is CRITICAL.
type logGrowth struct {
	path       string
	now        func() time.Time
	thresholds nagios.Thresholds

	mu         sync.Mutex
	seen       bool
	size       int64
	dev, ino   uint64
	lastRun    time.Time
	lastChange time.Time
}

func logGrowthFlags(fs *flag.FlagSet, env Env) func() (Check, error) {
	path := fs.String("f", "", "log `file` to watch")
	warn := fs.String("w", "", "warning `range` on seconds without growth")
	crit := fs.String("c", "", "critical `range` on seconds without growth")
	return func() (Check, error) {
		if *path == "" {
			return nil, errors.New("-f file is required")
		}
		t, err := parseRanges("-w", *warn, "-c", *crit)
		if err != nil {
			return nil, err
		}
		return &logGrowth{path: *path, now: env.Now, thresholds: t}, nil
	}
}

func (l *logGrowth) Run(context.Context) nagios.Result {
	fi, err := os.Stat(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return result("LOG_GROWTH", nagios.Critical, l.path+" does not exist", nil, nil)
	}
	if err != nil {
		return unknown("LOG_GROWTH", fmt.Errorf("stat log: %w", err))
	}
	var dev, ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		dev, ino = st.Dev, st.Ino
	}
	now := l.now()

	l.mu.Lock()
	note := ""
	switch {
	case !l.seen:
		l.lastChange = clampTime(fi.ModTime(), time.Time{}, now)
	case dev != l.dev || ino != l.ino:
		l.lastChange = clampTime(fi.ModTime(), l.lastRun, now)
		note = ", replaced since last run (rotated)"
	case fi.Size() < l.size:
		l.lastChange = clampTime(fi.ModTime(), l.lastRun, now)
		note = ", truncated since last run"
	case fi.Size() > l.size:
		l.lastChange = clampTime(fi.ModTime(), l.lastRun, now)
	}
	l.seen, l.size, l.dev, l.ino, l.lastRun = true, fi.Size(), dev, ino, now
	quiet := now.Sub(l.lastChange).Seconds()
	l.mu.Unlock()

	state := l.thresholds.Evaluate(quiet)
	text := fmt.Sprintf("%s last grew %.0f seconds ago (%d bytes%s)", l.path, quiet, fi.Size(), note)
	return result("LOG_GROWTH", state, text, nil, []nagios.Perf{
		perf("quiet", round(quiet, 3), "s", l.thresholds, ptr(0), nil),
		perf("size", float64(fi.Size()), "B", nagios.Thresholds{}, ptr(0), nil),
	})
}

func clampTime(t, lo, hi time.Time) time.Time {
	if t.Before(lo) {
		return lo
	}
	if t.After(hi) {
		return hi
	}
	return t
}

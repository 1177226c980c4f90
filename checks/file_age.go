package checks

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
)

// fileAge is check_file_age: -w/-c are Nagios ranges on the seconds since
// the file was last modified ("3600" alerts when older than an hour), -W/-C
// on its size in bytes ("1:" alerts when it is empty). A missing file is
// CRITICAL, or OK with -i.
type fileAge struct {
	path          string
	now           func() time.Time
	age, size     nagios.Thresholds
	ignoreMissing bool
}

func fileAgeFlags(fs *flag.FlagSet, env Env) func() (Check, error) {
	path := fs.String("f", "", "`file` to check")
	warn := fs.String("w", "", "warning `range` on age in seconds")
	crit := fs.String("c", "", "critical `range` on age in seconds")
	wsize := fs.String("W", "", "warning `range` on size in bytes (\"1:\" = not empty)")
	csize := fs.String("C", "", "critical `range` on size in bytes")
	ignore := fs.Bool("i", false, "a missing file is OK")
	return func() (Check, error) {
		if *path == "" {
			return nil, errors.New("-f file is required")
		}
		f := &fileAge{path: *path, now: env.Now, ignoreMissing: *ignore}
		var err error
		if f.age, err = parseRanges("-w", *warn, "-c", *crit); err != nil {
			return nil, err
		}
		if f.size, err = parseRanges("-W", *wsize, "-C", *csize); err != nil {
			return nil, err
		}
		return f, nil
	}
}

func (f *fileAge) Run(context.Context) nagios.Result {
	fi, err := os.Stat(f.path)
	if errors.Is(err, os.ErrNotExist) {
		if f.ignoreMissing {
			return result("FILE_AGE", nagios.OK, f.path+" does not exist (ignored)", nil, nil)
		}
		return result("FILE_AGE", nagios.Critical, f.path+" does not exist", nil, nil)
	}
	if err != nil {
		return unknown("FILE_AGE", fmt.Errorf("stat file: %w", err))
	}
	age := f.now().Sub(fi.ModTime()).Seconds()
	size := float64(fi.Size())
	state := nagios.Worse(f.age.Evaluate(age), f.size.Evaluate(size))
	text := fmt.Sprintf("%s is %.0f seconds old and %d bytes", f.path, age, fi.Size())
	return result("FILE_AGE", state, text, nil, []nagios.Perf{
		perf("age", round(age, 3), "s", f.age, ptr(0), nil),
		perf("size", size, "B", f.size, ptr(0), nil),
	})
}

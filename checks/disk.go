package checks

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/disk"

	"github.com/vigilmon/vigil/internal/nagios"
)

// DiskSource lists mounts and measures one; gopsutil on the real host.
type DiskSource interface {
	Partitions(ctx context.Context) ([]disk.PartitionStat, error)
	Usage(ctx context.Context, path string) (*disk.UsageStat, error)
}

type hostDisks struct{}

// Partitions asks for every mount: the disk check filters pseudo
// filesystems itself, because gopsutil's own filter ("nodev" in
// /proc/filesystems) drops overlay, which is / in a container.
func (hostDisks) Partitions(ctx context.Context) ([]disk.PartitionStat, error) {
	return disk.PartitionsWithContext(ctx, true)
}

func (hostDisks) Usage(ctx context.Context, p string) (*disk.UsageStat, error) {
	return disk.UsageWithContext(ctx, p)
}

// pseudoFS are the types the disk check skips unless a -p names them: they
// hold no data, or are always full by design (squashfs snaps, iso9660).
// tmpfs stays in, because a full /run or /dev/shm breaks a host.
var pseudoFS = []string{
	"autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs",
	"devpts", "devtmpfs", "efivarfs", "fusectl", "hugetlbfs", "iso9660", "mqueue",
	"nsfs", "proc", "pstore", "ramfs", "rpc_pipefs", "securityfs", "selinuxfs",
	"squashfs", "sysfs", "tracefs",
}

// diskCheck is check_disk. -w/-c are the FREE space below which to alert, as a
// percentage ("20%") or an amount ("500MB", "2GB"; a bare number is MB, as
// check_disk's default units). Free and percentages are df's: of the space
// ordinary users can have (used + available), not counting the blocks
// reserved for root. -W/-K are free inode percentages. The state is the
// worst over the selected mounts.
type diskCheck struct {
	disks         DiskSource
	paths         []string
	exclude       []string
	warn, crit    *freeLimit
	iwarn, icrit  *freeLimit
	timeout       time.Duration
	inodesChecked bool
}

// freeLimit is one -w/-c/-W/-K value: alert when free is below it.
type freeLimit struct {
	pct   bool
	value float64 // percent, or bytes
}

// bytes is the limit in bytes on a filesystem of usable bytes.
func (l *freeLimit) bytes(usable float64) float64 {
	if l.pct {
		return usable * l.value / 100
	}
	return l.value
}

func diskFlags(fs *flag.FlagSet, env Env) func() (Check, error) {
	warn := fs.String("w", "", "warn when free space is below `N%|SIZE` (20%, 500MB, 2GB; bare number = MB)")
	crit := fs.String("c", "", "critical when free space is below `N%|SIZE`")
	iwarn := fs.String("W", "", "warn when free inodes are below `N%`")
	icrit := fs.String("K", "", "critical when free inodes are below `N%`")
	var paths, exclude listFlag
	fs.Var(&paths, "p", "mount point, `path` or glob over mount points (/var, '/srv/*'); repeatable; default all real filesystems")
	fs.Var(&exclude, "X", "skip filesystems of this `type` (repeatable)")
	timeout := secondsFlag(10 * time.Second)
	fs.Var(&timeout, "t", "give up on mounts that do not answer within `seconds` (hung NFS)")
	return func() (Check, error) {
		d := &diskCheck{disks: env.Disks, timeout: time.Duration(timeout), exclude: exclude}
		for _, p := range paths {
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("parse -p %q: %w", p, err)
			}
		}
		d.paths = paths
		for _, f := range []struct {
			name, text string
			pctOnly    bool
			dst        **freeLimit
		}{{"-w", *warn, false, &d.warn}, {"-c", *crit, false, &d.crit}, {"-W", *iwarn, true, &d.iwarn}, {"-K", *icrit, true, &d.icrit}} {
			if f.text == "" {
				continue
			}
			l, err := parseFreeLimit(f.text, f.pctOnly)
			if err != nil {
				return nil, fmt.Errorf("parse %s: %w", f.name, err)
			}
			*f.dst = l
		}
		d.inodesChecked = d.iwarn != nil || d.icrit != nil
		return d, nil
	}
}

var sizeUnits = map[string]float64{
	"B": 1, "K": 1 << 10, "KB": 1 << 10, "KiB": 1 << 10, "M": 1 << 20, "MB": 1 << 20, "MiB": 1 << 20,
	"G": 1 << 30, "GB": 1 << 30, "GiB": 1 << 30, "T": 1 << 40, "TB": 1 << 40, "TiB": 1 << 40,
}

// parseFreeLimit reads "20%", "500MB" or "500" (MB). Sizes are binary
// (1 GB = 2^30 bytes), as df and the plugin guidelines count them. With
// pctOnly (inodes) a bare number is a percentage: inode counts differ too
// much between filesystems for an absolute limit to mean anything.
func parseFreeLimit(s string, pctOnly bool) (*freeLimit, error) {
	num, unit := s, ""
	if i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }); i >= 0 {
		num, unit = s[:i], s[i:]
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) {
		return nil, fmt.Errorf("%q: want a percentage (20%%) or a size (500MB)", s)
	}
	switch {
	case unit == "%" || (pctOnly && unit == ""):
		if v > 100 {
			return nil, fmt.Errorf("%q: a percentage is at most 100", s)
		}
		return &freeLimit{pct: true, value: v}, nil
	case pctOnly:
		return nil, fmt.Errorf("%q: want a percentage", s)
	case unit == "":
		unit = "MB"
	}
	mul, ok := sizeUnits[unit]
	if !ok {
		return nil, fmt.Errorf("%q: unknown unit %q (want %%, B, KB, MB, GB or TB)", s, unit)
	}
	return &freeLimit{value: v * mul}, nil
}

// mountResult is one measured mount.
type mountResult struct {
	point string
	state nagios.State
	line  string
	used  float64 // percent, to name the fullest when all are OK
	perf  []nagios.Perf
}

func (d *diskCheck) Run(ctx context.Context) nagios.Result {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	points, err := d.mounts(ctx)
	if err != nil {
		return unknown("DISK", err)
	}
	results := d.measure(ctx, points)

	state := nagios.OK
	fullest := 0
	var perfs []nagios.Perf
	for i, r := range results {
		state = nagios.Worse(state, r.state)
		if r.used > results[fullest].used {
			fullest = i
		}
		perfs = append(perfs, r.perf...)
	}
	var first []string
	for _, r := range results {
		if r.state != nagios.OK && r.state == state {
			first = append(first, r.line)
		}
	}
	var text string
	switch {
	case len(first) > 0:
		text = strings.Join(first, ", ")
	case len(results) == 1:
		text = results[0].line
	default:
		text = fmt.Sprintf("%d filesystems OK, fullest %s", len(results), results[fullest].line)
	}
	var long []string
	if len(results) > 1 {
		for _, r := range results {
			long = append(long, r.state.String()+" "+r.line)
		}
	}
	return result("DISK", state, text, long, perfs)
}

// mounts returns the mount points (or plain paths) to measure, sorted.
func (d *diskCheck) mounts(ctx context.Context) ([]string, error) {
	globs := len(d.paths) == 0 || slices.ContainsFunc(d.paths, isGlob)
	if !globs {
		// Only plain paths: the mount table is not needed, and reading it
		// is most of the cost of a run.
		out := slices.Clone(d.paths)
		slices.Sort(out)
		return slices.Compact(out), nil
	}
	parts, err := d.disks.Partitions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list mounts: %w", err)
	}
	var real []string
	for _, p := range parts {
		if !slices.Contains(pseudoFS, p.Fstype) && !slices.Contains(d.exclude, p.Fstype) {
			real = append(real, p.Mountpoint)
		}
	}
	if len(d.paths) == 0 {
		if len(real) == 0 {
			return nil, errors.New("no filesystems to check")
		}
		slices.Sort(real)
		return slices.Compact(real), nil
	}
	var out []string
	for _, p := range d.paths {
		if !isGlob(p) {
			// A plain path is stat'ed as given, mount point or not: statfs
			// reports the filesystem holding it, which is what -p /var/lib/mysql
			// means.
			out = append(out, p)
			continue
		}
		n := len(out)
		for _, m := range real {
			if ok, _ := path.Match(p, m); ok {
				out = append(out, m)
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("no filesystem matches -p %q", p)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func isGlob(p string) bool { return strings.ContainsAny(p, `*?[\`) }

type usageAnswer struct {
	i   int
	u   *disk.UsageStat
	err error
}

// measure stats every point in its own goroutine and stops waiting when ctx
// ends: statfs on a dead hard NFS mount blocks in the kernel and cannot be
// cancelled, and one such mount must not hide the state of the others. A
// call left behind ends when the kernel lets it; its answer goes to the
// buffered channel and is dropped.
func (d *diskCheck) measure(ctx context.Context, points []string) []mountResult {
	answers := make(chan usageAnswer, len(points))
	for i, p := range points {
		go func() {
			u, err := d.disks.Usage(ctx, p)
			answers <- usageAnswer{i, u, err}
		}()
	}
	got := make([]*usageAnswer, len(points))
	keep := func(a usageAnswer) { got[a.i] = &a }
	pending := len(points)
wait:
	for pending > 0 {
		select {
		case a := <-answers:
			keep(a)
			pending--
		case <-ctx.Done():
			break wait
		}
	}
	// Answers that raced with the deadline still count.
	for drained := false; !drained && pending > 0; {
		select {
		case a := <-answers:
			keep(a)
			pending--
		default:
			drained = true
		}
	}
	results := make([]mountResult, 0, len(points))
	for i, p := range points {
		a := got[i]
		switch {
		case a == nil:
			results = append(results, mountResult{point: p, state: nagios.Unknown, line: p + " did not answer in time (hung mount?)"})
		case a.err != nil:
			// check_disk says CRITICAL: the path a service writes to is gone.
			results = append(results, mountResult{point: p, state: nagios.Critical, line: p + " is not accessible: " + a.err.Error()})
		case a.u.Used+a.u.Free == 0 && len(d.paths) == 0:
			// An empty pseudo filesystem missing from pseudoFS: no
			// percentage to speak of.
		default:
			results = append(results, d.evaluate(p, a.u))
		}
	}
	return results
}

func (d *diskCheck) evaluate(point string, u *disk.UsageStat) mountResult {
	// gopsutil: Free is what users can still have (f_bavail), Used is
	// f_blocks - f_bfree, so Used+Free is df's size.
	usable := float64(u.Used + u.Free)
	free := float64(u.Free)
	freeT, usedT := limits(d.warn, d.crit, usable)
	state := freeT.Evaluate(free)
	usedPct := 0.0
	if usable > 0 {
		usedPct = 100 - free/usable*100
	}
	line := fmt.Sprintf("%s %.1f%% used (%s free of %s)", point, usedPct, humanBytes(free), humanBytes(usable))
	perfs := []nagios.Perf{perf(point, float64(u.Used), "B", usedT, ptr(0), ptr(usable))}
	if d.inodesChecked && u.InodesTotal > 0 {
		files := float64(u.InodesTotal)
		ifreeT, iusedT := limits(d.iwarn, d.icrit, files)
		state = nagios.Worse(state, ifreeT.Evaluate(float64(u.InodesFree)))
		line += fmt.Sprintf(", inodes %.1f%% used", u.InodesUsedPercent)
		perfs = append(perfs, perf(point+" inodes", float64(u.InodesUsed), "", iusedT, ptr(0), ptr(files)))
	}
	return mountResult{point: point, state: state, line: line, used: usedPct, perf: perfs}
}

// limits turns free-below limits on a filesystem of size total into
// thresholds on free (to evaluate) and on used (for perfdata, which carries
// used space like check_disk's).
func limits(warn, crit *freeLimit, total float64) (free, used nagios.Thresholds) {
	conv := func(l *freeLimit) (*nagios.Range, *nagios.Range) {
		if l == nil {
			return nil, nil
		}
		b := math.Round(l.bytes(total))
		return &nagios.Range{Start: b, End: math.Inf(1)}, &nagios.Range{End: math.Max(0, total-b)}
	}
	free.Warn, used.Warn = conv(warn)
	free.Crit, used.Crit = conv(crit)
	return free, used
}

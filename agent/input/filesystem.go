package input

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilmon/vigil/internal/model"
)

func init() { Register("filesystem", newFilesystem) }

// filesystemInput reports space and inodes per mounted filesystem
// (system.filesystem), plus the number of hung mounts (vigil.agent).
//
// statfs(2) on a dead NFS server blocks in the kernel, uninterruptibly and
// for as long as the mount stays hard; no context can cancel it. So each
// mount is stat'ed in its own goroutine and Collect stops waiting after
// timeout. A mount whose call is still blocked is "hung": it is skipped (not
// stat'ed again, which would pile up one more stuck goroutine and kernel
// thread per cycle) until that call returns. Hung mounts are logged once when
// they hang and once when they recover, and counted every cycle in
// vigil.agent.filesystem.hung_mounts, so a rule can alert on it.
type filesystemInput struct {
	log *slog.Logger
	// mountinfo reads the mount table (/proc/self/mountinfo) into buf.
	mountinfo    func(buf []byte) ([]byte, error)
	statfs       func(path string) (fsUsage, error)
	excludeTypes map[string]bool
	excludeGlobs []string
	timeout      time.Duration

	buf []byte
	// The mount table rarely changes, and on container hosts it has hundreds
	// of lines, so the selection is reused while the table is unchanged.
	selectedFrom []byte
	selected     []mount
	haveSelected bool

	mu   sync.Mutex
	hung map[string]*statCall // by mount point: calls that outlived a Collect
	// running counts statfs goroutines, so tests can wait for a released
	// fake to be noticed.
	running sync.WaitGroup
}

// fsUsage is what statfs tells about one filesystem, in bytes and inodes.
type fsUsage struct {
	total, free, avail uint64
	files, freeFiles   uint64
}

// statCall is one statfs in flight; guarded by filesystemInput.mu.
type statCall struct {
	started   time.Time
	done      bool // statfs returned and its result is in the channel
	abandoned bool // Collect stopped waiting: the mount is in hung
}

type statResult struct {
	i   int
	u   fsUsage
	err error
}

func newFilesystem(o Options) (Input, error) {
	for _, p := range o.Filesystem.ExcludeMountPoints {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("check exclude_mount_points pattern %q: %w", p, err)
		}
	}
	ex := make(map[string]bool, len(o.Filesystem.ExcludeTypes))
	for _, t := range o.Filesystem.ExcludeTypes {
		ex[t] = true
	}
	return &filesystemInput{
		log:          o.Logger,
		mountinfo:    func(buf []byte) ([]byte, error) { return readProcFile("/proc/self/mountinfo", buf) },
		statfs:       statfs,
		excludeTypes: ex,
		excludeGlobs: o.Filesystem.ExcludeMountPoints,
		timeout:      o.MountTimeout,
		hung:         map[string]*statCall{},
	}, nil
}

func (*filesystemInput) Name() string { return "filesystem" }

func (f *filesystemInput) Collect(ctx context.Context, now time.Time) ([]model.Event, error) {
	ms, err := f.mounts()
	if err != nil {
		return nil, err
	}

	results := make(chan statResult, len(ms)) // buffered: a late sender never blocks
	calls := make([]*statCall, len(ms))       // nil: skipped because hung
	hung, launched := 0, 0
	f.mu.Lock()
	for i, m := range ms {
		if _, busy := f.hung[m.point]; busy {
			hung++
			continue
		}
		c := &statCall{started: time.Now()}
		calls[i] = c
		launched++
		f.running.Add(1)
		go f.stat(m, i, c, results)
	}
	f.mu.Unlock()

	usages := make([]*statResult, len(ms))
	wait := f.timeout
	// Leave the runner time to take our partial answer before its own timeout.
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)*9/10)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	pending := launched
gather:
	for pending > 0 {
		select {
		case r := <-results:
			usages[r.i] = &r
			pending--
		case <-timer.C:
			break gather
		case <-ctx.Done():
			break gather
		}
	}
	if pending > 0 {
		hung += f.abandon(ms, calls, results, usages)
	}

	events := make([]model.Event, 0, len(ms)+1)
	for i, r := range usages {
		m := ms[i]
		switch {
		case r == nil: // hung
		case r.err != nil:
			// Typical: EACCES on another user's FUSE mount, ESTALE on NFS. It
			// repeats every cycle, so debug, not warn.
			f.log.Debug("statfs failed", "mount_point", m.point, "err", r.err)
		case r.u.total == 0:
			// Nothing to report (and no meaningful percentage) for
			// zero-sized pseudo filesystems missing from the exclude list.
		default:
			events = append(events, event(now, "system.filesystem", map[string]string{
				"system.filesystem.mount_point": m.point,
				"system.filesystem.device_name": m.device,
				"system.filesystem.type":        m.fstype,
			}, usageValues(r.u)))
		}
	}
	events = append(events, event(now, "vigil.agent", nil, map[string]float64{
		"vigil.agent.filesystem.hung_mounts": float64(hung),
	}))
	return events, nil
}

// stat runs one statfs and hands the result back, or, if Collect gave up on
// it meanwhile, takes the mount off the hung list.
func (f *filesystemInput) stat(m mount, i int, c *statCall, results chan<- statResult) {
	defer f.running.Done()
	u, err := f.statfs(m.point)
	f.mu.Lock()
	defer f.mu.Unlock()
	c.done = true
	results <- statResult{i: i, u: u, err: err}
	if c.abandoned {
		if f.hung[m.point] == c {
			delete(f.hung, m.point)
		}
		f.log.Info("statfs returned; monitoring mount again",
			"mount_point", m.point, "device", m.device, "hung_for", time.Since(c.started).Round(time.Millisecond))
	}
}

// abandon marks the calls that have not returned as hung and collects the
// results of those that returned while we were deciding. It returns the number
// of mounts newly hung.
func (f *filesystemInput) abandon(ms []mount, calls []*statCall, results <-chan statResult, usages []*statResult) int {
	var newly []mount
	f.mu.Lock()
	for i, c := range calls {
		if c != nil && !c.done {
			c.abandoned = true
			f.hung[ms[i].point] = c
			newly = append(newly, ms[i])
		}
	}
	f.mu.Unlock()
	for _, m := range newly {
		f.log.Warn("statfs did not return in time; skipping mount until it does",
			"mount_point", m.point, "device", m.device, "type", m.fstype, "timeout", f.timeout)
	}
	// Every call marked done sent its result under the lock, so this finds
	// them all.
	for {
		select {
		case r := <-results:
			usages[r.i] = &r
		default:
			return len(newly)
		}
	}
}

// usageValues computes used.pct like df: used/(used+available), i.e. of the
// space ordinary users can have, because the blocks reserved for root are
// neither. A disk df shows as 100% full is 1.0 here, not 0.95.
//
// inodes.used.pct is not in Metricbeat; Vigil adds it so that the inode
// exhaustion rule needs no arithmetic. Filesystems without a fixed inode
// table (btrfs, many FUSE) report zero files and get no value.
func usageValues(u fsUsage) map[string]float64 {
	used := sub(u.total, u.free)
	v := map[string]float64{
		"system.filesystem.total":      float64(u.total),
		"system.filesystem.free":       float64(u.free),
		"system.filesystem.available":  float64(u.avail),
		"system.filesystem.used.bytes": float64(used),
		"system.filesystem.used.pct":   ratio(float64(used), float64(used+u.avail)),
		"system.filesystem.files":      float64(u.files),
		"system.filesystem.free_files": float64(u.freeFiles),
	}
	if u.files > 0 {
		v["system.filesystem.inodes.used.pct"] = ratio(float64(sub(u.files, u.freeFiles)), float64(u.files))
	}
	return v
}

// mounts returns the mounts to report. Reading mountinfo never touches the
// filesystems, so it cannot hang on a dead server.
func (f *filesystemInput) mounts() ([]mount, error) {
	b, err := f.mountinfo(f.buf)
	if err != nil {
		return nil, fmt.Errorf("read mounts: %w", err)
	}
	f.buf = b
	if f.haveSelected && bytes.Equal(b, f.selectedFrom) {
		return f.selected, nil
	}
	all, err := parseMountinfo(b)
	if err != nil {
		return nil, err
	}
	f.selected = selectMounts(all, f.excludeTypes, f.excludeGlobs)
	f.selectedFrom = append(f.selectedFrom[:0], b...)
	f.haveSelected = true
	return f.selected, nil
}

func statfs(p string) (fsUsage, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return fsUsage{}, fmt.Errorf("statfs %s: %w", p, err)
	}
	// Block counts are in units of the fragment size (what df uses); old
	// kernels leave it 0.
	bs := uint64(st.Frsize)
	if bs == 0 {
		bs = uint64(st.Bsize)
	}
	return fsUsage{
		total: uint64(st.Blocks) * bs, free: uint64(st.Bfree) * bs, avail: uint64(st.Bavail) * bs,
		files: uint64(st.Files), freeFiles: uint64(st.Ffree),
	}, nil
}

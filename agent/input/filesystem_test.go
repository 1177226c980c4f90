package input

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/model"
)

// logBuffer is a goroutine-safe log sink: statfs goroutines log too.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), substr)
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// fakeStatfs answers from a table, blocks on the mounts in hang until
// released, and counts calls.
type fakeStatfs struct {
	mu      sync.Mutex
	usage   map[string]fsUsage
	errs    map[string]error
	hang    map[string]chan struct{}
	calls   map[string]int
	entered chan string // receives the mount point of each call that blocks
}

func (f *fakeStatfs) statfs(p string) (fsUsage, error) {
	f.mu.Lock()
	f.calls[p]++
	release := f.hang[p]
	f.mu.Unlock()
	if release != nil {
		f.entered <- p
		<-release
	}
	return f.usage[p], f.errs[p]
}

func (f *fakeStatfs) callCount(p string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[p]
}

func newTestFilesystem(log *slog.Logger, fake *fakeStatfs, mountinfo string, timeout time.Duration) *filesystemInput {
	ex := map[string]bool{}
	for _, typ := range DefaultExcludeTypes() {
		ex[typ] = true
	}
	return &filesystemInput{
		log:          log,
		mountinfo:    func([]byte) ([]byte, error) { return []byte(mountinfo), nil },
		statfs:       fake.statfs,
		excludeTypes: ex,
		timeout:      timeout,
		hung:         map[string]*statCall{},
	}
}

// testMountinfo has a pseudo filesystem, three real ones, a bind mount of
// / and another pseudo filesystem.
const testMountinfo = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 259:2 / / rw,relatime - ext4 /dev/nvme0n1p2 rw
33 27 0:50 / /mnt/nfs rw,relatime - nfs4 fileserver:/export rw,hard
31 27 259:3 / /data rw,relatime - xfs /dev/nvme0n1p3 rw
32 27 259:2 /srv /srv rw,relatime - ext4 /dev/nvme0n1p2 rw
40 23 0:51 / /sys/fs/bpf rw - bpf bpf rw
`

// byMount indexes filesystem events by mount point; the hung count event is
// stored under "".
func byMount(t *testing.T, evs []model.Event) map[string]model.Event {
	t.Helper()
	out := map[string]model.Event{}
	for _, ev := range evs {
		key := ev.Dims["system.filesystem.mount_point"]
		if _, dup := out[key]; dup {
			t.Errorf("two events for mount %q", key)
		}
		out[key] = ev
	}
	return out
}

func hungMounts(t *testing.T, evs map[string]model.Event) float64 {
	t.Helper()
	ev, ok := evs[""]
	if !ok || ev.Dataset != "vigil.agent" {
		t.Fatalf("no vigil.agent event in %v", evs)
	}
	return ev.Values["vigil.agent.filesystem.hung_mounts"]
}

func TestFilesystemCollect(t *testing.T) {
	fake := &fakeStatfs{
		usage: map[string]fsUsage{
			// 100 GiB, 40 free, 35 available to users (5 reserved for root).
			"/":        {total: 100 << 30, free: 40 << 30, avail: 35 << 30, files: 1000, freeFiles: 600},
			"/mnt/nfs": {total: 10 << 30, free: 0, avail: 0, files: 0, freeFiles: 0},
		},
		errs:  map[string]error{"/data": errors.New("permission denied")},
		calls: map[string]int{},
	}
	var logs logBuffer
	f := newTestFilesystem(logs.logger(), fake, testMountinfo, time.Hour)
	evs, err := f.Collect(context.Background(), time.UnixMilli(77))
	if err != nil {
		t.Fatal(err)
	}
	got := byMount(t, evs)
	if len(got) != 3 { // "/", "/mnt/nfs", hung count; /data failed
		t.Fatalf("events for %v", got)
	}
	root := got["/"]
	wantDims := map[string]string{
		"system.filesystem.mount_point": "/", "system.filesystem.device_name": "/dev/nvme0n1p2", "system.filesystem.type": "ext4",
	}
	if root.Dataset != "system.filesystem" || root.Timestamp != 77 || !equalMaps(root.Dims, wantDims) {
		t.Errorf("root event header = %q %d %v", root.Dataset, root.Timestamp, root.Dims)
	}
	wantValues := map[string]float64{
		"system.filesystem.total": 100 << 30, "system.filesystem.free": 40 << 30, "system.filesystem.available": 35 << 30,
		"system.filesystem.used.bytes": 60 << 30, "system.filesystem.used.pct": 60.0 / 95.0,
		"system.filesystem.files": 1000, "system.filesystem.free_files": 600, "system.filesystem.inodes.used.pct": 0.4,
	}
	if !equalMaps(root.Values, wantValues) {
		t.Errorf("root values = %v, want %v", root.Values, wantValues)
	}
	if pct := got["/mnt/nfs"].Values["system.filesystem.used.pct"]; pct != 1 {
		t.Errorf("full NFS used.pct = %v, want 1", pct)
	}
	if n := hungMounts(t, got); n != 0 {
		t.Errorf("hung_mounts = %v, want 0", n)
	}
	for _, p := range []string{"/proc", "/sys/fs/bpf", "/srv"} {
		if n := fake.callCount(p); n != 0 {
			t.Errorf("statfs(%s) called %d times; excluded or duplicate mounts must not be touched", p, n)
		}
	}
	if logs.count("statfs failed") != 1 {
		t.Errorf("statfs error not logged at debug:\n%s", logs.b.String())
	}
}

func equalMaps[V comparable](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestFilesystemHungMount(t *testing.T) {
	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	fake := &fakeStatfs{
		usage: map[string]fsUsage{
			"/": {total: 100, free: 50, avail: 50}, "/data": {total: 10, free: 5, avail: 5}, "/mnt/nfs": {total: 8, free: 4, avail: 4},
		},
		hang:    map[string]chan struct{}{"/mnt/nfs": release},
		calls:   map[string]int{},
		entered: make(chan string, 1),
	}
	var logs logBuffer
	// The timeout is what Collect waits for the hung mount; the other mounts
	// answer at once and do not depend on it.
	f := newTestFilesystem(logs.logger(), fake, testMountinfo, 250*time.Millisecond)
	defer f.running.Wait()
	defer releaseOnce() // also when the test fails early
	ctx := context.Background()

	// Cycle 1: the NFS statfs blocks; the others are reported anyway.
	evs, err := f.Collect(ctx, time.UnixMilli(1))
	if err != nil {
		t.Fatal(err)
	}
	<-fake.entered
	got := byMount(t, evs)
	if _, ok := got["/mnt/nfs"]; ok || got["/"].Values == nil || got["/data"].Values == nil {
		t.Fatalf("cycle 1 events for %v, want / and /data only", got)
	}
	if n := hungMounts(t, got); n != 1 {
		t.Errorf("cycle 1 hung_mounts = %v, want 1", n)
	}

	// Cycle 2: still hung, so not queried again, and not logged again.
	evs, err = f.Collect(ctx, time.UnixMilli(2))
	if err != nil {
		t.Fatal(err)
	}
	got = byMount(t, evs)
	if _, ok := got["/mnt/nfs"]; ok {
		t.Error("cycle 2 reported the hung mount")
	}
	if n := hungMounts(t, got); n != 1 {
		t.Errorf("cycle 2 hung_mounts = %v, want 1", n)
	}
	if n := fake.callCount("/mnt/nfs"); n != 1 {
		t.Errorf("statfs(/mnt/nfs) called %d times while hung, want 1", n)
	}
	if n := logs.count("did not return in time"); n != 1 {
		t.Errorf("hang logged %d times, want once", n)
	}

	// The server comes back: the blocked call returns and the mount is
	// monitored again from the next cycle.
	releaseOnce()
	f.running.Wait()
	if n := logs.count("monitoring mount again"); n != 1 {
		t.Errorf("recovery logged %d times, want once", n)
	}
	fake.mu.Lock()
	delete(fake.hang, "/mnt/nfs")
	fake.mu.Unlock()
	evs, err = f.Collect(ctx, time.UnixMilli(3))
	if err != nil {
		t.Fatal(err)
	}
	got = byMount(t, evs)
	if got["/mnt/nfs"].Values["system.filesystem.total"] != 8 {
		t.Errorf("cycle 3 NFS event = %+v", got["/mnt/nfs"])
	}
	if n := hungMounts(t, got); n != 0 {
		t.Errorf("cycle 3 hung_mounts = %v, want 0", n)
	}
	if n := fake.callCount("/mnt/nfs"); n != 2 {
		t.Errorf("statfs(/mnt/nfs) called %d times, want 2", n)
	}
}

// The runner's deadline, when shorter than the mount timeout, bounds the wait
// and the mounts that did answer are still returned.
func TestFilesystemContextDeadline(t *testing.T) {
	release := make(chan struct{})
	fake := &fakeStatfs{
		usage:   map[string]fsUsage{"/": {total: 100, free: 50, avail: 50}},
		hang:    map[string]chan struct{}{"/mnt/nfs": release},
		calls:   map[string]int{},
		entered: make(chan string, 1),
	}
	mi := strings.Join(strings.SplitAfter(testMountinfo, "\n")[:3], "") // /proc, /, /mnt/nfs
	f := newTestFilesystem(slog.New(slog.DiscardHandler), fake, mi, time.Hour)
	defer func() {
		close(release)
		f.running.Wait()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	evs, err := f.Collect(ctx, time.UnixMilli(1))
	if err != nil {
		t.Fatal(err)
	}
	got := byMount(t, evs)
	if got["/"].Values == nil || hungMounts(t, got) != 1 {
		t.Errorf("events = %v, want / and one hung mount", got)
	}
}

func TestFilesystemMountsError(t *testing.T) {
	boom := errors.New("boom")
	f := newTestFilesystem(slog.New(slog.DiscardHandler), &fakeStatfs{}, "", time.Second)
	f.mountinfo = func([]byte) ([]byte, error) { return nil, boom }
	if _, err := f.Collect(context.Background(), time.Now()); !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
	f.mountinfo = func([]byte) ([]byte, error) { return []byte("garbage\n"), nil }
	if _, err := f.Collect(context.Background(), time.Now()); err == nil {
		t.Error("unparsable mountinfo gave no error")
	}
}

// The selection is cached while the mount table is unchanged, and follows it
// when it changes.
func TestFilesystemMountTableChanges(t *testing.T) {
	fake := &fakeStatfs{usage: map[string]fsUsage{
		"/": {total: 100, free: 50, avail: 50}, "/mnt/nfs": {total: 8, free: 4, avail: 4}, "/data": {total: 10, free: 5, avail: 5},
		"/mnt/new": {total: 1, free: 1, avail: 1},
	}, calls: map[string]int{}}
	table := testMountinfo
	f := newTestFilesystem(slog.New(slog.DiscardHandler), fake, "", time.Hour)
	f.mountinfo = func([]byte) ([]byte, error) { return []byte(table), nil }
	points := func() []string {
		evs, err := f.Collect(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ev := range evs {
			if p, ok := ev.Dims["system.filesystem.mount_point"]; ok {
				out = append(out, p)
			}
		}
		return out
	}
	want := []string{"/", "/mnt/nfs", "/data"}
	for range 2 {
		if got := points(); !slices.Equal(got, want) {
			t.Errorf("mounts = %v, want %v", got, want)
		}
	}
	table += "50 27 259:9 / /mnt/new rw - ext4 /dev/sde rw\n"
	if got, want := points(), append(want, "/mnt/new"); !slices.Equal(got, want) {
		t.Errorf("after a mount: %v, want %v", got, want)
	}
}

// The real mount list and statfs on this machine: / is always there.
func TestFilesystemReal(t *testing.T) {
	in, err := newFilesystem(Options{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	evs, err := in.Collect(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	root, ok := byMount(t, evs)["/"]
	if !ok {
		t.Fatalf("no event for /: %+v", evs)
	}
	if v := root.Values; v["system.filesystem.total"] <= 0 || v["system.filesystem.used.pct"] < 0 || v["system.filesystem.used.pct"] > 1 {
		t.Errorf("implausible values for /: %v", v)
	}
}

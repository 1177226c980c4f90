package checks

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/shirou/gopsutil/v4/disk"

	"github.com/vigilmon/vigil/internal/nagios"
)

// fakeDisks serves a fixed mount table. A path in block makes Usage wait
// until that channel closes, like statfs on a dead NFS server.
type fakeDisks struct {
	parts []disk.PartitionStat
	usage map[string]*disk.UsageStat
	block map[string]chan struct{}
}

func (f fakeDisks) Partitions(context.Context) ([]disk.PartitionStat, error) { return f.parts, nil }

func (f fakeDisks) Usage(_ context.Context, p string) (*disk.UsageStat, error) {
	if ch, ok := f.block[p]; ok {
		<-ch
	}
	if u, ok := f.usage[p]; ok {
		return u, nil
	}
	return nil, &os.PathError{Op: "statfs", Path: p, Err: os.ErrNotExist}
}

const gib = 1 << 30

// usage is a filesystem of usable GiB with freeGiB available, 1000 inodes
// of which freeInodes are free.
func usage(usable, freeGiB float64, freeInodes uint64) *disk.UsageStat {
	return &disk.UsageStat{
		Used: uint64((usable - freeGiB) * gib), Free: uint64(freeGiB * gib),
		InodesTotal: 1000, InodesFree: freeInodes, InodesUsed: 1000 - freeInodes,
		InodesUsedPercent: float64(1000-freeInodes) / 10,
	}
}

func diskEnv(t *testing.T) (Env, fakeDisks) {
	f := fakeDisks{
		parts: []disk.PartitionStat{
			{Mountpoint: "/", Fstype: "ext4"},
			{Mountpoint: "/proc", Fstype: "proc"},
			{Mountpoint: "/srv/a", Fstype: "xfs"},
			{Mountpoint: "/srv/b", Fstype: "xfs"},
			{Mountpoint: "/snap/core/1", Fstype: "squashfs"},
			{Mountpoint: "/srv/a", Fstype: "xfs"}, // a bind mount repeats a point
		},
		usage: map[string]*disk.UsageStat{
			"/":      usage(100, 50, 500),
			"/proc":  {},
			"/srv/a": usage(100, 15, 500),
			"/srv/b": usage(100, 4, 50),
		},
		block: map[string]chan struct{}{},
	}
	env := testEnv(t)
	env.Disks = f
	return env, f
}

func TestDisk(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
		st   nagios.State
	}{
		{"one mount ok", []string{"-w", "20%", "-c", "10%", "-p", "/"}, "DISK OK - / 50.0% used (50.0 GiB free of 100.0 GiB) | /=53687091200B;85899345920;96636764160;0;107374182400", nagios.OK},
		{"glob worst state first", []string{"-w", "20%", "-c", "10%", "-p", "/srv/*"},
			"DISK CRITICAL - /srv/b 96.0% used (4.0 GiB free of 100.0 GiB) | /srv/a=91268055040B;85899345920;96636764160;0;107374182400 /srv/b=103079215104B;85899345920;96636764160;0;107374182400\n" +
				"WARNING /srv/a 85.0% used (15.0 GiB free of 100.0 GiB)\nCRITICAL /srv/b 96.0% used (4.0 GiB free of 100.0 GiB)", nagios.Critical},
		{"absolute limits", []string{"-w", "20GB", "-c", "3GB", "-p", "/srv/b"}, "DISK WARNING - /srv/b 96.0% used (4.0 GiB free of 100.0 GiB) | /srv/b=103079215104B;85899345920;104152956928;0;107374182400", nagios.Warning},
		{"bare number is MB", []string{"-c", "5120", "-p", "/srv/b"}, "DISK CRITICAL - /srv/b 96.0% used (4.0 GiB free of 100.0 GiB) | /srv/b=103079215104B;;102005473280;0;107374182400", nagios.Critical},
		{"inodes", []string{"-W", "10%", "-K", "5", "-p", "/srv/b"}, "DISK WARNING - /srv/b 96.0% used (4.0 GiB free of 100.0 GiB), inodes 95.0% used | /srv/b=103079215104B;;;0;107374182400 '/srv/b inodes'=950;900;950;0;1000", nagios.Warning},
		{"not a mount point", []string{"-p", "/nonexistent"}, "DISK CRITICAL - /nonexistent is not accessible: statfs /nonexistent: file does not exist", nagios.Critical},
		{"glob matching nothing", []string{"-p", "/data*"}, `DISK UNKNOWN - no filesystem matches -p "/data*"`, nagios.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _ := diskEnv(t)
			r := mustNew(t, env, append([]string{"disk"}, tt.args...)...).Run(t.Context())
			if got := line(r); got != tt.want || r.State != tt.st {
				t.Fatalf("got %s\n%s\nwant %s\n%s", r.State, got, tt.st, tt.want)
			}
		})
	}
}

func TestDiskDefaultSelection(t *testing.T) {
	env, _ := diskEnv(t)
	r := mustNew(t, env, "disk", "-w", "10%", "-X", "xfs").Run(t.Context())
	// proc and squashfs are pseudo, xfs excluded: only / is left.
	if want := "DISK OK - / 50.0% used (50.0 GiB free of 100.0 GiB)"; r.Output != want {
		t.Fatalf("Output = %q, want %q", r.Output, want)
	}
	r = mustNew(t, env, "disk").Run(t.Context())
	if want := "DISK OK - 3 filesystems OK, fullest /srv/b 96.0% used (4.0 GiB free of 100.0 GiB)"; r.Output != want || len(r.Perf) != 3 {
		t.Fatalf("Output = %q with %d perf items, want %q and one per mount", r.Output, len(r.Perf), want)
	}
}

// A mount whose statfs hangs is UNKNOWN after -t, and the others are still
// reported.
func TestDiskHungMount(t *testing.T) {
	env, f := diskEnv(t)
	release := make(chan struct{})
	f.block["/srv/a"] = release
	defer close(release)
	r := mustNew(t, env, "disk", "-c", "10%", "-p", "/srv/*", "-t", "20ms").Run(t.Context())
	if r.State != nagios.Critical || !strings.Contains(r.LongOutput, "UNKNOWN /srv/a did not answer in time") || !strings.Contains(r.Output, "/srv/b") {
		t.Fatalf("got %s", line(r))
	}
}

func TestParseFreeLimit(t *testing.T) {
	tests := []struct {
		in      string
		pctOnly bool
		want    freeLimit
	}{
		{"20%", false, freeLimit{true, 20}},
		{"0.5%", false, freeLimit{true, 0.5}},
		{"500MB", false, freeLimit{false, 500 << 20}},
		{"500", false, freeLimit{false, 500 << 20}},
		{"1.5GB", false, freeLimit{false, 1.5 * gib}},
		{"2T", false, freeLimit{false, 2 << 40}},
		{"100B", false, freeLimit{false, 100}},
		{"10", true, freeLimit{true, 10}},
	}
	for _, tt := range tests {
		got, err := parseFreeLimit(tt.in, tt.pctOnly)
		if err != nil || *got != tt.want {
			t.Errorf("parseFreeLimit(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "%", "-5%", "5 MB", "5mb", "x", "1e3MB"} {
		if _, err := parseFreeLimit(bad, false); err == nil {
			t.Errorf("parseFreeLimit(%q): no error", bad)
		}
	}
}

func TestHostDisksAnswers(t *testing.T) {
	parts, err := hostDisks{}.Partitions(t.Context())
	if err != nil || len(parts) == 0 {
		t.Fatalf("Partitions = %d, %v", len(parts), err)
	}
	if _, err := (hostDisks{}).Usage(t.Context(), "/nonexistent-vigil"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Usage(missing) err = %v, want ErrNotExist", err)
	}
}

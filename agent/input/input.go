package input

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigilmon/vigil/internal/model"
)

// Input reads one group of host metrics. An input that holds resources
// between cycles (open files) also implements io.Closer; Runner.Stop closes it.
type Input interface {
	// Name is the registry name of the input, e.g. "cpu". It labels the
	// input's metrics and logs.
	Name() string
	// Collect reads the input once. now is the cycle's timestamp (use it for
	// Event.Timestamp, never time.Now()). The Runner never calls Collect
	// concurrently on the same Input.
	Collect(ctx context.Context, now time.Time) ([]model.Event, error)
}

// ErrNoData is returned by an input that has nothing to report this cycle
// without anything being wrong, e.g. the first cycle of a rate-based input.
var ErrNoData = errors.New("no data")

// Options configures the inputs built by New. The zero value is valid.
type Options struct {
	Logger       *slog.Logger
	Filesystem   FilesystemOptions
	MountTimeout time.Duration // per-mount statfs timeout; 0 means 2s
}

// FilesystemOptions selects the mounts the filesystem input reports.
type FilesystemOptions struct {
	// ExcludeTypes are filesystem types never reported. nil means
	// DefaultExcludeTypes(); an empty non-nil slice excludes nothing.
	ExcludeTypes []string
	// ExcludeMountPoints are path.Match globs of mount points never reported
	// (and never statfs'ed), e.g. "/var/lib/docker/*"; as in a shell, '*'
	// does not match '/', so that pattern excludes /var/lib/docker/volumes
	// but not /var/lib/docker/volumes/x.
	ExcludeMountPoints []string
}

// DefaultExcludeTypes returns the pseudo and virtual filesystem types the
// filesystem input skips by default: their sizes say nothing about disk space
// and some (autofs) trigger mounts when stat'ed. A function, not a variable, so
// no caller can change the default for everybody.
func DefaultExcludeTypes() []string {
	return []string{
		"proc", "sysfs", "tmpfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "overlay",
		"squashfs", "securityfs", "pstore", "debugfs", "tracefs", "configfs", "fusectl",
		"mqueue", "hugetlbfs", "bpf", "autofs", "binfmt_misc", "nsfs", "rpc_pipefs",
		"ramfs", "efivarfs", "selinuxfs", "fuse.lxcfs", "fuse.portal", "nfsd",
	}
}

const defaultMountTimeout = 2 * time.Second

// Factory builds an input from the shared options.
type Factory func(Options) (Input, error)

// registry is the one package-level variable: each input file adds itself in
// init(), so adding an input is adding a file (the architecture's convention).
var registry = struct {
	sync.Mutex
	m map[string]Factory
}{m: map[string]Factory{}}

// Register makes an input available to New under name. It is meant to be called
// from init() and panics on an empty name, a nil factory or a duplicate, which
// are programming errors (like database/sql.Register).
func Register(name string, f Factory) {
	registry.Lock()
	defer registry.Unlock()
	if name == "" || f == nil {
		panic("input: Register with empty name or nil factory")
	}
	if _, dup := registry.m[name]; dup {
		panic("input: Register called twice for " + name)
	}
	registry.m[name] = f
}

// Names returns the registered input names, sorted.
func Names() []string {
	registry.Lock()
	defer registry.Unlock()
	names := make([]string, 0, len(registry.m))
	for n := range registry.m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// New builds the named inputs, in the given order. An unknown or repeated name
// is an error that lists the valid names, so a config typo is easy to fix.
func New(names []string, opts Options) ([]Input, error) {
	opts = opts.withDefaults()
	registry.Lock()
	factories := make([]Factory, len(names))
	var unknown []string
	for i, n := range names {
		f, ok := registry.m[n]
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q", n))
			continue
		}
		factories[i] = f
	}
	registry.Unlock()
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown input %s (valid: %s)",
			strings.Join(unknown, ", "), strings.Join(Names(), ", "))
	}

	inputs := make([]Input, 0, len(names))
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if seen[n] {
			closeAll(inputs)
			return nil, fmt.Errorf("input %q listed twice", n)
		}
		seen[n] = true
		o := opts
		o.Logger = opts.Logger.With("input", n)
		in, err := factories[i](o)
		if err != nil {
			closeAll(inputs)
			return nil, fmt.Errorf("create input %s: %w", n, err)
		}
		inputs = append(inputs, in)
	}
	return inputs, nil
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Filesystem.ExcludeTypes == nil {
		o.Filesystem.ExcludeTypes = DefaultExcludeTypes()
	}
	if o.MountTimeout <= 0 {
		o.MountTimeout = defaultMountTimeout
	}
	return o
}

// closeAll releases inputs that hold resources (io.Closer), e.g. the cached
// /proc file descriptors of process_summary.
func closeAll(inputs []Input) {
	for _, in := range inputs {
		if c, ok := in.(io.Closer); ok {
			_ = c.Close()
		}
	}
}

// event builds an Event with the cycle timestamp; every input goes through it
// so the unit (Unix ms) is decided once.
func event(now time.Time, dataset string, dims map[string]string, values map[string]float64) model.Event {
	return model.Event{Timestamp: now.UnixMilli(), Dataset: dataset, Dims: dims, Values: values}
}

// ratio is a/b, or 0 when b is 0, so no NaN or Inf ever reaches the wire.
func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// sub is a-b saturating at 0: kernel counters are read non-atomically and a
// "used = total - free" must not wrap around to 1.8e19.
func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// parseUint parses a decimal counter from /proc without converting the bytes
// to a string first (strconv would allocate one per field, every cycle).
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false // overflow
		}
		n = n*10 + d
	}
	return n, true
}

// Package hostinfo gathers the identity of the monitored machine (ECS host.*
// and cloud.*), once at agent start, for the header of every batch.
package hostinfo

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/vigilmon/vigil/internal/model"
)

// Options configures Gather. The zero value gathers everything but cloud.*.
type Options struct {
	// Name overrides host.name (config); default os.Hostname().
	Name string
	// IMDS enables querying the EC2 instance metadata service (IMDSv2) for
	// cloud.*.
	IMDS bool
	// IMDSEndpoint is the metadata service URL; "" means the SDK default
	// (http://169.254.169.254, or $AWS_EC2_METADATA_SERVICE_ENDPOINT).
	IMDSEndpoint string
	// IMDSTimeout bounds the whole metadata query, default 1s, so an agent
	// configured with IMDS on a non-EC2 host still starts fast.
	IMDSTimeout time.Duration
	Logger      *slog.Logger
}

const defaultIMDSTimeout = time.Second

// Gather returns what it can find out about this host. It never fails:
// missing pieces are logged at debug and left empty, and cloud is nil unless
// the metadata service answered.
func Gather(ctx context.Context, o Options) model.Host {
	return defaultSources().gather(ctx, o)
}

// sources is the outside world, as fields so tests use fixtures.
type sources struct {
	hostname func() (string, error)
	readFile func(path string) ([]byte, error)
	// machineIDPaths are tried in order: systemd's file, then the D-Bus copy
	// older or systemd-less distributions have.
	machineIDPaths []string
	osReleasePaths []string
	// system returns architecture, kernel and platform; partial answers come
	// with an error.
	system     func(ctx context.Context) (systemInfo, error)
	interfaces func() ([]netInterface, error)
}

func defaultSources() sources {
	return sources{
		hostname:       os.Hostname,
		readFile:       os.ReadFile,
		machineIDPaths: []string{"/etc/machine-id", "/var/lib/dbus/machine-id"},
		osReleasePaths: []string{"/etc/os-release", "/usr/lib/os-release"},
		system:         gopsutilSystem,
		interfaces:     netInterfaces,
	}
}

func (s sources) gather(ctx context.Context, o Options) model.Host {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var h model.Host

	hostname, err := s.hostname()
	if err != nil {
		log.Debug("no hostname", "err", err)
	}
	h.Hostname, h.Name = hostname, hostname
	if o.Name != "" {
		h.Name = o.Name
	}

	if h.ID = s.machineID(); h.ID == "" {
		log.Debug("no machine id", "paths", s.machineIDPaths)
	}

	ifs, err := s.interfaces()
	if err != nil {
		log.Debug("list network interfaces", "err", err)
	}
	h.IP = hostIPs(ifs)

	sys, err := s.system(ctx)
	if err != nil {
		log.Debug("read system information", "err", err)
	}
	h.Architecture = sys.arch
	h.OS = model.HostOS{
		Type:     sys.os,
		Family:   ecsFamily(sys.family),
		Platform: sys.platform,
		Name:     s.osName(),
		Version:  sys.version,
		Kernel:   sys.kernel,
	}
	if h.OS.Name == "" {
		h.OS.Name = sys.platform
	}

	if o.IMDS {
		h.Cloud = ec2Cloud(ctx, o, log)
	}
	return h
}

// machineID is host.id: the systemd machine ID, stable across reboots and
// network changes, unlike the hostname or boot_id.
func (s sources) machineID() string {
	for _, p := range s.machineIDPaths {
		b, err := s.readFile(p)
		if err != nil {
			continue
		}
		// An image prepared for cloning ships an empty file; try the next.
		if id := string(bytes.TrimSpace(b)); id != "" && id != "uninitialized" {
			return id
		}
	}
	return ""
}

// osName is os-release's NAME ("Ubuntu", "Amazon Linux"), the ECS
// host.os.name, which gopsutil does not report.
func (s sources) osName() string {
	for _, p := range s.osReleasePaths {
		b, err := s.readFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return ""
		}
		return parseOSRelease(b)["NAME"]
	}
	return ""
}

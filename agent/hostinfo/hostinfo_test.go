package hostinfo

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"reflect"
	"testing"

	"go.uber.org/goleak"

	"github.com/vigilmon/vigil/internal/model"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const ubuntuOSRelease = `PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
ID=ubuntu
ID_LIKE=debian
`

func fakeFiles(files map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		s, ok := files[p]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		}
		return []byte(s), nil
	}
}

func mustCIDR(s string) *net.IPNet {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	n.IP = ip
	return n
}

func fixtureSources(files map[string]string) sources {
	return sources{
		hostname:       func() (string, error) { return "web-1", nil },
		readFile:       fakeFiles(files),
		machineIDPaths: []string{"/etc/machine-id", "/var/lib/dbus/machine-id"},
		osReleasePaths: []string{"/etc/os-release", "/usr/lib/os-release"},
		system: func(context.Context) (systemInfo, error) {
			return systemInfo{os: "linux", arch: "x86_64", kernel: "6.8.0-1012-aws",
				platform: "ubuntu", family: "debian", version: "22.04"}, nil
		},
		interfaces: func() ([]netInterface, error) {
			return []netInterface{
				{flags: net.FlagUp | net.FlagLoopback, addrs: []net.Addr{mustCIDR("127.0.0.1/8"), mustCIDR("::1/128")}},
				{flags: net.FlagUp, addrs: []net.Addr{mustCIDR("10.0.1.17/24"), mustCIDR("fe80::8ff:fe12:3456/64"), mustCIDR("2a05:d018::17/128")}},
			}, nil
		},
	}
}

func TestGather(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		files map[string]string
		want  model.Host
	}{
		{
			name: "ubuntu",
			files: map[string]string{
				"/etc/machine-id": "4f1c6a7ad2f94b3c9f0a1b2c3d4e5f60\n",
				"/etc/os-release": ubuntuOSRelease,
			},
			want: model.Host{
				Name: "web-1", Hostname: "web-1", ID: "4f1c6a7ad2f94b3c9f0a1b2c3d4e5f60",
				IP: []string{"10.0.1.17", "2a05:d018::17"}, Architecture: "x86_64",
				OS: model.HostOS{Type: "linux", Family: "debian", Platform: "ubuntu", Name: "Ubuntu", Version: "22.04", Kernel: "6.8.0-1012-aws"},
			},
		},
		{
			// Name from the config; machine-id empty in /etc (image being
			// cloned) so the D-Bus copy is used; os-release only under /usr/lib.
			name: "fallbacks",
			opts: Options{Name: "db-primary.example.com"},
			files: map[string]string{
				"/etc/machine-id":          "\n",
				"/var/lib/dbus/machine-id": "0123456789abcdef0123456789abcdef\n",
				"/usr/lib/os-release":      `NAME="Amazon Linux"` + "\n",
			},
			want: model.Host{
				Name: "db-primary.example.com", Hostname: "web-1", ID: "0123456789abcdef0123456789abcdef",
				IP: []string{"10.0.1.17", "2a05:d018::17"}, Architecture: "x86_64",
				OS: model.HostOS{Type: "linux", Family: "debian", Platform: "ubuntu", Name: "Amazon Linux", Version: "22.04", Kernel: "6.8.0-1012-aws"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fixtureSources(tt.files).gather(context.Background(), tt.opts)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("gather =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// Every source failing still gives a Host, with the pieces known.
func TestGatherNothingWorks(t *testing.T) {
	boom := errors.New("boom")
	s := sources{
		hostname:       func() (string, error) { return "", boom },
		readFile:       fakeFiles(nil),
		machineIDPaths: []string{"/etc/machine-id"},
		osReleasePaths: []string{"/etc/os-release"},
		system: func(context.Context) (systemInfo, error) {
			return systemInfo{os: "linux", family: "rhel", platform: "rocky"}, boom
		},
		interfaces: func() ([]netInterface, error) { return nil, boom },
	}
	got := s.gather(context.Background(), Options{Logger: slog.New(slog.DiscardHandler)})
	want := model.Host{OS: model.HostOS{Type: "linux", Family: "redhat", Platform: "rocky", Name: "rocky"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("gather = %+v, want %+v", got, want)
	}
}

func TestParseOSRelease(t *testing.T) {
	in := `# comment
NAME="Red Hat Enterprise Linux"
VERSION='9.3 (Plow)'
ID=rhel
QUOTED="a \"b\" \$c \\ d"

BROKEN
EMPTY=
`
	want := map[string]string{
		"NAME": "Red Hat Enterprise Linux", "VERSION": "9.3 (Plow)", "ID": "rhel",
		"QUOTED": `a "b" $c \ d`, "EMPTY": "",
	}
	if got := parseOSRelease([]byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("parseOSRelease = %q, want %q", got, want)
	}
}

func TestHostIPs(t *testing.T) {
	tests := []struct {
		name string
		ifs  []netInterface
		want []string
	}{
		{name: "none", ifs: nil, want: nil},
		{
			name: "down and loopback skipped",
			ifs: []netInterface{
				{flags: 0, addrs: []net.Addr{mustCIDR("192.168.5.5/24")}},
				{flags: net.FlagUp | net.FlagLoopback, addrs: []net.Addr{mustCIDR("127.0.0.1/8")}},
				{flags: net.FlagUp, addrs: []net.Addr{mustCIDR("172.31.4.9/20")}},
			},
			want: []string{"172.31.4.9"},
		},
		{
			name: "link-local and duplicates skipped",
			ifs: []netInterface{
				{flags: net.FlagUp, addrs: []net.Addr{mustCIDR("169.254.3.1/16"), mustCIDR("fe80::1/64"), mustCIDR("10.1.1.1/8")}},
				{flags: net.FlagUp, addrs: []net.Addr{&net.IPAddr{IP: net.ParseIP("10.1.1.1")}, &net.IPAddr{IP: net.ParseIP("2001:db8::5")}}},
			},
			want: []string{"10.1.1.1", "2001:db8::5"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hostIPs(tt.ifs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("hostIPs = %v, want %v", got, tt.want)
			}
		})
	}
}

// The real machine: whatever runs the tests has a hostname and a kernel.
func TestGatherReal(t *testing.T) {
	h := Gather(context.Background(), Options{})
	if h.Name == "" || h.Hostname == "" || h.OS.Type == "" || h.OS.Kernel == "" || h.Architecture == "" {
		t.Errorf("Gather() = %+v", h)
	}
	if h.Cloud != nil {
		t.Errorf("cloud without IMDS enabled: %+v", h.Cloud)
	}
}

package input

import (
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestNames(t *testing.T) {
	want := []string{"cpu", "diskio", "filesystem", "load", "memory", "network", "process_summary", "uptime"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		names   []string
		opts    Options
		wantErr string // substring; "" means success
	}{
		{name: "all", names: Names()},
		{name: "none", names: nil},
		{name: "unknown lists valid names", names: []string{"cpu", "cpux"},
			wantErr: `unknown input "cpux" (valid: cpu, diskio, filesystem, load, memory, network, process_summary, uptime)`},
		{name: "duplicate", names: []string{"load", "load"}, wantErr: `input "load" listed twice`},
		{name: "bad glob", names: []string{"filesystem"},
			opts:    Options{Filesystem: FilesystemOptions{ExcludeMountPoints: []string{"/mnt/["}}},
			wantErr: `create input filesystem: check exclude_mount_points pattern "/mnt/["`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inputs, err := New(tt.names, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New(%v) error = %v, want it to contain %q", tt.names, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%v): %v", tt.names, err)
			}
			defer closeAll(inputs)
			var got []string
			for _, in := range inputs {
				got = append(got, in.Name())
			}
			if !slices.Equal(got, tt.names) {
				t.Errorf("input names = %v, want %v", got, tt.names)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	inputs, err := New([]string{"filesystem"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := inputs[0].(*filesystemInput)
	if f.timeout != defaultMountTimeout {
		t.Errorf("mount timeout = %v, want %v", f.timeout, defaultMountTimeout)
	}
	for _, typ := range []string{"tmpfs", "overlay", "nfsd", "fuse.lxcfs"} {
		if !f.excludeTypes[typ] {
			t.Errorf("type %s not excluded by default", typ)
		}
	}
	// An explicit empty list means "exclude nothing", not "the default".
	inputs, err = New([]string{"filesystem"}, Options{Filesystem: FilesystemOptions{ExcludeTypes: []string{}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(inputs[0].(*filesystemInput).excludeTypes); n != 0 {
		t.Errorf("explicit empty ExcludeTypes excluded %d types", n)
	}
}

func TestRegisterDuplicatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering cpu twice did not panic")
		}
	}()
	Register("cpu", newCPU)
}

func TestParseUint(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"1234", 1234, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false}, // overflows
		{"", 0, false},
		{"-1", 0, false},
		{"12a", 0, false},
		{"self", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseUint([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseUint(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

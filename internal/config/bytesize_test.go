package config

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want ByteSize
	}{
		{"0", 0},
		{"1024", 1024},
		{"512KiB", 512 << 10},
		{"256MiB", 256 << 20},
		{"256 MiB", 256 << 20},
		{"1GiB", 1 << 30},
		{"1gib", 1 << 30},
		{"1.5GiB", 3 << 29},
		{"100MB", 100_000_000},
		{"2kb", 2000},
		{"10B", 10},
		{"7EiB", 7 << 60},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseByteSize(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseByteSize(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
			}
		})
	}
	for _, in := range []string{"", "MiB", "-1MiB", "1..5MiB", "12 parsecs", "1G", "1m", "8EiB", "99999999999999999999", "1e6", "0x10"} {
		t.Run("bad "+in, func(t *testing.T) {
			if got, err := ParseByteSize(in); err == nil {
				t.Errorf("ParseByteSize(%q) = %d, want an error", in, got)
			}
		})
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		in   ByteSize
		want string
	}{
		{0, "0B"}, {1, "1B"}, {1500, "1500B"}, {2000, "2KB"}, {KiB, "1KiB"},
		{256 * MiB, "256MiB"}, {100 * MB, "100MB"}, {3 * GiB / 2, "1536MiB"}, {-5, "-5B"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if tt.in < 0 {
				return
			}
			back, err := ParseByteSize(tt.in.String())
			if err != nil || back != tt.in {
				t.Errorf("ParseByteSize(String()) = %d, %v, want %d", back, err, tt.in)
			}
		})
	}
}

func TestByteSizeYAML(t *testing.T) {
	type doc struct {
		Size ByteSize `yaml:"size"`
	}
	tests := []struct {
		in      string
		want    ByteSize
		wantErr string
	}{
		{"size: 4096", 4096, ""},
		{"size: 0x10", 16, ""},
		{"size: 64MiB", 64 * MiB, ""},
		{`size: "1GB"`, GB, ""},
		{"size:", 7, ""}, // null keeps the default
		{"size: -1", 0, "f.yaml:1:7: size: size -1 must not be negative"},
		{"size: 1.5", 0, `f.yaml:1:7: size: expected a size such as "256MiB", got 1.5`},
		{"size: [1]", 0, `f.yaml:1:7: size: expected a size such as "256MiB", got [1]`},
		{"size: lots", 0, `f.yaml:1:7: size: invalid size "lots": use a number of bytes or a number and a unit, such as "512KiB", "256MiB" or "100MB"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d := doc{Size: 7}
			err := Parse("f.yaml", []byte(tt.in), &d)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("Parse = %v, want %s", err, tt.wantErr)
			case tt.wantErr == "" && d.Size != tt.want:
				t.Errorf("size = %d, want %d", d.Size, tt.want)
			}
		})
	}
	out, err := yaml.Marshal(doc{Size: 256 * MiB})
	if err != nil || strings.TrimSpace(string(out)) != "size: 256MiB" {
		t.Errorf("Marshal = %q, %v, want size: 256MiB", out, err)
	}
}

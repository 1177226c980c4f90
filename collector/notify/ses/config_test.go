package ses

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/config"
)

const testSecret = "wJalrXUtnFEMI-K7MDENG-s3cret"

func TestConfigDefaults(t *testing.T) {
	var file struct {
		Receivers []Config `yaml:"receivers"`
	}
	data := "receivers:\n  - from: vigil@example.com\n    to: [ops@example.com]\n"
	if err := config.Parse("collector.yaml", []byte(data), &file); err != nil {
		t.Fatal(err)
	}
	if got := file.Receivers[0]; got.MaxSendRate != 1 || got.Timeout != 30*time.Second {
		t.Errorf("defaults: max_send_rate %v timeout %v; want 1 (the sandbox rate) and 30s", got.MaxSendRate, got.Timeout)
	}
	bad := "receivers:\n  - from: vigil@example.com\n    to: [ops@example.com]\n    max_send_rate: 0.5\n    rgion: eu-west-1\n"
	if err := config.Parse("collector.yaml", []byte(bad), &file); err == nil || !strings.Contains(err.Error(), "collector.yaml:5:5") {
		t.Errorf("unknown key: err %v, want it reported at 5:5", err)
	}
}

func TestValidate(t *testing.T) {
	valid := func() Config {
		c := defaultConfig()
		c.From, c.To = "Vigil <vigil@example.com>", []string{"ops@example.com"}
		return c
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"valid", func(*Config) {}, nil},
		{"valid static keys and endpoint", func(c *Config) {
			c.AccessKeyID, c.SecretAccessKey, c.Endpoint, c.Region = "AKIAFAKE", testSecret, "https://vpce.example.com", "eu-west-1"
		}, nil},
		{"missing addresses", func(c *Config) { c.From, c.To = "", nil }, []string{"from: required", "to: required"}},
		{"bad addresses", func(c *Config) { c.From, c.To = "nobody", []string{"a@@b"} }, []string{"from: not an email address", "to[0]: not an email address"}},
		{"bad endpoint", func(c *Config) { c.Endpoint = "127.0.0.1:8005" }, []string{"endpoint: must be an http or https URL"}},
		{"key id without secret", func(c *Config) { c.AccessKeyID = "AKIAFAKE" }, []string{"secret_access_key: required with access_key_id"}},
		{"secret without key id", func(c *Config) { c.SecretAccessKey = testSecret }, []string{"access_key_id: required"}},
		{"two secrets", func(c *Config) {
			c.AccessKeyID, c.SecretAccessKey, c.SecretAccessKeyFile = "AKIAFAKE", testSecret, "/s"
		},
			[]string{"secret_access_key: set only one"}},
		{"profile and keys", func(c *Config) { c.Profile, c.AccessKeyID, c.SecretAccessKey = "p", "AKIAFAKE", testSecret },
			[]string{"profile: set either profile or access_key_id"}},
		{"zero rate", func(c *Config) { c.MaxSendRate = 0 }, []string{"max_send_rate: must be a positive"}},
		{"NaN rate", func(c *Config) { c.MaxSendRate = math.NaN() }, []string{"max_send_rate: must be a positive"}},
		{"zero timeout", func(c *Config) { c.Timeout = 0 }, []string{"timeout: must be positive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			var got []string
			for _, e := range c.Validate() {
				got = append(got, e.Path+": "+e.Msg)
			}
			all := strings.Join(got, "\n")
			if len(got) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tt.want), all)
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("errors lack %q:\n%s", w, all)
				}
			}
			if strings.Contains(all, testSecret) {
				t.Errorf("errors quote the secret key:\n%s", all)
			}
		})
	}
}

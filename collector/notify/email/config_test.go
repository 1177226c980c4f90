package email

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/config"
)

const testPassword = "hunter2-s3cret"

func TestConfigDefaults(t *testing.T) {
	var file struct {
		Receivers []Config `yaml:"receivers"`
	}
	data := "receivers:\n  - smarthost: mail.example.com:25\n    from: vigil@example.com\n    to: [ops@example.com]\n"
	if err := config.Parse("collector.yaml", []byte(data), &file); err != nil {
		t.Fatal(err)
	}
	got := file.Receivers[0]
	if got.TLS != TLSStartTLS || got.Auth != AuthNone || got.Timeout != 10*time.Second {
		t.Errorf("defaults: tls %q auth %q timeout %v; want starttls, none, 10s", got.TLS, got.Auth, got.Timeout)
	}
	if d := got.domain(); d != "example.com" {
		t.Errorf("domain = %q, want From's domain", d)
	}
}

func TestConfigStrict(t *testing.T) {
	var file struct {
		Receivers []Config `yaml:"receivers"`
	}
	data := "receivers:\n  - smarthost: mail.example.com:25\n    from: vigil@example.com\n    to: [ops@example.com]\n    startls: true\n"
	err := config.Parse("collector.yaml", []byte(data), &file)
	if err == nil || !strings.Contains(err.Error(), "collector.yaml:5:5") {
		t.Fatalf("unknown key: err %v, want it reported at 5:5", err)
	}
}

func validConfig() Config {
	c := defaultConfig()
	c.Smarthost = "mail.example.com:587"
	c.From = "Vigil <vigil@example.com>"
	c.To = []string{"ops@example.com", "Oncall <oncall@example.com>"}
	return c
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   []string // "path: message fragment"; none means valid
	}{
		{"valid", func(*Config) {}, nil},
		{"valid auth", func(c *Config) { c.Auth, c.Username, c.Password = AuthLogin, "u", testPassword }, nil},
		{"valid plain to localhost without TLS", func(c *Config) {
			c.Smarthost, c.TLS, c.Auth, c.Username, c.Password = "127.0.0.1:25", TLSNone, AuthPlain, "u", testPassword
		}, nil},
		{"valid IPv6 smarthost", func(c *Config) { c.Smarthost = "[2001:db8::1]:465"; c.TLS = TLSImplicit }, nil},
		{"missing everything", func(c *Config) { c.Smarthost, c.From, c.To = "", "", nil }, []string{
			"smarthost: required", "from: required", "to: required"}},
		{"bad addresses", func(c *Config) {
			c.Smarthost, c.From, c.To = "mail.example.com", "nobody", []string{"ok@example.com", "a@@b"}
		}, []string{
			"smarthost: must be host:port", "from: not an email address", "to[1]: not an email address"}},
		{"bad port", func(c *Config) { c.Smarthost = "mail.example.com:smtp" }, []string{"smarthost: port must be a number"}},
		{"unknown modes", func(c *Config) { c.TLS, c.Auth = "ssl", "xoauth" }, []string{
			`tls: must be none, starttls or implicit, got "ssl"`, `auth: must be none, plain, login or cram-md5, got "xoauth"`}},
		{"tls options without tls", func(c *Config) { c.TLS, c.CAFile, c.InsecureSkipVerify = TLSNone, "/ca.pem", true }, []string{
			"ca_file: has no effect", "insecure_skip_verify: has no effect"}},
		{"password without auth", func(c *Config) { c.Username, c.Password = "u", testPassword }, []string{"auth: is none, but username or password is set"}},
		{"auth without credentials", func(c *Config) { c.Auth = AuthPlain }, []string{"username: required", "password: required"}},
		{"two passwords", func(c *Config) { c.Auth, c.Username, c.Password, c.PasswordFile = AuthCRAMMD5, "u", testPassword, "/p" },
			[]string{"password: set only one"}},
		{"clear-text password to a remote host", func(c *Config) {
			c.TLS, c.Auth, c.Username, c.Password = TLSNone, AuthPlain, "u", testPassword
		}, []string{"auth: plain sends the password in clear text"}},
		{"zero timeout", func(c *Config) { c.Timeout = 0 }, []string{"timeout: must be positive"}},
		{"bad headers", func(c *Config) {
			c.Headers = map[string]string{"Bad Name": "x", "Message-ID": "<x@y>", "X-Team": "a\r\nBcc: evil@example.com"}
		}, []string{"headers.Bad Name: not a valid header name", "headers.Message-ID: is set by vigil", "headers.X-Team: value must be one line"}},
		{"bad domain", func(c *Config) { c.Domain = "vigil@example.com" }, []string{"domain: must be a domain name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
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
			if strings.Contains(all, testPassword) {
				t.Errorf("errors quote the password:\n%s", all)
			}
		})
	}
}

func TestNewRefusesInvalidConfigWithoutQuotingThePassword(t *testing.T) {
	c := validConfig()
	c.Password = testPassword // auth is none: invalid
	_, err := New(c, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "invalid email config: auth:") {
		t.Fatalf("New: %v, want an invalid-config error", err)
	}
	if strings.Contains(err.Error(), testPassword) || strings.Contains(fmt.Sprintf("%+v %#v", c, c), testPassword) {
		t.Errorf("password leaked: %v", err)
	}
}

func TestNewReadsFiles(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"missing password file", func(c *Config) { c.Auth, c.Username, c.PasswordFile = AuthPlain, "u", filepath.Join(dir, "nope") }, "password_file"},
		{"empty password file", func(c *Config) { c.Auth, c.Username, c.PasswordFile = AuthPlain, "u", empty }, "is empty"},
		{"missing ca file", func(c *Config) { c.CAFile = filepath.Join(dir, "nope.pem") }, "read ca_file"},
		{"ca file without certificates", func(c *Config) { c.CAFile = empty }, "no PEM certificates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(&c)
			if _, err := New(c, testTemplates, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

package email

import (
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/config"
)

// TLS modes.
const (
	// TLSNone speaks plain SMTP (a relay on localhost or in a trusted subnet).
	TLSNone = "none"
	// TLSStartTLS requires STARTTLS: a server that does not offer it is an
	// error, never a silent fall-back to clear text.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, usually port 465).
	TLSImplicit = "implicit"
)

// SMTP AUTH mechanisms.
const (
	AuthNone    = "none"
	AuthPlain   = "plain"
	AuthLogin   = "login"
	AuthCRAMMD5 = "cram-md5"
)

// Config is one email receiver: where to deliver (a smarthost), as whom, and
// to whom.
type Config struct {
	// Smarthost is the SMTP server, host:port.
	Smarthost string   `yaml:"smarthost"`
	From      string   `yaml:"from"`
	To        []string `yaml:"to"`
	// Hello is the name sent in EHLO; empty means this machine's hostname.
	Hello string `yaml:"hello"`

	TLS string `yaml:"tls"`
	// CAFile is a PEM bundle trusted instead of the system roots.
	CAFile             string `yaml:"ca_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`

	Auth     string `yaml:"auth"`
	Username string `yaml:"username"`
	// Password comes from exactly one of password and password_file when
	// auth is not none.
	Password     config.Secret `yaml:"password"`
	PasswordFile string        `yaml:"password_file"`

	// Timeout bounds connecting and each SMTP command.
	Timeout time.Duration `yaml:"timeout"`
	// Headers are added to every message.
	Headers map[string]string `yaml:"headers"`
	// Domain is the right-hand side of the Message-IDs; it defaults to the
	// domain of From.
	Domain string `yaml:"domain"`
}

func defaultConfig() Config {
	return Config{TLS: TLSStartTLS, Auth: AuthNone, Timeout: 10 * time.Second}
}

// UnmarshalYAML fills in the defaults for keys the file leaves out.
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	type plain Config
	p := plain(defaultConfig())
	if err := unmarshal(&p); err != nil {
		return err
	}
	*c = Config(p)
	return nil
}

// reservedHeaders are set by the notifier itself; headers may not replace
// them (a second From or Message-ID would break delivery or threading).
var reservedHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true, "date": true,
	"message-id": true, "in-reply-to": true, "references": true, "mime-version": true,
	"content-type": true, "content-transfer-encoding": true,
	"x-vigil-alert-id": true, "x-vigil-status": true,
}

// Validate reports every problem with c. Messages never quote the password.
func (c *Config) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	host, err := splitSmarthost(c.Smarthost)
	switch {
	case c.Smarthost == "":
		add("smarthost", "required (host:port of the SMTP server)")
	case err != nil:
		add("smarthost", "%v", err)
	}
	if c.From == "" {
		add("from", "required")
	} else if _, err := mail.ParseAddress(c.From); err != nil {
		add("from", "not an email address: %v", err)
	}
	if len(c.To) == 0 {
		add("to", "required: at least one address")
	}
	for i, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
			add(fmt.Sprintf("to[%d]", i), "not an email address: %v", err)
		}
	}
	switch c.TLS {
	case TLSNone:
		if c.CAFile != "" {
			add("ca_file", "has no effect with tls: none")
		}
		if c.InsecureSkipVerify {
			add("insecure_skip_verify", "has no effect with tls: none")
		}
	case TLSStartTLS, TLSImplicit:
	default:
		add("tls", "must be none, starttls or implicit, got %q", c.TLS)
	}
	c.validateAuth(host, add)
	if c.Timeout <= 0 {
		add("timeout", "must be positive")
	}
	for name, value := range c.Headers {
		path := "headers." + name
		switch {
		case !validHeaderName(name):
			add(path, "not a valid header name")
		case reservedHeaders[strings.ToLower(name)]:
			add(path, "is set by vigil and cannot be overridden")
		case strings.ContainsAny(value, "\r\n"):
			add(path, "value must be one line")
		}
	}
	if c.Domain != "" && (strings.ContainsAny(c.Domain, "@<> \t") || strings.Trim(c.Domain, ".") == "") {
		add("domain", "must be a domain name, got %q", c.Domain)
	}
	return errs
}

func (c *Config) validateAuth(host string, add func(path, format string, args ...any)) {
	switch c.Auth {
	case AuthNone:
		if c.Username != "" || c.Password != "" || c.PasswordFile != "" {
			add("auth", "is none, but username or password is set: name the mechanism (plain, login or cram-md5)")
		}
		return
	case AuthPlain, AuthLogin:
		// PLAIN and LOGIN send the password as it is. go-mail refuses
		// that without TLS except to localhost; say so here rather than
		// at the first alert.
		if c.TLS == TLSNone && !isLoopback(host) {
			add("auth", "%s sends the password in clear text: use tls: starttls or implicit", c.Auth)
		}
	case AuthCRAMMD5:
	default:
		add("auth", "must be none, plain, login or cram-md5, got %q", c.Auth)
		return
	}
	if c.Username == "" {
		add("username", "required with auth: %s", c.Auth)
	}
	switch {
	case c.Password == "" && c.PasswordFile == "":
		add("password", "required with auth: %s (or password_file)", c.Auth)
	case c.Password != "" && c.PasswordFile != "":
		add("password", "set only one of password and password_file")
	}
}

// splitSmarthost returns the host of a host:port smarthost.
func splitSmarthost(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("must be host:port: %w", err)
	}
	if host == "" {
		return "", fmt.Errorf("must be host:port: host is empty")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("port must be a number from 1 to 65535, got %q", port)
	}
	return host, nil
}

// isLoopback matches the hosts go-mail lets PLAIN and LOGIN reach without
// TLS.
func isLoopback(host string) bool { return host == "localhost" || host == "127.0.0.1" }

// validHeaderName reports whether name is an RFC 5322 field name: printable
// ASCII without colon or space.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r < 33 || r > 126 || r == ':' {
			return false
		}
	}
	return true
}

// password returns the password from wherever the config says it is.
func (c *Config) password() (config.Secret, error) {
	if c.PasswordFile == "" {
		return c.Password, nil
	}
	p, err := config.ReadSecretFile(c.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("password_file: %w", err)
	}
	return p, nil
}

// domain is the right-hand side of Message-IDs: Domain, else From's domain.
func (c *Config) domain() string {
	if c.Domain != "" {
		return c.Domain
	}
	addr, err := mail.ParseAddress(c.From)
	if err != nil {
		return "localhost"
	}
	if _, d, ok := strings.Cut(addr.Address, "@"); ok && d != "" {
		return d
	}
	return "localhost"
}

package webhook

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/config"
)

// Config is one webhook receiver. The URL comes from exactly one of url and
// url_file; the HMAC secret, when wanted, from one of hmac_secret and
// hmac_secret_file.
type Config struct {
	// URL is where the JSON is posted. It is a Secret, as in Alertmanager,
	// because many endpoints carry a token in the path or query; only its
	// scheme and host are ever logged.
	URL            config.Secret `yaml:"url"`
	URLFile        string        `yaml:"url_file"`
	HMACSecret     config.Secret `yaml:"hmac_secret"`
	HMACSecretFile string        `yaml:"hmac_secret_file"`
	// Headers are added to every request. Their values are Secrets because
	// they often hold an API token.
	Headers map[string]config.Secret `yaml:"headers"`
	// MaxAlerts caps the alerts listed in one message (0 = all); the number
	// left out is sent as truncated_alerts.
	MaxAlerts int           `yaml:"max_alerts"`
	Timeout   time.Duration `yaml:"timeout"`
}

// reservedHeaders are set by the notifier or by net/http and cannot be
// configured.
var reservedHeaders = []string{"Content-Type", "Content-Length", "Host", "Transfer-Encoding", "Connection", SignatureHeader}

func defaultConfig() Config {
	return Config{Timeout: 10 * time.Second}
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

// Validate reports every problem with c. Messages never quote secrets: not
// the HMAC secret, not header values, not the URL's path.
func (c *Config) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case c.URL == "" && c.URLFile == "":
		add("url", "required (or url_file)")
	case c.URL != "" && c.URLFile != "":
		add("url", "set only one of url and url_file")
	case c.URL != "":
		if err := checkURL(c.URL.Reveal()); err != nil {
			add("url", "%v", err)
		}
	}
	if c.HMACSecret != "" && c.HMACSecretFile != "" {
		add("hmac_secret", "set only one of hmac_secret and hmac_secret_file")
	}
	names := make([]string, 0, len(c.Headers))
	for name := range c.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch {
		case !validHeaderName(name):
			add("headers", "%q is not a valid header name", name)
		case isReserved(name):
			add("headers."+name, "is set by vigil and cannot be configured")
		case strings.ContainsAny(c.Headers[name].Reveal(), "\r\n\x00"):
			add("headers."+name, "value must not contain line breaks or NUL")
		}
	}
	if c.MaxAlerts < 0 {
		add("max_alerts", "must be 0 (all) or more, got %d", c.MaxAlerts)
	}
	if c.Timeout <= 0 {
		add("timeout", "must be positive")
	}
	return errs
}

// url returns the URL from wherever the config says it is.
func (c *Config) url() (string, error) {
	if c.URLFile == "" {
		return c.URL.Reveal(), nil
	}
	s, err := config.ReadSecretFile(c.URLFile)
	if err != nil {
		return "", fmt.Errorf("url_file: %w", err)
	}
	if err := checkURL(s.Reveal()); err != nil {
		return "", fmt.Errorf("url_file %s: %w", c.URLFile, err)
	}
	return s.Reveal(), nil
}

// checkURL accepts http and https URLs with a host. Its error does not quote
// the URL.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an http or https URL")
	}
	return nil
}

// hmacSecret returns the secret from wherever the config says it is, "" for none.
func (c *Config) hmacSecret() (config.Secret, error) {
	if c.HMACSecretFile == "" {
		return c.HMACSecret, nil
	}
	s, err := config.ReadSecretFile(c.HMACSecretFile)
	if err != nil {
		return "", fmt.Errorf("hmac_secret_file: %w", err)
	}
	return s, nil
}

func isReserved(name string) bool {
	for _, r := range reservedHeaders {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if !isTokenChar(c) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

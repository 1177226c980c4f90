package pagerduty

import (
	"fmt"
	"net/url"
	"time"

	"github.com/vigilmon/vigil/internal/config"
)

// DefaultURL is the Events API v2 endpoint. EU accounts use
// https://events.eu.pagerduty.com/v2/enqueue.
const DefaultURL = "https://events.pagerduty.com/v2/enqueue"

// routingKeyLen is the length of an Events API v2 integration key; PagerDuty
// refuses every other length, so a wrong one is caught at -check-config.
const routingKeyLen = 32

// Config is one PagerDuty receiver. The routing key comes from exactly one of
// routing_key and routing_key_file.
type Config struct {
	URL            string        `yaml:"url"`
	RoutingKey     config.Secret `yaml:"routing_key"`
	RoutingKeyFile string        `yaml:"routing_key_file"`
	// Client and ClientURL name the sender in the PagerDuty UI; ClientURL
	// defaults to the collector's external URL.
	Client    string        `yaml:"client"`
	ClientURL string        `yaml:"client_url"`
	Timeout   time.Duration `yaml:"timeout"`
}

func defaultConfig() Config {
	return Config{URL: DefaultURL, Client: "Vigil", Timeout: 10 * time.Second}
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

// Validate reports every problem with c. Messages never quote the key.
func (c *Config) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if !isHTTPURL(c.URL) {
		add("url", "must be an http or https URL, got %q", c.URL)
	}
	switch {
	case c.RoutingKey == "" && c.RoutingKeyFile == "":
		add("routing_key", "required (or routing_key_file)")
	case c.RoutingKey != "" && c.RoutingKeyFile != "":
		add("routing_key", "set only one of routing_key and routing_key_file")
	case c.RoutingKey != "" && len(c.RoutingKey.Reveal()) != routingKeyLen:
		add("routing_key", "must be the %d-character integration key, got %d characters",
			routingKeyLen, len(c.RoutingKey.Reveal()))
	}
	if c.ClientURL != "" && !isHTTPURL(c.ClientURL) {
		add("client_url", "must be an http or https URL, got %q", c.ClientURL)
	}
	if c.Timeout <= 0 {
		add("timeout", "must be positive")
	}
	return errs
}

// routingKey returns the key from wherever the config says it is.
func (c *Config) routingKey() (config.Secret, error) {
	if c.RoutingKey != "" {
		return c.RoutingKey, nil
	}
	key, err := config.ReadSecretFile(c.RoutingKeyFile)
	if err != nil {
		return "", fmt.Errorf("routing_key_file: %w", err)
	}
	if n := len(key.Reveal()); n != routingKeyLen {
		return "", fmt.Errorf("routing_key_file %s: want the %d-character integration key, got %d characters",
			c.RoutingKeyFile, routingKeyLen, n)
	}
	return key, nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

package ses

import (
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"time"

	"github.com/vigilmon/vigil/internal/config"
)

// Config is one Amazon SES receiver. Credentials and region come from the
// AWS default chain (environment, shared config and credentials files, web
// identity, container or EC2 instance role via IMDSv2) unless set here.
type Config struct {
	// Region is the SES region; empty means AWS_REGION or the profile's.
	Region string   `yaml:"region"`
	From   string   `yaml:"from"`
	To     []string `yaml:"to"`
	// Endpoint replaces the SES endpoint URL (a VPC endpoint, or a local
	// SES for tests).
	Endpoint         string `yaml:"endpoint"`
	ConfigurationSet string `yaml:"configuration_set"`
	// Profile is a profile of the shared AWS config files.
	Profile string `yaml:"profile"`
	// AccessKeyID and the secret key (from exactly one of
	// secret_access_key and secret_access_key_file) are static
	// credentials, instead of the default chain.
	AccessKeyID         string        `yaml:"access_key_id"`
	SecretAccessKey     config.Secret `yaml:"secret_access_key"`
	SecretAccessKeyFile string        `yaml:"secret_access_key_file"`
	// MaxSendRate is how many messages per second this receiver sends at
	// most; SES throttles above the account's rate (1/s in the sandbox).
	MaxSendRate float64 `yaml:"max_send_rate"`
	// Timeout bounds one notification: waiting for the send rate and every
	// attempt of the API call.
	Timeout time.Duration `yaml:"timeout"`
}

func defaultConfig() Config {
	return Config{MaxSendRate: 1, Timeout: 30 * time.Second}
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

// Validate reports every problem with c. Messages never quote the secret key.
func (c *Config) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if c.From == "" {
		add("from", "required (an identity verified in SES)")
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
	if c.Endpoint != "" {
		if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("endpoint", "must be an http or https URL, got %q", c.Endpoint)
		}
	}
	hasSecret := c.SecretAccessKey != "" || c.SecretAccessKeyFile != ""
	switch {
	case c.SecretAccessKey != "" && c.SecretAccessKeyFile != "":
		add("secret_access_key", "set only one of secret_access_key and secret_access_key_file")
	case c.AccessKeyID != "" && !hasSecret:
		add("secret_access_key", "required with access_key_id (or secret_access_key_file)")
	case c.AccessKeyID == "" && hasSecret:
		add("access_key_id", "required with secret_access_key")
	}
	if c.Profile != "" && c.AccessKeyID != "" {
		add("profile", "set either profile or access_key_id, not both")
	}
	if !(c.MaxSendRate > 0) || math.IsInf(c.MaxSendRate, 0) {
		add("max_send_rate", "must be a positive number of messages per second")
	}
	if c.Timeout <= 0 {
		add("timeout", "must be positive")
	}
	return errs
}

// secretKey returns the secret key from wherever the config says it is.
func (c *Config) secretKey() (config.Secret, error) {
	if c.SecretAccessKeyFile == "" {
		return c.SecretAccessKey, nil
	}
	s, err := config.ReadSecretFile(c.SecretAccessKeyFile)
	if err != nil {
		return "", fmt.Errorf("secret_access_key_file: %w", err)
	}
	return s, nil
}

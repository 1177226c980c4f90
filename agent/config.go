package main

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vigilmon/vigil/agent/checkrun"
	"github.com/vigilmon/vigil/agent/input"
	"github.com/vigilmon/vigil/agent/nrpe"
	"github.com/vigilmon/vigil/checks"
	"github.com/vigilmon/vigil/internal/config"
	"github.com/vigilmon/vigil/internal/logging"
)

// Config is agent.yaml. Defaults are those of defaultConfig; configs/agent.yaml
// documents every key.
type Config struct {
	Interval     time.Duration    `yaml:"interval"`
	Jitter       time.Duration    `yaml:"jitter"`
	InputTimeout time.Duration    `yaml:"input_timeout"`
	Inputs       []string         `yaml:"inputs"`
	Filesystem   FilesystemConfig `yaml:"filesystem"`
	Host         HostConfig       `yaml:"host"`
	Collector    CollectorConfig  `yaml:"collector"`
	Spool        SpoolConfig      `yaml:"spool"`
	// MetricsListen is the address of the agent's own /metrics; "" turns it off.
	MetricsListen string         `yaml:"metrics_listen"`
	Log           logging.Config `yaml:"log"`
	// ShutdownTimeout bounds how long SIGTERM waits to deliver spooled batches.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// Checks are Nagios plugins and built-in checks run on schedule.
	Checks []checkrun.CheckConfig `yaml:"checks"`
	// CheckConcurrency bounds the checks running at once.
	CheckConcurrency int `yaml:"check_concurrency"`
	// NRPE, when present, serves the checks to check_nrpe.
	NRPE *nrpe.Config `yaml:"nrpe"`
}

// FilesystemConfig selects the mounts the filesystem input reports.
type FilesystemConfig struct {
	ExcludeTypes       []string      `yaml:"exclude_types"`
	ExcludeMountPoints []string      `yaml:"exclude_mount_points"`
	MountTimeout       time.Duration `yaml:"mount_timeout"`
}

// HostConfig is the host identity.
type HostConfig struct {
	Name         string        `yaml:"name"`
	IMDS         bool          `yaml:"imds"`
	IMDSEndpoint string        `yaml:"imds_endpoint"`
	IMDSTimeout  time.Duration `yaml:"imds_timeout"`
}

// CollectorConfig says where and how batches are shipped. The token comes from
// exactly one of token, token_file, token_env.
type CollectorConfig struct {
	URL                string        `yaml:"url"`
	Token              config.Secret `yaml:"token"`
	TokenFile          string        `yaml:"token_file"`
	TokenEnv           string        `yaml:"token_env"`
	CAFile             string        `yaml:"ca_file"`
	InsecureSkipVerify bool          `yaml:"insecure_skip_verify"`
	Timeout            time.Duration `yaml:"timeout"`
	MinBackoff         time.Duration `yaml:"min_backoff"`
	MaxBackoff         time.Duration `yaml:"max_backoff"`
}

// SpoolConfig is the on-disk buffer.
type SpoolConfig struct {
	Dir        string          `yaml:"dir"`
	MaxBytes   config.ByteSize `yaml:"max_bytes"`
	MaxPending int             `yaml:"max_pending"`
}

func defaultConfig() Config {
	return Config{
		Interval:     10 * time.Second,
		Jitter:       time.Second,
		InputTimeout: 5 * time.Second,
		Inputs:       input.Names(),
		Filesystem:   FilesystemConfig{MountTimeout: 2 * time.Second},
		Host:         HostConfig{IMDS: true, IMDSTimeout: time.Second},
		Collector: CollectorConfig{
			URL: "http://127.0.0.1:8470/api/v1/ingest", TokenFile: "/etc/vigil/agent.token",
			Timeout: 30 * time.Second, MinBackoff: time.Second, MaxBackoff: time.Minute,
		},
		Spool:            SpoolConfig{Dir: "/var/lib/vigil/spool", MaxBytes: 256 << 20, MaxPending: 360},
		MetricsListen:    "127.0.0.1:8471",
		Log:              logging.Default(),
		ShutdownTimeout:  5 * time.Second,
		Checks:           []checkrun.CheckConfig{},
		CheckConcurrency: checkrun.DefaultMaxConcurrent,
	}
}

// Validate reports every semantic problem; config.Parse attaches file:line:col.
func (c *Config) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if c.Interval < 100*time.Millisecond {
		add("interval", "must be at least 100ms, got %s", c.Interval)
	}
	if c.Jitter < 0 || c.Jitter >= c.Interval {
		add("jitter", "must be ≥ 0 and below interval (%s), got %s", c.Interval, c.Jitter)
	}
	if c.InputTimeout <= 0 || c.InputTimeout > c.Interval {
		add("input_timeout", "must be positive and at most interval (%s), got %s", c.Interval, c.InputTimeout)
	}
	known := input.Names()
	for i, name := range c.Inputs {
		if !slices.Contains(known, name) {
			add(fmt.Sprintf("inputs[%d]", i), "unknown input %q (known: %s)", name, strings.Join(known, ", "))
		}
	}
	if c.Filesystem.MountTimeout <= 0 {
		add("filesystem.mount_timeout", "must be positive")
	}
	if u, err := url.Parse(c.Collector.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("collector.url", "must be an http or https URL, got %q", c.Collector.URL)
	}
	set := 0
	for _, s := range []bool{c.Collector.Token != "", c.Collector.TokenFile != "", c.Collector.TokenEnv != ""} {
		if s {
			set++
		}
	}
	if set != 1 {
		add("collector", "set exactly one of token, token_file, token_env (got %d)", set)
	}
	if c.Collector.MinBackoff <= 0 || c.Collector.MaxBackoff < c.Collector.MinBackoff {
		add("collector.max_backoff", "need 0 < min_backoff ≤ max_backoff")
	}
	if c.Collector.Timeout <= 0 {
		add("collector.timeout", "must be positive")
	}
	if c.Spool.Dir == "" {
		add("spool.dir", "required")
	}
	if c.Spool.MaxBytes < 1<<20 {
		add("spool.max_bytes", "must be at least 1MiB, got %s", c.Spool.MaxBytes)
	}
	if c.Spool.MaxPending < 1 {
		add("spool.max_pending", "must be at least 1")
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			add("metrics_listen", "want host:port or empty, got %q", c.MetricsListen)
		}
	}
	errs = append(errs, c.Log.Validate("log")...)
	errs = append(errs, c.validateChecks()...)
	return errs
}

// validateChecks checks the checks, the arguments of built-in ones (which
// only package checks can parse) and that every NRPE command names one.
func (c *Config) validateChecks() []config.FieldError {
	var errs []config.FieldError
	if c.CheckConcurrency < 1 {
		errs = append(errs, config.FieldError{Path: "check_concurrency", Msg: fmt.Sprintf("must be at least 1, got %d", c.CheckConcurrency)})
	}
	errs = append(errs, config.Prefix("checks", checkrun.ValidateAll(c.Checks))...)
	known := map[string]bool{}
	for i, ch := range c.Checks {
		known[ch.Name] = true
		if len(ch.Builtin) > 0 && !hasArgPlaceholder(ch.Builtin) {
			if _, err := checks.New(ch.Builtin); err != nil {
				errs = append(errs, config.FieldError{Path: fmt.Sprintf("checks[%d].builtin", i), Msg: err.Error()})
			}
		}
	}
	if c.NRPE == nil {
		return errs
	}
	errs = append(errs, config.Prefix("nrpe", c.NRPE.Validate())...)
	for _, name := range slices.Sorted(maps.Keys(c.NRPE.Commands)) {
		if check := c.NRPE.Commands[name].Check; !known[check] {
			errs = append(errs, config.FieldError{Path: "nrpe.commands." + name + ".check",
				Msg: fmt.Sprintf("no check named %q in checks", check)})
		}
	}
	return errs
}

// hasArgPlaceholder: a built-in check with $ARGn$ gets its arguments only
// from an NRPE query, so its flags can be checked only then.
func hasArgPlaceholder(argv []string) bool {
	for _, a := range argv {
		if strings.Contains(a, "$ARG") {
			return true
		}
	}
	return false
}

// token returns the collector token from wherever the config says it is.
func (c *CollectorConfig) token() (config.Secret, error) {
	switch {
	case c.Token != "":
		return c.Token, nil
	case c.TokenFile != "":
		return config.ReadSecretFile(c.TokenFile)
	default:
		v := strings.TrimSpace(os.Getenv(c.TokenEnv))
		if v == "" {
			return "", fmt.Errorf("collector.token_env: environment variable %s is empty or unset", c.TokenEnv)
		}
		return config.Secret(v), nil
	}
}

func loadConfig(path string) (Config, error) {
	cfg := defaultConfig()
	if err := config.Load(path, &cfg); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

package nrpepoll

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/config"
	"github.com/vigilmon/vigil/internal/nrpe"
)

// Defaults of a target. The retry interval follows Nagios' generic-service
// ratio (check every few minutes, retry a few times faster): with these a
// problem is confirmed HARD about 30 s after it is first seen, and a healthy
// host costs one query per command per minute.
const (
	DefaultPort          = "5666"
	DefaultTimeout       = 10 * time.Second // check_nrpe's -t default
	DefaultInterval      = time.Minute
	DefaultRetryInterval = 15 * time.Second
	DefaultMaxAttempts   = 3
)

// Bounds that come from the ingest path: a batch the collector makes itself
// is validated like an agent's, so a config that would produce an invalid
// one is refused up front.
const (
	maxAgentID     = 64  // ingest: agent_id is 1..64 name characters
	maxCheckName   = 128 // ingest: check names are 1..128 name characters
	maxMaxAttempts = 100 // ingest: max_attempts is 1..100
)

// Targets is the nrpe_targets section of collector.yaml.
type Targets []Target

// Target is one host whose NRPE daemon the collector polls.
type Target struct {
	// Host is the host name the results are filed under, as the API and the
	// status page show it.
	Host string `yaml:"host"`
	// Address is host:port of the daemon. Default: Host; the port defaults
	// to 5666.
	Address string `yaml:"address"`
	// Plaintext talks to a daemon started with nrpe -n. Otherwise TLS is
	// used, which needs a daemon with ssl_cert_file set: Go cannot speak the
	// anonymous-DH TLS nrpe falls back to without a certificate.
	Plaintext     bool          `yaml:"plaintext"`
	TLS           TLSConfig     `yaml:"tls"`
	Timeout       time.Duration `yaml:"timeout"`
	Interval      time.Duration `yaml:"interval"`
	RetryInterval time.Duration `yaml:"retry_interval"`
	MaxAttempts   int           `yaml:"max_attempts"`
	Commands      []Command     `yaml:"commands"`
}

// Command is one NRPE command polled as a check.
type Command struct {
	// Name is the check name, unique per host.
	Name string `yaml:"name"`
	// Command is the name in the daemon's command[...] definition.
	Command string `yaml:"command"`
	// Args become $ARG1$.. on the daemon (which needs dont_blame_nrpe=1);
	// they are sent, '!'-separated, only when given.
	Args []string `yaml:"args"`
	// Interval, RetryInterval and MaxAttempts override the target's when set.
	Interval      time.Duration `yaml:"interval"`
	RetryInterval time.Duration `yaml:"retry_interval"`
	MaxAttempts   int           `yaml:"max_attempts"`
}

// UnmarshalYAML sets the defaults of a target (config's `type plain T`
// pattern: items of a list have no caller to fill them).
func (t *Target) UnmarshalYAML(unmarshal func(any) error) error {
	type plain Target
	p := plain{Timeout: DefaultTimeout, Interval: DefaultInterval, RetryInterval: DefaultRetryInterval, MaxAttempts: DefaultMaxAttempts}
	if err := unmarshal(&p); err != nil {
		return err
	}
	*t = Target(p)
	return nil
}

// Validate reports every problem of the section, with paths relative to it
// ("[2].commands[0].name").
func (ts Targets) Validate() []config.FieldError {
	var errs []config.FieldError
	seen := map[string]int{}
	for i := range ts {
		errs = append(errs, config.Prefix(fmt.Sprintf("[%d]", i), ts[i].Validate())...)
		if j, dup := seen[ts[i].Host]; dup && ts[i].Host != "" {
			errs = append(errs, config.FieldError{Path: fmt.Sprintf("[%d].host", i),
				Msg: fmt.Sprintf("duplicate host %q (also nrpe_targets[%d]): put all its commands in one target", ts[i].Host, j)})
		}
		seen[ts[i].Host] = i
	}
	return errs
}

// Validate reports the problems of one target.
func (t *Target) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case t.Host == "":
		add("host", "required: the host name its results are filed under")
	case !validName(t.Host, maxAgentID-len(AgentIDPrefix)) || strings.Contains(t.Host, "@"):
		add("host", "want 1..%d characters of [A-Za-z0-9._-], got %q", maxAgentID-len(AgentIDPrefix), t.Host)
	}
	if t.Host != "" || t.Address != "" {
		if _, err := splitAddr(t.Addr()); err != nil {
			add("address", "%v", err)
		}
	}
	if t.Plaintext && t.TLS != (TLSConfig{}) {
		add("tls", "set, but plaintext is true: remove one of them")
	}
	if !t.Plaintext {
		if (t.TLS.CertFile == "") != (t.TLS.KeyFile == "") {
			add("tls", "cert_file and key_file go together")
		} else if _, err := t.TLS.Build(""); err != nil {
			add("tls", "%v", err)
		}
	}
	positive := func(path string, d time.Duration) {
		if d <= 0 {
			add(path, "must be positive, got %s", d)
		}
	}
	positive("timeout", t.Timeout)
	positive("interval", t.Interval)
	positive("retry_interval", t.RetryInterval)
	if t.MaxAttempts < 1 || t.MaxAttempts > maxMaxAttempts {
		add("max_attempts", "want 1..%d, got %d", maxMaxAttempts, t.MaxAttempts)
	}
	if len(t.Commands) == 0 {
		add("commands", "required: at least one command to poll")
	}
	names := map[string]int{}
	for i, c := range t.Commands {
		p := fmt.Sprintf("commands[%d]", i)
		switch {
		case c.Name == "":
			add(p+".name", "required: the check name")
		case !validName(c.Name, maxCheckName):
			add(p+".name", "want 1..%d characters of [A-Za-z0-9._@-], got %q", maxCheckName, c.Name)
		}
		if j, dup := names[c.Name]; dup && c.Name != "" {
			add(p+".name", "duplicate check name %q (also commands[%d])", c.Name, j)
		}
		names[c.Name] = i
		if c.Command == "" {
			add(p+".command", "required: the name of the daemon's command[...] definition")
		} else if _, err := nrpe.JoinQuery(c.Command, c.Args...); err != nil {
			add(p, "%v", err)
		}
		if c.Interval < 0 || c.RetryInterval < 0 {
			add(p, "interval and retry_interval must not be negative")
		}
		if c.MaxAttempts < 0 || c.MaxAttempts > maxMaxAttempts {
			add(p+".max_attempts", "want 1..%d (or unset for the target's), got %d", maxMaxAttempts, c.MaxAttempts)
		}
	}
	return errs
}

// Addr is the daemon's host:port: Address, else Host, with port 5666 added
// when none is given.
func (t *Target) Addr() string {
	a := t.Address
	if a == "" {
		a = t.Host
	}
	if _, _, err := net.SplitHostPort(a); err != nil {
		// No port: "web01", "10.0.0.5", "::1" or "[::1]".
		return net.JoinHostPort(strings.Trim(a, "[]"), DefaultPort)
	}
	return a
}

// splitAddr checks a host:port and returns the host.
func splitAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("want host:port, got %q", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("port %q of %q: want 1..65535", port, addr)
	}
	if host == "" {
		return "", fmt.Errorf("no host in %q", addr)
	}
	return host, nil
}

// effective returns c with the target's settings filled in where c leaves
// them unset.
func (t *Target) effective(c Command) Command {
	if c.Interval == 0 {
		c.Interval = t.Interval
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = t.RetryInterval
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = t.MaxAttempts
	}
	return c
}

// validName is the ingest path's rule for identifiers (letters, digits,
// . _ - @), which agent IDs and check names must follow; '@' is refused in
// host names so that an agent ID splits at its one '@'.
func validName(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '@') {
			return false
		}
	}
	return true
}

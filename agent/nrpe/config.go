package nrpe

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/config"
	"github.com/vigilmon/vigil/internal/nrpe"
)

// Config is the nrpe section of agent.yaml. The agent runs the server only
// when the section is present.
type Config struct {
	// Listen is host:port; ":5666" (the default) is every address, as nrpe's
	// server_port without server_address.
	Listen string    `yaml:"listen"`
	TLS    TLSConfig `yaml:"tls"`
	// Plaintext serves NRPE without TLS (check_nrpe -n). It must be set
	// explicitly: without it a certificate is required.
	Plaintext bool `yaml:"plaintext"`
	// AllowedHosts are the client addresses and CIDR blocks served; every
	// other connection is closed before anything is read. An empty list is
	// an error, not "everyone": write 0.0.0.0/0 and ::/0 for that.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// AllowArguments is dont_blame_nrpe: whether queries may carry
	// !-separated arguments, and then only for commands that declare params.
	AllowArguments bool `yaml:"allow_arguments"`
	// ConnectionTimeout bounds the TLS handshake plus reading the query, and
	// separately writing the answer.
	ConnectionTimeout time.Duration `yaml:"connection_timeout"`
	// CommandTimeout bounds one command, as nrpe's command_timeout.
	CommandTimeout time.Duration `yaml:"command_timeout"`
	// MaxConnections bounds the connections served at once; more are closed
	// at once, with a log line.
	MaxConnections int `yaml:"max_connections"`
	// Commands are the NRPE command names clients may ask for.
	Commands map[string]CommandConfig `yaml:"commands"`
}

// TLSConfig is the server certificate and, optionally, the CA that client
// certificates must chain to.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientCAFile, when set, makes client certificates mandatory
	// (check_nrpe -C/-K).
	ClientCAFile string `yaml:"client_ca_file"`
}

// CommandConfig is one NRPE command: the agent check it runs and the
// arguments a query may pass to it.
type CommandConfig struct {
	// Check names a check configured in the agent's checks section.
	Check string `yaml:"check"`
	// Params are the arguments, in $ARG1$.. order. A query must give
	// exactly these, each valid for its type and pattern.
	Params []ParamConfig `yaml:"params"`
}

// ParamConfig declares one argument.
type ParamConfig struct {
	Name string `yaml:"name"`
	// Type is one of ParamTypes.
	Type string `yaml:"type"`
	// Pattern, when set, must match the whole argument (it is anchored).
	// It narrows the type; it cannot let in a forbidden character.
	Pattern string `yaml:"pattern"`
}

// Defaults, those of nrpe where it has one.
const (
	DefaultListen            = ":5666"
	DefaultConnectionTimeout = 10 * time.Second // nrpe's socket timeout
	DefaultCommandTimeout    = 60 * time.Second
	DefaultMaxConnections    = 16
)

// DefaultAllowedHosts is nrpe.cfg's sample: loopback only.
var DefaultAllowedHosts = []string{"127.0.0.1", "::1"}

func defaultConfig() Config {
	return Config{
		Listen:            DefaultListen,
		AllowedHosts:      slices.Clone(DefaultAllowedHosts),
		ConnectionTimeout: DefaultConnectionTimeout,
		CommandTimeout:    DefaultCommandTimeout,
		MaxConnections:    DefaultMaxConnections,
	}
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

// maxCommandName bounds a command name; nrpe has no limit of its own, but a
// name is also a metric-free log field and should stay readable.
const maxCommandName = 64

// Validate reports every problem with c; paths are relative to the section.
func (c *Config) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		add("listen", "want host:port such as \":5666\", got %q", c.Listen)
	}
	hasCert := c.TLS.CertFile != "" || c.TLS.KeyFile != ""
	switch {
	case hasCert && (c.TLS.CertFile == "" || c.TLS.KeyFile == ""):
		add("tls", "set both cert_file and key_file")
	case hasCert && c.Plaintext:
		add("plaintext", "set either tls or plaintext: true, not both (one port speaks one of them)")
	case !hasCert && !c.Plaintext:
		add("tls", "a certificate is required (cert_file and key_file; self-signed is fine, "+
			"check_nrpe does not verify it without -A): stock NRPE's default anonymous-DH TLS "+
			"cannot be served by Go. Or set plaintext: true for check_nrpe -n on a trusted network")
	}
	if c.TLS.ClientCAFile != "" && !hasCert {
		add("tls.client_ca_file", "client certificates need a server certificate (cert_file, key_file)")
	}
	if len(c.AllowedHosts) == 0 {
		add("allowed_hosts", "empty: list the client addresses or CIDRs (0.0.0.0/0 and ::/0 allow everyone)")
	}
	for i, h := range c.AllowedHosts {
		if _, err := parseHost(h); err != nil {
			add(fmt.Sprintf("allowed_hosts[%d]", i), "%v", err)
		}
	}
	if c.ConnectionTimeout < 100*time.Millisecond {
		add("connection_timeout", "must be at least 100ms, got %s", c.ConnectionTimeout)
	}
	if c.CommandTimeout < time.Second {
		add("command_timeout", "must be at least 1s, got %s", c.CommandTimeout)
	}
	if c.MaxConnections < 1 {
		add("max_connections", "must be at least 1, got %d", c.MaxConnections)
	}
	names := make([]string, 0, len(c.Commands))
	for name := range c.Commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := "commands." + name
		if err := checkCommandName(name); err != nil {
			add(path, "%v", err)
		}
		cmd := c.Commands[name]
		if cmd.Check == "" {
			add(path+".check", "required: the name of a configured check")
		}
		if len(cmd.Params) > 0 && !c.AllowArguments {
			add(path+".params", "declared, but allow_arguments is false: set it to true to accept them")
		}
		errs = append(errs, config.Prefix(path+".params", validateParams(cmd.Params))...)
	}
	return errs
}

func checkCommandName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty command name")
	case name == nrpe.HelloCommand:
		return fmt.Errorf("%s is answered by the server itself", nrpe.HelloCommand)
	case len(name) > maxCommandName:
		return fmt.Errorf("command name longer than %d bytes", maxCommandName)
	case strings.ContainsAny(name, nasty+"!$ \t"):
		return fmt.Errorf("command name %q contains '!', '$', white space or a character nrpe forbids (%s)", name, nastyShown)
	}
	return nil
}

func validateParams(params []ParamConfig) []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if len(params) > nrpe.MaxCommandArguments {
		add("", "%d params, NRPE carries at most %d ($ARG1$..$ARG%d$)", len(params), nrpe.MaxCommandArguments, nrpe.MaxCommandArguments)
	}
	seen := map[string]bool{}
	for i, p := range params {
		path := fmt.Sprintf("[%d]", i)
		switch {
		case p.Name == "":
			add(path+".name", "required")
		case seen[p.Name]:
			add(path+".name", "%q declared twice", p.Name)
		}
		seen[p.Name] = true
		if _, ok := paramTypes[p.Type]; !ok {
			add(path+".type", "unknown type %q (known: %s)", p.Type, strings.Join(ParamTypes(), ", "))
		}
		if p.Type == TypeString && p.Pattern == "" {
			add(path+".pattern", "required for type string: a free-form argument is what makes dont_blame_nrpe a hole")
		}
		if p.Pattern != "" {
			if _, err := compilePattern(p.Pattern); err != nil {
				add(path+".pattern", "%v", err)
			}
		}
	}
	return errs
}

// compilePattern anchors pattern so that it must match the whole argument.
func compilePattern(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, fmt.Errorf("compile pattern: %w", err)
	}
	return re, nil
}

// parseHost reads an allowed_hosts entry: an address or a CIDR block.
// Hostnames are refused: nrpe resolves them once at start, which silently
// goes stale; an address says what is meant.
func parseHost(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("parse CIDR %q: %w", s, err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("want an IP address or a CIDR block, got %q (host names are not resolved)", s)
	}
	// Remote addresses arrive without a zone and, on a dual-stack
	// listener, IPv4 as ::ffff:a.b.c.d; both are normalised the same way.
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

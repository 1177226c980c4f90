package checkrun

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigilmon/vigil/internal/config"
)

// Defaults of a check, chosen to be what Nagios and Icinga 2 operators expect:
// Icinga 2's generic-service template checks every minute and retries every
// 30s; three attempts before HARD is Nagios's generic-service. Nagios and
// NRPE time plugins out after 60s, which with a one-minute interval would let
// one hung plugin occupy every slot of its check, so the default is half.
const (
	DefaultInterval      = time.Minute
	DefaultRetryInterval = 30 * time.Second
	DefaultTimeout       = 30 * time.Second
	DefaultMaxAttempts   = 3
	// DefaultOutputCap is NRPE 3's largest answer: a plugin that prints more
	// could not be relayed by NRPE anyway.
	DefaultOutputCap = 64 * config.KiB
	// DefaultMaxConcurrent bounds the plugin processes running at once.
	DefaultMaxConcurrent = 8
)

// Limits that Validate enforces.
const (
	minInterval  = time.Second
	minOutputCap = config.KiB
	// maxOutputCap keeps a misconfigured cap from letting every check hold
	// tens of MiB per run.
	maxOutputCap   = 16 * config.MiB
	maxName        = 64
	maxMaxAttempts = 100
	// MaxArgs is NRPE's MAX_COMMAND_ARGUMENTS: placeholders $ARG1$..$ARG16$.
	MaxArgs = 16
)

// Config is the checks part of agent.yaml.
type Config struct {
	// MaxConcurrent bounds the checks running at once, scheduled and
	// on-demand together, so that 100 checks due at once do not fork 100
	// processes.
	MaxConcurrent int           `yaml:"max_concurrent"`
	Checks        []CheckConfig `yaml:"checks"`
}

// DefaultConfig is Config with its defaults, for the agent's defaultConfig.
func DefaultConfig() Config { return Config{MaxConcurrent: DefaultMaxConcurrent} }

// Validate checks the section; paths are relative to it.
func (c *Config) Validate() []config.FieldError {
	var errs []config.FieldError
	if c.MaxConcurrent < 1 {
		errs = append(errs, config.FieldError{Path: "max_concurrent", Msg: fmt.Sprintf("must be at least 1, got %d", c.MaxConcurrent)})
	}
	return append(errs, config.Prefix("checks", ValidateAll(c.Checks))...)
}

// CheckConfig is one check: a plugin (Command) or a built-in check (Builtin).
// Defaults are the Default* constants, filled in by UnmarshalYAML.
type CheckConfig struct {
	// Name identifies the check in results, metrics and NRPE commands; it is
	// unique per agent.
	Name string `yaml:"name"`
	// Command is the plugin's argv, run directly, never through a shell.
	// Command[0] is an absolute path or a name looked up in the agent's
	// PATH when the configuration is loaded. Elements may contain $ARG1$ ..
	// $ARG16$, replaced by the arguments of an on-demand run (each stays
	// inside its own argv element, whatever it contains).
	Command []string `yaml:"command"`
	// Shell runs Command[0] as a /bin/sh -c script, with $0 the check name
	// and Command[1:] as $1.. (where $ARGn$ may appear: quote "$1" in the
	// script). The script itself may not contain $ARGn$, because text
	// substituted into a script is code.
	Shell bool `yaml:"shell"`
	// Builtin is the argv of a built-in check, e.g. [disk, -w, 20%, -p, /];
	// elements after the first may hold $ARGn$ as in Command.
	Builtin []string `yaml:"builtin"`
	// OnDemand checks run only when asked (NRPE), never on schedule. A check
	// with $ARGn$ placeholders must be on-demand: scheduled, its arguments
	// would be empty.
	OnDemand bool `yaml:"on_demand"`
	// Interval is the time between runs while the state is OK or HARD.
	Interval time.Duration `yaml:"interval"`
	// RetryInterval is the time between runs while a problem is SOFT.
	RetryInterval time.Duration `yaml:"retry_interval"`
	// Timeout bounds one run; the plugin's process group then gets SIGTERM
	// and, if still alive 2s later, SIGKILL.
	Timeout time.Duration `yaml:"timeout"`
	// MaxAttempts is how many non-OK results in a row make a problem HARD.
	MaxAttempts int `yaml:"max_attempts"`
	// OutputCap bounds the stdout (and, separately, the stderr) kept from
	// one run; the rest is read and discarded.
	OutputCap config.ByteSize `yaml:"output_cap"`
	// Env names the variables of the agent's environment the plugin gets;
	// nothing else is passed. PATH is a standard system PATH unless listed
	// here or in SetEnv.
	Env []string `yaml:"env"`
	// SetEnv are variables with fixed values.
	SetEnv map[string]string `yaml:"set_env"`
	// Dir is the plugin's working directory (absolute); default "/".
	Dir string `yaml:"dir"`
	// User runs the plugin as this user (name or uid), with its primary and
	// supplementary groups. Only possible when the agent runs as root.
	User string `yaml:"user"`
}

// UnmarshalYAML fills in the defaults for keys the file leaves out.
func (c *CheckConfig) UnmarshalYAML(unmarshal func(any) error) error {
	type plain CheckConfig
	p := plain(c.withDefaults())
	if err := unmarshal(&p); err != nil {
		return err
	}
	*c = CheckConfig(p)
	return nil
}

// withDefaults returns c with every unset tunable at its default, so checks
// built in code (tests, the agent's built-in set) need not repeat them.
func (c CheckConfig) withDefaults() CheckConfig {
	set := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	set(&c.Interval, DefaultInterval)
	set(&c.RetryInterval, DefaultRetryInterval)
	set(&c.Timeout, DefaultTimeout)
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.OutputCap == 0 {
		c.OutputCap = DefaultOutputCap
	}
	return c
}

var (
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// argRE finds placeholders, including out-of-range ones to report.
	argRE = regexp.MustCompile(`\$ARG([0-9]+)\$`)
)

// Validate reports every problem with c; paths are relative to the check.
func (c *CheckConfig) Validate() []config.FieldError { return c.validate(os.Geteuid()) }

// validate takes the effective uid so the non-root rules can be tested as root.
func (c *CheckConfig) validate(euid int) []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case c.Name == "":
		add("name", "is required")
	case len(c.Name) > maxName || !nameRE.MatchString(c.Name):
		add("name", "want at most %d of A-Z a-z 0-9 _ . -, got %q", maxName, c.Name)
	}
	switch {
	case len(c.Command) > 0 && len(c.Builtin) > 0:
		add("", "set either command or builtin, not both")
	case len(c.Command) > 0:
		errs = append(errs, c.validateCommand(euid)...)
	case len(c.Builtin) > 0:
		if c.Builtin[0] == "" {
			add("builtin[0]", "the built-in check's name is empty")
		}
		errs = append(errs, validateArgv("builtin", c.Builtin, c.OnDemand)...)
		for _, k := range []struct {
			key string
			set bool
		}{{"shell", c.Shell}, {"env", len(c.Env) > 0}, {"set_env", len(c.SetEnv) > 0}, {"dir", c.Dir != ""}, {"user", c.User != ""}} {
			if k.set {
				add(k.key, "applies to plugins (command), not to built-in checks")
			}
		}
	default:
		add("", "set command (a plugin's argv) or builtin (a built-in check's argv)")
	}

	if c.Interval < minInterval {
		add("interval", "must be at least %s, got %s", minInterval, c.Interval)
	}
	if c.RetryInterval <= 0 || c.RetryInterval > c.Interval {
		add("retry_interval", "must be positive and at most interval (%s), got %s", c.Interval, c.RetryInterval)
	}
	if c.Timeout <= 0 || c.Timeout > c.Interval {
		// A run longer than the interval would make the next one late.
		add("timeout", "must be positive and at most interval (%s), got %s", c.Interval, c.Timeout)
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > maxMaxAttempts {
		add("max_attempts", "must be 1..%d, got %d", maxMaxAttempts, c.MaxAttempts)
	}
	if c.OutputCap < minOutputCap || c.OutputCap > maxOutputCap {
		add("output_cap", "must be %s..%s, got %s", minOutputCap, maxOutputCap, c.OutputCap)
	}
	return errs
}

func (c *CheckConfig) validateCommand(euid int) []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	prog := c.Command[0]
	switch {
	case c.Shell:
		if argRE.MatchString(prog) {
			add("command[0]", "a shell script may not contain $ARGn$: pass arguments as command[1:] and use \"$1\"")
		}
	case prog == "":
		add("command[0]", "the program is empty")
	case argRE.MatchString(prog):
		add("command[0]", "the program may not be a placeholder")
	case filepath.IsAbs(prog):
		// Not checked for existence: a plugin package installed later must
		// not keep the agent from starting; until then the check is UNKNOWN.
	case strings.Contains(prog, "/"):
		add("command[0]", "want an absolute path or a program name found in PATH, got relative path %q", prog)
	default:
		if _, err := exec.LookPath(prog); err != nil {
			add("command[0]", "%q is not in the agent's PATH: give the absolute path", prog)
		}
	}
	errs = append(errs, validateArgv("command", c.Command, c.OnDemand)...)
	for i, name := range c.Env {
		if !envNameRE.MatchString(name) {
			add(fmt.Sprintf("env[%d]", i), "%q is not a variable name", name)
		}
		if _, dup := c.SetEnv[name]; dup {
			add(fmt.Sprintf("env[%d]", i), "%s is also in set_env", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.SetEnv)) {
		if !envNameRE.MatchString(name) {
			add("set_env."+name, "%q is not a variable name", name)
		}
	}
	if c.Dir != "" && !filepath.IsAbs(c.Dir) {
		add("dir", "must be an absolute path, got %q", c.Dir)
	}
	if c.User != "" {
		if euid != 0 {
			add("user", "running plugins as another user needs the agent to run as root")
		} else if _, err := lookupCredential(c.User); err != nil {
			add("user", "%v", err)
		}
	}
	return errs
}

// validateArgv checks the NUL bytes and $ARGn$ placeholders of an argv
// whose first element is the program (or built-in check name).
func validateArgv(key string, argv []string, onDemand bool) []config.FieldError {
	var errs []config.FieldError
	placeholders := false
	for i, arg := range argv {
		path := fmt.Sprintf("%s[%d]", key, i)
		if strings.IndexByte(arg, 0) >= 0 {
			errs = append(errs, config.FieldError{Path: path, Msg: "contains a NUL byte"})
		}
		for _, m := range argRE.FindAllStringSubmatch(arg, -1) {
			if n, err := strconv.Atoi(m[1]); err != nil || n < 1 || n > MaxArgs {
				errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf("%s: placeholders are $ARG1$..$ARG%d$", m[0], MaxArgs)})
			}
			placeholders = placeholders || i > 0
		}
	}
	if placeholders && !onDemand {
		errs = append(errs, config.FieldError{Path: "on_demand", Msg: key + " has $ARGn$ placeholders, which only on-demand (NRPE) runs fill: set on_demand: true"})
	}
	return errs
}

// ValidateAll validates every check and that names are unique; paths are
// relative to the list ("[2].name").
func ValidateAll(checks []CheckConfig) []config.FieldError {
	var errs []config.FieldError
	seen := make(map[string]int, len(checks))
	for i := range checks {
		path := fmt.Sprintf("[%d]", i)
		errs = append(errs, config.Prefix(path, checks[i].Validate())...)
		name := checks[i].Name
		if first, dup := seen[name]; dup && name != "" {
			errs = append(errs, config.FieldError{Path: path + ".name", Msg: fmt.Sprintf("%q is already the name of check [%d]", name, first)})
			continue
		}
		seen[name] = i
	}
	return errs
}

// validationError joins FieldErrors for NewRunner and NewPlugin, which have
// no file to point into.
func validationError(errs []config.FieldError) error {
	msgs := make([]error, len(errs))
	for i, e := range errs {
		if e.Path == "" {
			msgs[i] = errors.New(e.Msg)
			continue
		}
		msgs[i] = fmt.Errorf("%s: %s", e.Path, e.Msg)
	}
	return errors.Join(msgs...)
}

// lookupCredential resolves a user name or uid to the ids a process runs
// with: the user's primary group and every group it is a member of.
func lookupCredential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		var uerr error
		if u, uerr = user.LookupId(name); uerr != nil {
			return nil, fmt.Errorf("look up user %q: %w", name, err)
		}
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parse uid of %q: %w", name, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parse gid of %q: %w", name, err)
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("look up groups of %q: %w", name, err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	for _, id := range ids {
		g, err := strconv.ParseUint(id, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("parse group id %q of %q: %w", id, name, err)
		}
		cred.Groups = append(cred.Groups, uint32(g))
	}
	return cred, nil
}

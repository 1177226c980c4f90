package checkrun

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
)

// defaultPath is the PATH of a plugin whose check does not pass or set one:
// the standard system directories, never the agent's own PATH.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// shellPath runs shell: true checks; an absolute path so the plugin's PATH
// does not pick the shell.
const shellPath = "/bin/sh"

// defaultKillGrace is the time between SIGTERM and SIGKILL on timeout: long
// enough for a plugin to clean up a lock or temp file, short enough that a
// hung one frees its concurrency slot soon.
const defaultKillGrace = 2 * time.Second

// Plugin is a configured plugin command, ready to run any number of times,
// concurrently too.
type Plugin struct {
	path string
	// argv is the full argv; elements from firstArg on may hold $ARGn$.
	argv      []string
	firstArg  int
	display   string
	timeout   time.Duration
	grace     time.Duration
	outputCap int
	env       []string
	dir       string
	cred      *syscall.Credential
}

// NewPlugin validates c (with unset tunables at their defaults) and builds
// its plugin. The environment variables c.Env names are read now, once.
func NewPlugin(c CheckConfig) (*Plugin, error) {
	c = c.withDefaults()
	if len(c.Command) == 0 {
		return nil, fmt.Errorf("build plugin %q: no command", c.Name)
	}
	if errs := c.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("build plugin %q: %w", c.Name, validationError(errs))
	}
	p := &Plugin{
		argv:      slices.Clone(c.Command),
		firstArg:  1,
		display:   strings.Join(c.Command, " "),
		timeout:   c.Timeout,
		grace:     defaultKillGrace,
		outputCap: int(c.OutputCap),
		env:       buildEnv(c.Env, c.SetEnv, os.LookupEnv),
		dir:       c.Dir,
	}
	if p.dir == "" {
		// Not the agent's working directory, which is nobody's business.
		p.dir = "/"
	}
	switch prog := c.Command[0]; {
	case c.Shell:
		p.path = shellPath
		p.argv = append([]string{shellPath, "-c", prog, c.Name}, c.Command[1:]...)
		p.firstArg = 4
		p.display = shellPath + " -c " + strconv.Quote(prog) + strings.TrimPrefix(p.display, prog)
	case strings.Contains(prog, "/"):
		p.path = prog
	default:
		// Resolved once, in the agent's PATH, so what runs is what was
		// validated, whatever PATH the plugin itself gets.
		path, err := exec.LookPath(prog)
		if err != nil {
			return nil, fmt.Errorf("build plugin %q: %w", c.Name, err)
		}
		p.path = path
	}
	if c.User != "" {
		cred, err := lookupCredential(c.User)
		if err != nil {
			return nil, fmt.Errorf("build plugin %q: %w", c.Name, err)
		}
		p.cred = cred
	}
	return p, nil
}

// buildEnv is the plugin's whole environment: the allowed variables that
// are set in the agent's, the fixed ones, and PATH.
func buildEnv(allow []string, set map[string]string, lookup func(string) (string, bool)) []string {
	env := make([]string, 0, len(allow)+len(set)+1)
	hasPath := false
	for _, name := range allow {
		if v, ok := lookup(name); ok {
			env = append(env, name+"="+v)
			hasPath = hasPath || name == "PATH"
		}
	}
	for _, name := range slices.Sorted(maps.Keys(set)) {
		env = append(env, name+"="+set[name])
		hasPath = hasPath || name == "PATH"
	}
	if !hasPath {
		env = append(env, defaultPath)
	}
	return env
}

// Command is the command line for people, placeholders unexpanded.
func (p *Plugin) Command() string { return p.display }

// Run runs the plugin once with args in place of $ARG1$.., bounded by the
// check's timeout and by ctx. It always returns a complete Outcome: a
// plugin that cannot start, hangs, crashes or prints garbage is UNKNOWN (or
// keeps the problem state it exited with), with the reason in the output.
// When ctx is cancelled the plugin is stopped and the outcome carries
// FaultCancelled.
func (p *Plugin) Run(ctx context.Context, args []string) Outcome {
	argv, err := expandArgs(p.argv, p.firstArg, args)
	if err != nil {
		return Outcome{
			Result: nagios.Result{State: nagios.Unknown, Output: "(Invalid arguments) " + err.Error()},
			Faults: []Fault{FaultArgs},
		}
	}
	limit := p.timeout
	if d, ok := ctx.Deadline(); ok {
		// An on-demand caller (NRPE) may allow less than the check does;
		// the timeout message names the limit that applied.
		limit = max(min(limit, time.Until(d)), 0)
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	x := p.execute(ctx, argv)
	x.limit = limit
	return x.outcome()
}

// expandArgs substitutes args for $ARG1$..$ARG16$ in argv[from:], in one
// pass, so a value that itself contains "$ARG2$" stays literal.
// Placeholders without an argument become empty, as in NRPE. Each value
// stays inside the argv element its placeholder was in: there is no shell to
// split or interpret it.
func expandArgs(argv []string, from int, args []string) ([]string, error) {
	if len(args) > MaxArgs {
		return nil, fmt.Errorf("expand arguments: %d given, at most %d", len(args), MaxArgs)
	}
	pairs := make([]string, 0, 2*MaxArgs)
	for i := range MaxArgs {
		v := ""
		if i < len(args) {
			v = args[i]
			if strings.IndexByte(v, 0) >= 0 {
				return nil, fmt.Errorf("expand arguments: $ARG%d$ contains a NUL byte", i+1)
			}
		}
		pairs = append(pairs, "$ARG"+strconv.Itoa(i+1)+"$", v)
	}
	r := strings.NewReplacer(pairs...)
	out := slices.Clone(argv)
	for i := from; i < len(out); i++ {
		out[i] = r.Replace(out[i])
	}
	return out, nil
}

// Package checks holds Vigil's built-in checks: disk, load, memory, swap,
// procs, tcp, http, cert, file_age and log_growth. Each behaves like the
// Monitoring Plugins program it replaces (check_disk, check_load, ...) and
// takes the same style of flags, so one argv works in agent.yaml
// (builtin: [disk, -w, 20%, -c, 10%, -p, /]), on the command line
// (vigil-agent check disk -w 20% -c 10% -p /) and over NRPE.
//
// A built-in check runs inside the agent: no fork, no exec, microseconds
// instead of the ~1 ms a plugin process costs. Its Result carries the text a
// plugin would print: Output is the whole first line with the conventional
// "SERVICE STATE - " prefix ("DISK CRITICAL - / 95.1% used ..."), so the
// agent, the NRPE server and the CLI all show the same words.
//
// Threshold arguments are Nagios ranges (internal/nagios) wherever the value
// alerts when it is high (load, memory, response time, age). Where the
// plugins' users expect a minimum (free disk space, certificate days left),
// a plain number N means "alert below N" and is turned into the range "N:";
// the individual checks say so.
package checks

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
)

// Check is one configured built-in check. Run never blocks past ctx and
// reports failures to measure as an UNKNOWN (or CRITICAL, where the plugin
// it replaces does so) Result rather than an error. A Check may keep state
// between runs (log_growth does), so the agent keeps one value per
// configured check; Run is safe for concurrent use.
type Check interface {
	Run(ctx context.Context) nagios.Result
}

// Env is the outside world a check reads. New uses DefaultEnv; tests point
// it at fixtures.
type Env struct {
	// ProcRoot is where procfs is mounted ("/proc"; "/hostfs/proc" when the
	// agent runs in a container).
	ProcRoot string
	Now      func() time.Time
	// Disks lists mounts and measures their usage.
	Disks DiskSource
	// Dial opens the tcp check's connection.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Transport carries the http check's requests. An *http.Transport is
	// cloned per check so that -k and keep-alive settings stay local.
	Transport http.RoundTripper
	// Self is the agent's own pid, which procs leaves out of its count as
	// check_procs does.
	Self int
}

// DefaultEnv is the real host.
func DefaultEnv() Env {
	var d net.Dialer
	return Env{
		ProcRoot:  "/proc",
		Now:       time.Now,
		Disks:     hostDisks{},
		Dial:      d.DialContext,
		Transport: http.DefaultTransport,
		Self:      os.Getpid(),
	}
}

// builtin describes one check. flags declares the check's flags on fs and
// returns the function that builds the check once fs has been parsed, so
// that the same declarations give New its parser and Main its usage text.
type builtin struct {
	service  string // the word that starts the output line: "DISK"
	synopsis string
	flags    func(fs *flag.FlagSet, env Env) func() (Check, error)
}

func registry() map[string]builtin {
	return map[string]builtin{
		"cert":       {"CERT", "days until TLS certificates in PEM files expire", certFlags},
		"disk":       {"DISK", "free space and inodes of mounted filesystems", diskFlags},
		"file_age":   {"FILE_AGE", "age and size of a file", fileAgeFlags},
		"http":       {"HTTP", "HTTP(S) status, body, response time and certificate expiry", httpFlags},
		"load":       {"LOAD", "load averages, optionally per CPU", loadFlags},
		"log_growth": {"LOG_GROWTH", "a log file that stopped growing", logGrowthFlags},
		"memory":     {"MEMORY", "used memory percent (MemTotal - MemAvailable)", memoryFlags},
		"procs":      {"PROCS", "number of processes matching name, arguments, state, user", procsFlags},
		"swap":       {"SWAP", "used swap percent", swapFlags},
		"tcp":        {"TCP", "TCP connect, optional send/expect, response time", tcpFlags},
	}
}

// Names lists the built-in checks, sorted.
func Names() []string {
	return slices.Sorted(maps.Keys(registry()))
}

// New builds the check argv[0] with the flags in argv[1:] on the real host.
func New(argv []string) (Check, error) {
	return NewWithEnv(argv, DefaultEnv())
}

// NewWithEnv is New reading the world through env.
func NewWithEnv(argv []string, env Env) (Check, error) {
	_, c, err := parse(argv, env)
	return c, err
}

// parse returns the flag set too, so Main can print its usage.
func parse(argv []string, env Env) (*flag.FlagSet, Check, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, nil, fmt.Errorf("no check name (want one of %s)", strings.Join(Names(), ", "))
	}
	b, ok := registry()[argv[0]]
	if !ok {
		return nil, nil, fmt.Errorf("unknown check %q (want one of %s)", argv[0], strings.Join(Names(), ", "))
	}
	fs := flag.NewFlagSet(argv[0], flag.ContinueOnError)
	// Errors are returned, never printed: in the agent there is no terminal.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	build := b.flags(fs, env)
	if err := fs.Parse(argv[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return fs, nil, err
		}
		return fs, nil, fmt.Errorf("parse %s flags: %w", argv[0], err)
	}
	if fs.NArg() > 0 {
		return fs, nil, fmt.Errorf("parse %s flags: unexpected argument %q", argv[0], fs.Arg(0))
	}
	c, err := build()
	if err != nil {
		return fs, nil, fmt.Errorf("configure %s: %w", argv[0], err)
	}
	return fs, c, nil
}

// result builds the Result a check returns, with the plugin-style first
// line "SERVICE STATE - text".
func result(service string, state nagios.State, text string, long []string, perf []nagios.Perf) nagios.Result {
	return nagios.Result{
		State:      state,
		Output:     service + " " + state.String() + " - " + text,
		LongOutput: strings.Join(long, "\n"),
		Perf:       perf,
	}
}

// unknown is the Result of a check that could not measure.
func unknown(service string, err error) nagios.Result {
	return result(service, nagios.Unknown, err.Error(), nil, nil)
}

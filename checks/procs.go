package checks

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/vigilmon/vigil/internal/nagios"
)

// procs is check_procs: it counts the processes that match every filter
// given and compares the count with -w/-c Nagios ranges ("1:" = at least
// one, "0" = none, "2:10"). Unlike check_procs, -a is a regular expression
// over the command line (arguments joined by spaces), check_procs'
// --ereg-argument-array; a literal substring is a valid expression too.
// The agent itself is never counted.
type procs struct {
	procRoot   string
	self       int
	comm       string
	args       *regexp.Regexp
	states     string
	uid        *uint32
	filters    string // for the output: "with command name 'nginx'"
	thresholds nagios.Thresholds
}

func procsFlags(fs *flag.FlagSet, env Env) func() (Check, error) {
	warn := fs.String("w", "", "warning `range` on the process count (\"1:\" = at least one)")
	crit := fs.String("c", "", "critical `range` on the process count")
	comm := fs.String("C", "", "only processes whose command name (comm, 15 bytes at most) is exactly `name`")
	var args string
	fs.StringVar(&args, "a", "", "only processes whose command line matches `regexp`")
	fs.StringVar(&args, "argument-array", "", "same as -a")
	states := fs.String("s", "", "only processes in one of these `states` (letters from RSDZTtIXW, e.g. DZ)")
	owner := fs.String("u", "", "only processes whose effective user is `user` (name or uid)")
	return func() (Check, error) {
		t, err := parseRanges("-w", *warn, "-c", *crit)
		if err != nil {
			return nil, err
		}
		p := &procs{procRoot: env.ProcRoot, self: env.Self, comm: *comm, states: *states, thresholds: t}
		var filters []string
		if p.comm != "" {
			filters = append(filters, fmt.Sprintf("command name '%s'", p.comm))
		}
		if args != "" {
			if p.args, err = regexp.Compile(args); err != nil {
				return nil, fmt.Errorf("parse -a: %w", err)
			}
			filters = append(filters, fmt.Sprintf("args matching '%s'", args))
		}
		if p.states != "" {
			if i := strings.IndexFunc(p.states, func(r rune) bool { return !strings.ContainsRune("RSDZTtIXWPK", r) }); i >= 0 {
				return nil, fmt.Errorf("parse -s %q: %q is not a process state", p.states, p.states[i])
			}
			filters = append(filters, "state "+p.states)
		}
		if *owner != "" {
			uid, err := lookupUID(*owner)
			if err != nil {
				return nil, err
			}
			p.uid = &uid
			filters = append(filters, "user "+*owner)
		}
		if len(filters) > 0 {
			p.filters = " with " + strings.Join(filters, ", ")
		}
		return p, nil
	}
}

// lookupUID resolves the user once, at configuration time, so a typo is a
// config error and not a count of zero.
func lookupUID(name string) (uint32, error) {
	if uid, err := strconv.ParseUint(name, 10, 32); err == nil {
		return uint32(uid), nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return 0, fmt.Errorf("look up user %q: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("look up user %q: uid %q: %w", name, u.Uid, err)
	}
	return uint32(uid), nil
}

func (p *procs) Run(ctx context.Context) nagios.Result {
	n, err := p.count(ctx)
	if err != nil {
		return unknown("PROCS", err)
	}
	state := p.thresholds.Evaluate(float64(n))
	word := "processes"
	if n == 1 {
		word = "process"
	}
	text := fmt.Sprintf("%d %s%s", n, word, p.filters)
	return result("PROCS", state, text, nil, []nagios.Perf{
		perf("procs", float64(n), "", p.thresholds, ptr(0), nil),
	})
}

func (p *procs) count(ctx context.Context) (int, error) {
	entries, err := os.ReadDir(p.procRoot)
	if err != nil {
		return 0, fmt.Errorf("list processes: %w", err)
	}
	// One buffer for every file of this run: a host has hundreds of
	// processes and the reads are the whole cost.
	buf := make([]byte, 0, 4096)
	n := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("list processes: %w", err)
		}
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == p.self {
			continue
		}
		ok, err := p.match(filepath.Join(p.procRoot, e.Name()), &buf)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			continue // exited while we looked
		}
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// match reads only the files the filters need, cheapest first.
func (p *procs) match(dir string, buf *[]byte) (bool, error) {
	if p.comm != "" || p.states != "" {
		b, err := readProcFile(filepath.Join(dir, "stat"), buf)
		if err != nil {
			return false, fmt.Errorf("read process stat: %w", err)
		}
		st, err := parseStat(b)
		if err != nil {
			return false, err
		}
		if (p.comm != "" && st.comm != p.comm) || (p.states != "" && !strings.ContainsRune(p.states, rune(st.state))) {
			return false, nil
		}
	}
	if p.uid != nil {
		b, err := readProcFile(filepath.Join(dir, "status"), buf)
		if err != nil {
			return false, fmt.Errorf("read process status: %w", err)
		}
		uid, err := parseStatusUID(b)
		if err != nil {
			return false, err
		}
		if uid != *p.uid {
			return false, nil
		}
	}
	if p.args != nil {
		b, err := readProcFile(filepath.Join(dir, "cmdline"), buf)
		if err != nil {
			return false, fmt.Errorf("read process cmdline: %w", err)
		}
		// Arguments are NUL-terminated; kernel threads have none and never
		// match.
		cmdline := bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '})
		if len(cmdline) == 0 || !p.args.Match(cmdline) {
			return false, nil
		}
	}
	return true, nil
}

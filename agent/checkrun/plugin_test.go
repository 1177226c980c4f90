package checkrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilmon/vigil/internal/nagios"
)

// fake is a check running the test binary as a fake plugin.
func fake(t testing.TB, mode string, args ...string) CheckConfig {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return CheckConfig{
		Name:    "fake",
		Command: append([]string{exe, mode}, args...),
		// GORACE: a -race binary otherwise sleeps 1s before it exits.
		SetEnv:   map[string]string{fakeEnv: "1", "GORACE": "atexit_sleep_ms=0"},
		OnDemand: true,
		Timeout:  10 * time.Second,
	}
}

func newPlugin(t testing.TB, c CheckConfig) *Plugin {
	t.Helper()
	p, err := NewPlugin(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, c CheckConfig, args ...string) Outcome {
	t.Helper()
	return newPlugin(t, c).Run(t.Context(), args)
}

func TestPluginStates(t *testing.T) {
	for code := range 4 {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			o := run(t, fake(t, "print", strconv.Itoa(code), "FAKE said "+strconv.Itoa(code)+" | a=1s;2;3 b=U\nmore\n"))
			r := o.Result
			if r.State != nagios.State(code) || r.Output != "FAKE said "+strconv.Itoa(code) || r.LongOutput != "more" {
				t.Errorf("result = %+v", r)
			}
			if len(r.Perf) != 1 || r.Perf[0].Label != "a" || r.Perf[0].Value != 1 || o.DroppedPerf != 1 || len(o.Faults) != 0 {
				t.Errorf("perf = %+v, dropped %d, faults %v", r.Perf, o.DroppedPerf, o.Faults)
			}
		})
	}
}

// pidGone reports whether pid no longer runs; a zombie counts as gone, as
// reaping an orphan is its new parent's business (init, or a subreaper).
func pidGone(pid int) bool {
	if err := unix.Kill(pid, 0); errors.Is(err, unix.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// pid (comm) STATE ...: comm may hold spaces and parentheses.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	return strings.HasPrefix(strings.TrimSpace(rest), "Z")
}

// awaitGone polls until pid is gone, bounded by a deadline: the kernel
// finishes a SIGKILLed process asynchronously.
func awaitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !pidGone(pid) {
		if time.Now().After(deadline) {
			_ = unix.Kill(pid, unix.SIGKILL)
			t.Fatalf("process %d still running", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func TestPluginMisbehaving(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "check_noexec")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\necho OK\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		check     CheckConfig
		grace     time.Duration
		state     nagios.State
		output    string // prefix
		long      string // substring
		faults    []Fault
		perf      int
		grandkids bool
	}{
		{name: "exit 4", check: fake(t, "print", "4", "odd | x=1"), state: nagios.Unknown,
			output: "(Return code of 4 is out of bounds) odd", faults: []Fault{FaultExitCode}, perf: 1},
		{name: "exit 137 by SIGKILL", check: fake(t, "selfkill"), state: nagios.Unknown,
			output: "plugin killed by signal KILL", long: "about to die", faults: []Fault{FaultSignal}},
		{name: "timeout", check: withTimeout(fake(t, "hang"), 2*time.Second), state: nagios.Unknown,
			output: "plugin timed out after 2s", long: "started", faults: []Fault{FaultTimeout}},
		{name: "timeout ignoring SIGTERM", check: withTimeout(fake(t, "hang-ignore-term"), 2*time.Second), grace: 100 * time.Millisecond,
			state: nagios.Unknown, output: "plugin timed out after 2s and was killed (SIGTERM was ignored)", faults: []Fault{FaultTimeout}},
		{name: "no output", check: fake(t, "silent"), state: nagios.Unknown, output: "(No output returned from plugin)", faults: []Fault{FaultNoOutput}},
		{name: "only stderr, exit 0", check: fake(t, "stderr", "0", "it broke\ndetails"), state: nagios.Unknown,
			output: "(No output on stdout) stderr: it broke", long: "details", faults: []Fault{FaultNoOutput}},
		{name: "only stderr, exit 2 stays critical", check: fake(t, "stderr", "2", "disk gone"), state: nagios.Critical,
			output: "(No output on stdout) stderr: disk gone", faults: []Fault{FaultNoOutput}},
		{name: "binary", check: fake(t, "binary"), state: nagios.Unknown, output: "(Plugin output is binary, not text: 18 bytes", faults: []Fault{FaultBinary}},
		{name: "latin1 and escapes are sanitised", check: fake(t, "latin1"), state: nagios.OK, output: "OK - Pr\uFFFDfung \uFFFD[32mgr\uFFFDn\uFFFD[0m"},
		{name: "huge output keeps state and first-line perfdata", check: fake(t, "huge"), state: nagios.Warning,
			output: "WARNING - lots", long: "(output truncated: the plugin wrote 10485783 bytes, output_cap is 64KiB)", faults: []Fault{FaultTruncated}, perf: 1},
		{name: "huge line drops its perfdata", check: fake(t, "hugeline"), state: nagios.OK, output: "OK", long: "(output truncated", faults: []Fault{FaultTruncated}},
		{name: "not found", check: CheckConfig{Name: "x", Command: []string{"/nonexistent/check_x"}}, state: nagios.Unknown,
			output: "(Return code of 127 is out of bounds - plugin may be missing) fork/exec /nonexistent/check_x: no such file or directory", faults: []Fault{FaultStart}},
		{name: "not executable", check: CheckConfig{Name: "x", Command: []string{notExec}}, state: nagios.Unknown,
			output: "(Return code of 126 is out of bounds - plugin may not be executable) fork/exec " + notExec + ": permission denied", faults: []Fault{FaultStart}},
		{name: "grandchild holding stdout", check: fake(t, "grandchild"), state: nagios.OK, output: "OK - forked", perf: 1, grandkids: true},
		{name: "grandchild and timeout", check: withTimeout(fake(t, "grandchild-hang"), 2*time.Second), state: nagios.Unknown,
			output: "plugin timed out after 2s", long: "OK - forked", faults: []Fault{FaultTimeout}, grandkids: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pidFile := filepath.Join(t.TempDir(), "pid")
			if tc.grandkids {
				tc.check.Command = append(tc.check.Command, pidFile)
			}
			p := newPlugin(t, tc.check)
			if tc.grace > 0 {
				p.grace = tc.grace
			}
			o := p.Run(t.Context(), nil)
			r := o.Result
			if r.State != tc.state || !strings.HasPrefix(r.Output, tc.output) || !strings.Contains(r.LongOutput, tc.long) {
				t.Errorf("result: state %v, output %q, long output %.200q; want %v, %q..., ...%q...", r.State, r.Output, r.LongOutput, tc.state, tc.output, tc.long)
			}
			if !slices.Equal(o.Faults, tc.faults) || len(r.Perf) != tc.perf {
				t.Errorf("faults %v, %d perf items; want %v, %d", o.Faults, len(r.Perf), tc.faults, tc.perf)
			}
			if tc.grandkids {
				awaitGone(t, readPid(t, pidFile))
			}
		})
	}
}

// withTimeout sets a timeout; the plugins that must print something before
// it need a margin for a -race test binary starting on a loaded machine.
func withTimeout(c CheckConfig, d time.Duration) CheckConfig {
	c.Timeout = d
	return c
}

// A process that left the plugin's group keeps stdout open; the run must
// still end, about a second after the plugin.
func TestPluginEscapedChildDoesNotHang(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	o := run(t, fake(t, "escape", pidFile))
	pid := readPid(t, pidFile)
	t.Cleanup(func() {
		_ = unix.Kill(pid, unix.SIGKILL)
		awaitGone(t, pid)
	})
	if o.Result.State != nagios.OK || o.Result.Output != "OK - forked" {
		t.Errorf("result = %+v", o.Result)
	}
}

func TestPluginArguments(t *testing.T) {
	c := fake(t, "args", "-w", "$ARG1$", "--x=$ARG2$", "$ARG3$", "$(id)", "; rm -rf /")
	p := newPlugin(t, c)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"-w", "", "--x=", "", "$(id)", "; rm -rf /"}},
		// A value that looks like a placeholder or shell stays literal.
		{[]string{"$ARG2$", "a b", "`reboot`"}, []string{"-w", "$ARG2$", "--x=a b", "`reboot`", "$(id)", "; rm -rf /"}},
	} {
		o := p.Run(t.Context(), tc.args)
		var got []string
		if err := json.Unmarshal([]byte(o.Result.Output), &got); err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("args %q: plugin got %s (%v), want %q", tc.args, o.Result.Output, err, tc.want)
		}
	}
	o := p.Run(t.Context(), make([]string, MaxArgs+1))
	if o.Result.State != nagios.Unknown || !slices.Equal(o.Faults, []Fault{FaultArgs}) {
		t.Errorf("17 arguments: %+v", o)
	}
	o = p.Run(t.Context(), []string{"a\x00b"})
	if !strings.Contains(o.Result.Output, "NUL") {
		t.Errorf("NUL argument: %+v", o.Result)
	}
}

func TestPluginShell(t *testing.T) {
	c := CheckConfig{Name: "sh", Command: []string{`echo "got $1 as $0"; exit 1`, "$ARG1$"}, Shell: true, OnDemand: true}
	o := run(t, c, "a; exit 0")
	if o.Result.State != nagios.Warning || o.Result.Output != "got a; exit 0 as sh" {
		t.Errorf("result = %+v", o.Result)
	}
	if got := newPlugin(t, c).Command(); got != `/bin/sh -c "echo \"got $1 as $0\"; exit 1" $ARG1$` {
		t.Errorf("Command() = %s", got)
	}
	// Without shell: true nothing is interpreted.
	o = run(t, CheckConfig{Name: "echo", Command: []string{"echo", "$(id)", ">", "/tmp/x"}})
	if o.Result.Output != "$(id) > /tmp/x" {
		t.Errorf("echo without shell = %+v", o.Result)
	}
}

func TestPluginEnv(t *testing.T) {
	t.Setenv("VIGIL_TEST_ALLOWED", "yes")
	t.Setenv("VIGIL_TEST_SECRET", "hunter2")
	c := fake(t, "env")
	c.Env = []string{"VIGIL_TEST_ALLOWED", "VIGIL_TEST_UNSET"}
	c.SetEnv["FIXED"] = "a=b"
	want := []string{"FIXED=a=b", "GORACE=atexit_sleep_ms=0", defaultPath, "VIGIL_FAKE_PLUGIN=1", "VIGIL_TEST_ALLOWED=yes"}
	var got []string
	if err := json.Unmarshal([]byte(run(t, c).Result.Output), &got); err != nil || !slices.Equal(got, want) {
		t.Errorf("plugin environment = %q (%v), want %q", got, err, want)
	}
	c.Env = append(c.Env, "PATH")
	t.Setenv("PATH", "/opt/x/bin:"+os.Getenv("PATH"))
	if out := run(t, c).Result.Output; !strings.Contains(out, `"PATH=/opt/x/bin:`) {
		t.Errorf("allowed PATH not passed: %s", out)
	}
}

func TestPluginDir(t *testing.T) {
	if out := run(t, fake(t, "cwd")).Result.Output; out != "/" {
		t.Errorf("default dir = %q, want /", out)
	}
	c := fake(t, "cwd")
	c.Dir = t.TempDir()
	if out := run(t, c).Result.Output; out != c.Dir {
		t.Errorf("dir = %q, want %q", out, c.Dir)
	}
}

func TestPluginUser(t *testing.T) {
	if os.Geteuid() != 0 {
		// CI runs as root; there this must be tested, never skipped.
		if os.Getenv("CI") == "true" {
			t.Fatal("TestPluginUser needs root under CI=true (running a plugin as another user)")
		}
		t.Skip("running a plugin as another user needs root: run the tests as root")
	}
	o := run(t, CheckConfig{Name: "id", Command: []string{"/usr/bin/id"}, User: "nobody"})
	if o.Result.State != nagios.OK || !strings.HasPrefix(o.Result.Output, "uid=65534(nobody) gid=65534") {
		t.Errorf("id as nobody = %+v", o.Result)
	}
	if _, err := NewPlugin(CheckConfig{Name: "id", Command: []string{"/usr/bin/id"}, User: "no-such-user-vigil"}); err == nil {
		t.Error("unknown user accepted")
	}
}

// Stopping the caller's context stops the plugin's whole group at once.
func TestPluginCancelled(t *testing.T) {
	p := newPlugin(t, fake(t, "hang"))
	// Already cancelled: the plugin starts and is stopped at once.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	o := p.Run(ctx, nil)
	if o.Result.Output != "plugin run cancelled" || !slices.Equal(o.Faults, []Fault{FaultCancelled}) {
		t.Errorf("outcome = %+v", o)
	}
}

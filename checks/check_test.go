package checks

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigilmon/vigil/internal/nagios"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is the fixed "now" of the fixtures.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testEnv is an Env on fixtures: procRoot a temporary directory, the clock
// stopped at t0.
func testEnv(t *testing.T) Env {
	t.Helper()
	env := DefaultEnv()
	env.ProcRoot = t.TempDir()
	env.Now = func() time.Time { return t0 }
	return env
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustNew(t *testing.T, env Env, argv ...string) Check {
	t.Helper()
	c, err := NewWithEnv(argv, env)
	if err != nil {
		t.Fatalf("New(%q): %v", argv, err)
	}
	return c
}

// line is the plugin output of r: what Main prints, without the newline.
func line(r nagios.Result) string {
	text := r.Output
	if r.LongOutput != "" {
		text += "\n" + r.LongOutput
	}
	return nagios.FormatOutput(r.State, text, r.Perf)
}

func TestNames(t *testing.T) {
	want := []string{"cert", "disk", "file_age", "http", "load", "log_growth", "memory", "procs", "swap", "tcp"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
}

func TestNewRejectsBadArguments(t *testing.T) {
	tests := []struct {
		argv []string
		want string
	}{
		{nil, "no check name"},
		{[]string{"nope"}, `unknown check "nope"`},
		{[]string{"load", "-x"}, "flag provided but not defined: -x"},
		{[]string{"load", "-w", "1,2"}, "want one value or three"},
		{[]string{"load", "-w", "~"}, `parse -w: parse range "~"`},
		{[]string{"memory", "-c", "10:5"}, "parse -c"},
		{[]string{"memory", "extra"}, `unexpected argument "extra"`},
		{[]string{"disk", "-w", "20 parsecs"}, "unknown unit"},
		{[]string{"disk", "-W", "500MB"}, "want a percentage"},
		{[]string{"disk", "-w", "120%"}, "at most 100"},
		{[]string{"disk", "-p", "[/"}, "syntax error in pattern"},
		{[]string{"disk", "-t", "0"}, "must be positive"},
		{[]string{"procs", "-s", "Q"}, "not a process state"},
		{[]string{"procs", "-a", "("}, "parse -a"},
		{[]string{"procs", "-u", "no-such-user-vigil"}, "look up user"},
		{[]string{"tcp", "-p", "22"}, "-H host is required"},
		{[]string{"tcp", "-H", "x", "-p", "70000"}, "want a port"},
		{[]string{"http", "-u", "ftp://x"}, "want an http:// or https:// URL"},
		{[]string{"http", "-u", "http://x", "-C", "30"}, "-C needs an https:// URL"},
		{[]string{"http", "-u", "http://x", "-e", "2xx"}, "not a status code"},
		{[]string{"cert"}, "-f file is required"},
		{[]string{"cert", "-f", "x", "-w", "abc"}, "parse -w"},
		{[]string{"file_age", "-f", "x", "-W", "1:0"}, "parse -W"},
		{[]string{"log_growth"}, "-f file is required"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.argv, " "), func(t *testing.T) {
			_, err := NewWithEnv(tt.argv, testEnv(t))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

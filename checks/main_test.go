package checks

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestMainPlugin(t *testing.T) {
	env := testEnv(t)
	writeFile(t, filepath.Join(env.ProcRoot, "meminfo"), meminfo)
	writeFile(t, filepath.Join(env.ProcRoot, "loadavg"), "3.00 2.00 1.00 2/345 6789\n")
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string
		stderrHas  string
		stdoutHas  string
		stdoutNone string
	}{
		{name: "critical", args: []string{"memory", "-w", "60", "-c", "70"}, code: 2,
			stdout: "MEMORY CRITICAL - 75.0% used (5.7 GiB of 7.6 GiB, 1.9 GiB available) | used_pct=75%;60;70;0;100 used=6144000000B;;;0;8192000000\n"},
		{name: "ok", args: []string{"load", "-w", "5"}, code: 0,
			stdout: "LOAD OK - load average: 3.00, 2.00, 1.00 | load1=3;5;;0 load5=2;5;;0 load15=1;5;;0\n"},
		{name: "bad range", args: []string{"memory", "-w", "x"}, code: 3,
			stdout: "MEMORY UNKNOWN - configure memory: parse -w: parse range \"x\": \"x\" is not a number\n", stderrHas: "Usage: vigil-agent check memory"},
		{name: "bad flag", args: []string{"load", "--bogus"}, code: 3,
			stdout: "LOAD UNKNOWN - parse load flags: flag provided but not defined: -bogus\n", stderrHas: "-r\tdivide the load"},
		{name: "unknown check", args: []string{"ntp"}, code: 3,
			stdout: "UNKNOWN - unknown check \"ntp\" (want one of cert, disk, file_age, http, load, log_growth, memory, procs, swap, tcp)\n"},
		{name: "help", args: []string{"disk", "-h"}, code: 3, stdoutHas: "Usage: vigil-agent check disk [flags]", stdoutNone: "UNKNOWN"},
		{name: "overview", args: nil, code: 3, stdoutHas: "  log_growth  a log file that stopped growing\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := runMain(t.Context(), tt.args, &stdout, &stderr, env)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if tt.stdout != "" && stdout.String() != tt.stdout {
				t.Errorf("stdout = %q\nwant     %q", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stdout.String(), tt.stdoutHas) || (tt.stdoutNone != "" && strings.Contains(stdout.String(), tt.stdoutNone)) {
				t.Errorf("stdout = %q, want it to contain %q and not %q", stdout.String(), tt.stdoutHas, tt.stdoutNone)
			}
			if !strings.Contains(stderr.String(), tt.stderrHas) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.stderrHas)
			}
		})
	}
}

// The real host through the public entry point.
func TestMainRealHostDisk(t *testing.T) {
	var stdout, stderr strings.Builder
	code := Main([]string{"disk", "-w", "1%", "-c", "1%", "-p", "/"}, &stdout, &stderr)
	if code < 0 || code > 2 || !strings.HasPrefix(stdout.String(), "DISK ") || stderr.Len() > 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

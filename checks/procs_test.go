package checks

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilmon/vigil/internal/nagios"
)

// fakeProc writes /proc/PID/{stat,status,cmdline} for each process.
type fakeProcess struct {
	pid   int
	comm  string
	state byte
	uid   int
	argv  []string
}

func fakeProc(t *testing.T, root string, procs ...fakeProcess) {
	for _, p := range procs {
		dir := filepath.Join(root, fmt.Sprint(p.pid))
		writeFile(t, filepath.Join(dir, "stat"), fmt.Sprintf("%d (%s) %c 1 %d %d 0 -1 4194560\n", p.pid, p.comm, p.state, p.pid, p.pid))
		writeFile(t, filepath.Join(dir, "status"), fmt.Sprintf("Name:\t%s\nUid:\t%d\t%d\t%d\t%d\n", p.comm, p.uid, p.uid, p.uid, p.uid))
		cmdline := ""
		for _, a := range p.argv {
			cmdline += a + "\x00"
		}
		writeFile(t, filepath.Join(dir, "cmdline"), cmdline)
	}
}

func TestProcs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
		st   nagios.State
	}{
		{"all", nil, "PROCS OK - 5 processes | procs=5;;;0", nagios.OK},
		{"by name, at least one", []string{"-C", "nginx", "-c", "1:"}, "PROCS OK - 2 processes with command name 'nginx' | procs=2;;1:;0", nagios.OK},
		{"comm with space and parens", []string{"-C", "a) R (b", "-w", "0"}, "PROCS WARNING - 1 process with command name 'a) R (b' | procs=1;0;;0", nagios.Warning},
		{"name missing", []string{"-C", "postgres", "-c", "1:"}, "PROCS CRITICAL - 0 processes with command name 'postgres' | procs=0;;1:;0", nagios.Critical},
		{"zombies", []string{"-s", "Z", "-w", "0", "-c", "5"}, "PROCS WARNING - 1 process with state Z | procs=1;0;5;0", nagios.Warning},
		{"args regex", []string{"-a", `worker --queue=mail\b`}, "PROCS OK - 1 process with args matching 'worker --queue=mail\\b' | procs=1;;;0", nagios.OK},
		{"long flag", []string{"--argument-array", "nginx: worker"}, "PROCS OK - 1 process with args matching 'nginx: worker' | procs=1;;;0", nagios.OK},
		{"by uid and name", []string{"-u", "33", "-C", "nginx"}, "PROCS OK - 1 process with command name 'nginx', user 33 | procs=1;;;0", nagios.OK},
		{"by user name", []string{"-u", "root", "-s", "RS"}, "PROCS OK - 3 processes with state RS, user root | procs=3;;;0", nagios.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t)
			env.Self = 999
			fakeProc(t, env.ProcRoot, []fakeProcess{
				{1, "systemd", 'S', 0, []string{"/sbin/init"}},
				{2, "kthreadd", 'S', 0, nil},
				{100, "nginx", 'S', 0, []string{"nginx: master process /usr/sbin/nginx"}},
				{101, "nginx", 'R', 33, []string{"nginx: worker process"}},
				{200, "a) R (b", 'Z', 1000, []string{"python3", "worker", "--queue=mail"}},
				{999, "vigil-agent", 'R', 0, []string{"vigil-agent"}}, // itself, never counted
			}...)
			writeFile(t, filepath.Join(env.ProcRoot, "self", "stat"), "not a pid dir\n")
			r := mustNew(t, env, append([]string{"procs"}, tt.args...)...).Run(t.Context())
			if got := line(r); got != tt.want || r.State != tt.st {
				t.Fatalf("got %s %s\nwant %s %s", r.State, got, tt.st, tt.want)
			}
		})
	}
}

// A process that exits between the directory listing and the read is
// skipped; a stat file that does not parse is an error, not a silent skip.
func TestProcsVanishedAndGarbage(t *testing.T) {
	env := testEnv(t)
	writeFile(t, filepath.Join(env.ProcRoot, "300", "status"), "Uid:\t0\t0\t0\t0\n") // stat gone
	r := mustNew(t, env, "procs", "-C", "x").Run(t.Context())
	if r.State != nagios.OK || !strings.HasPrefix(r.Output, "PROCS OK - 0 processes") {
		t.Fatalf("vanished: got %s", line(r))
	}
	writeFile(t, filepath.Join(env.ProcRoot, "301", "stat"), "garbage\n")
	r = mustNew(t, env, "procs", "-C", "x").Run(t.Context())
	if r.State != nagios.Unknown || !strings.Contains(r.Output, "parse stat") {
		t.Fatalf("garbage: got %s", line(r))
	}
}

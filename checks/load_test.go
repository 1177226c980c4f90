package checks

import (
	"path/filepath"
	"testing"

	"github.com/vigilmon/vigil/internal/nagios"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
		st   nagios.State
	}{
		{"no thresholds", nil, "LOAD OK - load average: 3.00, 2.00, 1.00 | load1=3;;;0 load5=2;;;0 load15=1;;;0", nagios.OK},
		{"triple", []string{"-w", "2.5,2.5,2.5", "-c", "5,4,3"}, "LOAD WARNING - load average: 3.00, 2.00, 1.00 | load1=3;2.5;5;0 load5=2;2.5;4;0 load15=1;2.5;3;0", nagios.Warning},
		{"one value for all", []string{"-c", "1.5"}, "LOAD CRITICAL - load average: 3.00, 2.00, 1.00 | load1=3;;1.5;0 load5=2;;1.5;0 load15=1;;1.5;0", nagios.Critical},
		{"per cpu scales perf thresholds", []string{"-r", "-w", "0.7", "-c", "1"}, "LOAD WARNING - load average per CPU: 0.75, 0.50, 0.25 (4 CPUs) | load1=3;2.8;4;0 load5=2;2.8;4;0 load15=1;2.8;4;0", nagios.Warning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t)
			writeFile(t, filepath.Join(env.ProcRoot, "loadavg"), "3.00 2.00 1.00 2/345 6789\n")
			writeFile(t, filepath.Join(env.ProcRoot, "stat"), "cpu  1 1 1 1\ncpu0 1\ncpu1 1\ncpu2 1\ncpu3 1\nintr 5\n")
			r := mustNew(t, env, append([]string{"load"}, tt.args...)...).Run(t.Context())
			if got := line(r); got != tt.want || r.State != tt.st {
				t.Fatalf("got %s %s\nwant %s %s", r.State, got, tt.st, tt.want)
			}
		})
	}
}

func TestLoadMissingFileIsUnknown(t *testing.T) {
	r := mustNew(t, testEnv(t), "load").Run(t.Context())
	if r.State != nagios.Unknown || r.Output[:15] != "LOAD UNKNOWN - " {
		t.Fatalf("got %s", line(r))
	}
}

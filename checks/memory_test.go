package checks

import (
	"path/filepath"
	"testing"

	"github.com/vigilmon/vigil/internal/nagios"
)

const meminfo = `MemTotal:        8000000 kB
MemFree:          500000 kB
MemAvailable:    2000000 kB
Buffers:          100000 kB
Cached:          1500000 kB
SwapTotal:       4000000 kB
SwapFree:        1000000 kB
`

func TestMemoryAndSwap(t *testing.T) {
	tests := []struct {
		name    string
		meminfo string
		argv    []string
		want    string
		st      nagios.State
	}{
		{"memory critical", meminfo, []string{"memory", "-w", "70", "-c", "74.9"},
			"MEMORY CRITICAL - 75.0% used (5.7 GiB of 7.6 GiB, 1.9 GiB available) | used_pct=75%;70;74.9;0;100 used=6144000000B;;;0;8192000000", nagios.Critical},
		// Range ends are inclusive: exactly 75% is not above 75.
		{"memory at the bound", meminfo, []string{"memory", "-w", "70", "-c", "75"},
			"MEMORY WARNING - 75.0% used (5.7 GiB of 7.6 GiB, 1.9 GiB available) | used_pct=75%;70;75;0;100 used=6144000000B;;;0;8192000000", nagios.Warning},
		{"memory ok", meminfo, []string{"memory", "-w", "80", "-c", "90"},
			"MEMORY OK - 75.0% used (5.7 GiB of 7.6 GiB, 1.9 GiB available) | used_pct=75%;80;90;0;100 used=6144000000B;;;0;8192000000", nagios.OK},
		{"swap warning", meminfo, []string{"swap", "-w", "50", "-c", "80"},
			"SWAP WARNING - 75.0% used (2.9 GiB of 3.8 GiB) | used_pct=75%;50;80;0;100 used=3072000000B;;;0;4096000000", nagios.Warning},
		{"no swap", "MemTotal: 1 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n", []string{"swap", "-c", "1"}, "SWAP OK - no swap configured", nagios.OK},
		{"old kernel", "MemTotal: 1000 kB\nMemFree: 10 kB\n", []string{"memory"}, "MEMORY UNKNOWN - read meminfo: no MemTotal or MemAvailable", nagios.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t)
			writeFile(t, filepath.Join(env.ProcRoot, "meminfo"), tt.meminfo)
			r := mustNew(t, env, tt.argv...).Run(t.Context())
			if got := line(r); got != tt.want || r.State != tt.st {
				t.Fatalf("got %s %s\nwant %s %s", r.State, got, tt.st, tt.want)
			}
		})
	}
}

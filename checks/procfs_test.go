package checks

import (
	"strings"
	"testing"
)

func TestParseLoadavg(t *testing.T) {
	got, err := parseLoadavg([]byte("0.52 0.58 0.59 1/467 12345\n"))
	if err != nil || got != [3]float64{0.52, 0.58, 0.59} {
		t.Fatalf("parseLoadavg = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0.5 0.5", "0.5 x 0.5 1/2 3", "-1 0 0 1/1 1"} {
		if _, err := parseLoadavg([]byte(bad)); err == nil {
			t.Errorf("parseLoadavg(%q): no error", bad)
		}
	}
}

func TestCountCPUs(t *testing.T) {
	stat := "cpu  10 0 5 100 0 0 0 0 0 0\ncpu0 5 0 2 50 0 0 0 0 0 0\ncpu1 5 0 3 50 0 0 0 0 0 0\ncpu17 1 1 1 1\nintr 1 2 3\nctxt 42\n"
	if n, err := countCPUs([]byte(stat)); err != nil || n != 3 {
		t.Fatalf("countCPUs = %d, %v; want 3", n, err)
	}
	if _, err := countCPUs([]byte("cpu  1 2 3\n")); err == nil {
		t.Fatal("no cpuN lines: want an error")
	}
}

func TestParseMeminfo(t *testing.T) {
	m, err := parseMeminfo([]byte("MemTotal:       16318412 kB\nMemFree:          812340 kB\nMemAvailable:    9123456 kB\nHugePages_Total:       0\nHugepagesize:       2048 kB\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{"MemTotal": 16318412 * 1024, "MemFree": 812340 * 1024, "MemAvailable": 9123456 * 1024, "HugePages_Total": 0, "Hugepagesize": 2048 * 1024}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %d, want %d", k, m[k], v)
		}
	}
	if _, err := parseMeminfo([]byte("MemTotal: lots kB\n")); err == nil {
		t.Error("bad number: want an error")
	}
	if _, err := parseMeminfo(nil); err == nil {
		t.Error("empty: want an error")
	}
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		line string
		want procStat
	}{
		{"1 (systemd) S 0 1 1 0 -1 4194560", procStat{1, "systemd", 'S'}},
		{"42 (tmux: server) R 1 42 42 0", procStat{42, "tmux: server", 'R'}},
		{"7 ((sd-pam)) S 1 7 7 0", procStat{7, "(sd-pam)", 'S'}},
		// A process can name itself to look like the end of the comm.
		{"99 (a) R (b) Z 1 2 3", procStat{99, "a) R (b", 'Z'}},
		{"5 () D 1", procStat{5, "", 'D'}},
	}
	for _, tt := range tests {
		got, err := parseStat([]byte(tt.line))
		if err != nil || got != tt.want {
			t.Errorf("parseStat(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "1 systemd S", "x (a) S", "0 (a) S", "1 (a)", "1 (a)S", "1 (a) 9"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q): no error", bad)
		}
	}
}

func TestParseStatusUID(t *testing.T) {
	uid, err := parseStatusUID([]byte("Name:\tbash\nState:\tS (sleeping)\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n"))
	if err != nil || uid != 0 {
		t.Fatalf("parseStatusUID = %d, %v; want the effective uid 0", uid, err)
	}
	for _, bad := range []string{"Name:\tx\n", "Uid:\t1000\n", "Uid:\t1\tx\t1\t1\n"} {
		if _, err := parseStatusUID([]byte(bad)); err == nil {
			t.Errorf("parseStatusUID(%q): no error", bad)
		}
	}
}

// FuzzParseStat: a process chooses its comm, so no stat line panics, and
// an accepted line gives a positive pid and a comm that was between
// parentheses on the line.
func FuzzParseStat(f *testing.F) {
	f.Fuzz(func(t *testing.T, line string) {
		st, err := parseStat([]byte(line))
		if err != nil {
			return
		}
		if st.pid <= 0 || !strings.Contains(line, "("+st.comm+") ") {
			t.Fatalf("parseStat(%q) = %+v", line, st)
		}
	})
}

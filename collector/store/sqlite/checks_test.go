package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/model"
)

func checkResult(ts time.Time, name string, state int, stateType, output string) model.CheckResult {
	return model.CheckResult{Timestamp: ms(ts), Name: name, State: state, StateType: stateType, Attempt: 1, MaxAttempts: 3,
		Output: output, LastChange: ms(ts), DurationUS: 2500, Command: "/usr/lib/nagios/plugins/check_" + name,
		Perf: []model.PerfValue{{Label: "time", Value: 0.25, Unit: "s", Warn: "1", Crit: "2"}}}
}

func TestChecksNewestWinsAndAgeOut(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "v.db"), Options{})
	b1 := batch("a", 1, "web-1", event(t0, nil, "f", 1.0))
	b1.Checks = []model.CheckResult{
		checkResult(t0, "load", model.StateOK, model.StateTypeHard, "OK - load average: 0.1"),
		checkResult(t0, "disk", model.StateCritical, model.StateTypeSoft, "DISK CRITICAL - / 99% used"),
	}
	b2 := batch("a", 2, "web-1", event(t0.Add(time.Minute), nil, "f", 2.0))
	b2.Checks = []model.CheckResult{checkResult(t0.Add(time.Minute), "disk", model.StateCritical, model.StateTypeHard, "DISK CRITICAL - / 99.5% used")}
	write(t, s, t0, b1, b2)
	// A replay of an older result (spool catch-up, another collector) must not
	// bring back an outdated status.
	b3 := batch("b", 1, "web-1", event(t0, nil, "f", 1.0))
	b3.Checks = []model.CheckResult{checkResult(t0.Add(-time.Minute), "disk", model.StateOK, model.StateTypeHard, "DISK OK")}
	write(t, s, t0.Add(time.Minute), b3)
	// A duplicate batch writes nothing, also no check result.
	if res := write(t, s, t0.Add(time.Minute), b2); !res[0].Duplicate {
		t.Fatal("resent batch not a duplicate")
	}

	d, err := s.Host(context.Background(), "web-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Checks) != 2 || d.Checks[0].Name != "disk" || d.Checks[1].Name != "load" {
		t.Fatalf("checks = %+v, want disk and load", d.Checks)
	}
	disk := d.Checks[0]
	if disk.State != "CRITICAL" || disk.StateCode != 2 || disk.StateType != "hard" || disk.Output != "DISK CRITICAL - / 99.5% used" ||
		!disk.LastCheck.Equal(t0.Add(time.Minute)) || disk.DurationMS != 2.5 || len(disk.Perf) != 1 || disk.Perf[0].Crit != "2" {
		t.Fatalf("disk = %+v", disk)
	}
	if n := count(t, s, "check_results"); n != 4 {
		t.Fatalf("check_results has %d rows, want 4", n)
	}

	if _, err := s.DeleteBefore(context.Background(), t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "check_results"); n != 1 {
		t.Fatalf("after retention check_results has %d rows, want 1", n)
	}
	d, err = s.Host(context.Background(), "web-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Checks) != 1 || d.Checks[0].Name != "disk" {
		t.Fatalf("after retention checks = %+v, want only disk (load went silent)", d.Checks)
	}
}

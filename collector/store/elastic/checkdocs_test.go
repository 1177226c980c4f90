package elastic

import (
	"context"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/testutil/fakees"
)

// Check results land in logs-vigil.check-*, with perfdata as numbers, and
// the host read shows the newest result of every check — also of one that
// ran long before a flood of results of another.
func TestCheckResults(t *testing.T) {
	srv := fakees.New(fakees.Options{})
	defer srv.Close()
	r := openRig(t, srv, esClient(t, srv), testCommon(t), "c1")
	now := time.Now().Truncate(time.Second)
	lo := 0.0
	check := func(ts time.Time, name string, state int, out string) model.CheckResult {
		return model.CheckResult{Timestamp: ts.UnixMilli(), Name: name, Command: "check_" + name, State: state, StateType: "hard",
			Attempt: 1, MaxAttempts: 3, Output: out, LastChange: ts.Add(-time.Hour).UnixMilli(), DurationUS: 1500,
			Perf: []model.PerfValue{{Label: "/var/lib", Value: 42, Unit: "%", Warn: "80", Crit: "90", Min: &lo}}}
	}
	first := batch("a", 1, now.Add(-time.Hour), 0.1)
	first.Checks = []model.CheckResult{check(now.Add(-time.Hour), "hourly", 2, "CRITICAL - stale backup")}
	r.write(first)
	var floods []*model.Batch
	for i := range 3 {
		b := batch("a", uint64(i+2), now.Add(time.Duration(i-3)*time.Second), 0.2)
		for j := range 400 {
			b.Checks = append(b.Checks, check(now.Add(time.Duration(i-3)*time.Second+time.Duration(j)*time.Millisecond), "busy", 0, "OK"))
		}
		floods = append(floods, b)
	}
	r.write(floods...)
	docs := r.waitDocs("logs-vigil.check-default", 1201)

	var hourly map[string]any
	for _, d := range docs {
		if d.Source["vigil.check.name"] == "hourly" {
			hourly = d.Source
		}
	}
	if hourly == nil || hourly["message"] != "CRITICAL - stale backup" || hourly["vigil.check.state_name"] != "CRITICAL" ||
		hourly["vigil.check.perfdata._var_lib"] != 42.0 || hourly["event.duration"] != 1.5e6 {
		t.Fatalf("hourly document: %v", hourly)
	}
	d, err := r.st.Host(context.Background(), "host-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Checks) != 2 || d.Checks[0].Name != "busy" || d.Checks[1].Name != "hourly" {
		t.Fatalf("checks %+v", d.Checks)
	}
	h := d.Checks[1]
	if h.State != "CRITICAL" || h.Output != "CRITICAL - stale backup" || !h.LastCheck.Equal(now.Add(-time.Hour)) ||
		!h.LastChange.Equal(now.Add(-2*time.Hour)) || len(h.Perf) != 1 || h.Perf[0].Crit != "90" || h.DurationMS != 1.5 {
		t.Fatalf("hourly status %+v", h)
	}
}

package checkrun

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/nagios"
	"github.com/vigilmon/vigil/internal/testutil/peers"
)

// The real monitoring-plugins (Debian's package), through the runner.
func TestMonitoringPlugins(t *testing.T) {
	dir := peers.Plugins(t)
	plugin := func(name string) string { return filepath.Join(dir, name) }
	rec := &recorder{}
	r := newRunner(t, Options{Config: Config{Checks: []CheckConfig{
		{Name: "dummy", Command: []string{plugin("check_dummy"), "$ARG1$", "$ARG2$"}, OnDemand: true},
		{Name: "load", Command: []string{plugin("check_load"), "-w", "1000,1000,1000", "-c", "2000,2000,2000"}, OnDemand: true},
		{Name: "disk", Command: []string{plugin("check_disk"), "-w", "1%", "-c", "1%", "-p", "/"}, OnDemand: true},
		{Name: "procs", Command: []string{plugin("check_procs")}, OnDemand: true},
	}}, Sink: rec.sink})

	t.Run("check_dummy", func(t *testing.T) {
		for code, word := range []string{"OK", "WARNING", "CRITICAL", "UNKNOWN"} {
			res, err := r.RunNow(t.Context(), "dummy", []string{strconv.Itoa(code), "all is well; $HOME `id`"})
			if err != nil || res.State != nagios.State(code) || res.Output != word+": all is well; $HOME `id`" {
				t.Errorf("check_dummy %d = %+v, %v", code, res, err)
			}
		}
		// check_dummy 4 is its own usage error: UNKNOWN, from its exit code.
		if res, _ := r.RunNow(t.Context(), "dummy", []string{"4"}); res.State != nagios.Unknown {
			t.Errorf("check_dummy 4 = %+v", res)
		}
	})
	t.Run("check_load", func(t *testing.T) {
		res, err := r.RunNow(t.Context(), "load", nil)
		if err != nil || res.State != nagios.OK || len(res.Perf) != 3 || res.Perf[0].Label != "load1" || res.Perf[0].Warn == nil || res.Perf[0].Warn.End != 1000 {
			t.Errorf("check_load = %+v, %v", res, err)
		}
	})
	t.Run("check_disk", func(t *testing.T) {
		res, err := r.RunNow(t.Context(), "disk", nil)
		if err != nil || res.State != nagios.OK || len(res.Perf) != 1 {
			t.Fatalf("check_disk = %+v, %v", res, err)
		}
		p := res.Perf[0]
		if p.Label != "/" || p.Unit != "B" || p.Value <= 0 || p.Max == nil || *p.Max < p.Value || p.Min == nil || *p.Min != 0 {
			t.Errorf("check_disk perfdata = %+v", p)
		}
	})
	t.Run("check_procs", func(t *testing.T) {
		res, err := r.RunNow(t.Context(), "procs", nil)
		if err != nil || res.State != nagios.OK || len(res.Perf) != 1 || res.Perf[0].Label != "procs" || res.Perf[0].Value < 1 {
			t.Errorf("check_procs = %+v, %v", res, err)
		}
	})
}

// A scheduled real plugin reaches the sink as a CheckResult and an event.
func TestMonitoringPluginScheduled(t *testing.T) {
	dir := peers.Plugins(t)
	got := make(chan model.CheckResult, 1)
	events := make(chan []model.Event, 1)
	r := newRunner(t, Options{
		Config: Config{Checks: []CheckConfig{{Name: "load", Command: []string{filepath.Join(dir, "check_load"), "-w", "1000,1000,1000", "-c", "2000,2000,2000"}}}},
		Sink: func(cr model.CheckResult, evs []model.Event) {
			select {
			case got <- cr:
				events <- evs
			default:
			}
		},
	})
	r.Start()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var cr model.CheckResult
	select {
	case cr = <-got:
	case <-ctx.Done():
		t.Fatal("no result from the scheduled check")
	}
	r.Stop()
	if cr.Name != "load" || cr.State != model.StateOK || cr.StateType != model.StateTypeHard || cr.Attempt != 1 ||
		cr.MaxAttempts != DefaultMaxAttempts || cr.DurationUS <= 0 || len(cr.Perf) != 3 ||
		cr.Command != filepath.Join(dir, "check_load")+" -w 1000,1000,1000 -c 2000,2000,2000" {
		t.Errorf("result = %+v", cr)
	}
	evs := <-events
	if len(evs) != 1 || evs[0].Dims["vigil.check.name"] != "load" {
		t.Fatalf("events = %+v", evs)
	}
	if _, ok := evs[0].Values["vigil.check.perfdata.load15"]; !ok {
		t.Errorf("event values = %v", evs[0].Values)
	}
}

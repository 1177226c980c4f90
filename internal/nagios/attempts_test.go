package nagios

import (
	"strings"
	"testing"

	"github.com/vigilmon/vigil/internal/model"
)

func TestAttempts(t *testing.T) {
	type step struct {
		state    State
		attempt  int
		hard     bool
		retrying bool
	}
	tests := []struct {
		name  string
		max   int
		steps []step
	}{
		{"problem turns hard on the last attempt", 3, []step{
			{OK, 1, true, false},
			{Critical, 1, false, true},
			{Warning, 2, false, true},
			{Critical, 3, true, false},
			{Critical, 3, true, false},
			{Warning, 3, true, false},
			{OK, 1, true, false},
		}},
		{"soft recovery resets the count", 3, []step{
			{Critical, 1, false, true},
			{Critical, 2, false, true},
			{OK, 1, true, false},
			{Critical, 1, false, true},
		}},
		{"max 1 is hard at once", 1, []step{
			{Unknown, 1, true, false},
			{OK, 1, true, false},
		}},
		{"max 0 means 1", 0, []step{
			{Warning, 1, true, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Attempts{Max: tt.max}
			for i, s := range tt.steps {
				attempt, hard := a.Next(s.state)
				if attempt != s.attempt || hard != s.hard || a.Retrying() != s.retrying {
					t.Fatalf("step %d (%v): got attempt %d hard %v retrying %v, want %d %v %v",
						i, s.state, attempt, hard, a.Retrying(), s.attempt, s.hard, s.retrying)
				}
			}
		})
	}
}

func TestAttemptsChanged(t *testing.T) {
	a := Attempts{Max: 2}
	for i, want := range []struct {
		s       State
		changed bool
	}{{OK, true}, {OK, false}, {Warning, true}, {Warning, false}, {Critical, true}, {OK, true}} {
		a.Next(want.s)
		if a.Changed() != want.changed {
			t.Fatalf("step %d (%v): changed %v, want %v", i, want.s, a.Changed(), want.changed)
		}
	}
}

func TestWirePerf(t *testing.T) {
	perfs, errs := ParsePerf("'time'=5ms;100;@10:20;0; load=1.5")
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	w := WirePerf(perfs)
	if len(w) != 2 || w[0].Label != "time" || w[0].Value != 0.005 || w[0].Unit != "s" ||
		w[0].Warn != "0.1" || w[0].Crit != "@0.01:0.02" || w[0].Min == nil || *w[0].Min != 0 || w[0].Max != nil {
		t.Fatalf("time: %+v", w[0])
	}
	if w[1].Warn != "" || w[1].Crit != "" || w[1].Unit != "" {
		t.Fatalf("load: %+v", w[1])
	}
	if WirePerf(nil) != nil {
		t.Fatal("no perfdata must stay nil")
	}
}

func TestPerfField(t *testing.T) {
	for label, want := range map[string]string{
		"/":         "vigil.check.perfdata._",
		"/var/lib":  "vigil.check.perfdata._var_lib",
		"Time (ms)": "vigil.check.perfdata.time_ms_",
		"load1":     "vigil.check.perfdata.load1",
		"a__b":      "vigil.check.perfdata.a__b",
		"über":      "vigil.check.perfdata._ber",
	} {
		if got := PerfField(label); got != want {
			t.Errorf("PerfField(%q) = %q, want %q", label, got, want)
		}
	}
}

func TestPerfEvent(t *testing.T) {
	if _, ok := PerfEvent(1, "c", nil); ok {
		t.Fatal("event without perfdata")
	}
	ev, ok := PerfEvent(5, "disk", []model.PerfValue{{Label: "/", Value: 1}, {Label: "-", Value: 2}, {Label: "x", Value: 3}})
	if _, ok := PerfEvent(1, "c", []model.PerfValue{{Label: strings.Repeat("x", 300), Value: 1}}); ok {
		t.Fatal("event with a field name the collector refuses")
	}
	if !ok || ev.Timestamp != 5 || ev.Dataset != "vigil.check" || ev.Dims["vigil.check.name"] != "disk" ||
		len(ev.Values) != 2 || ev.Values["vigil.check.perfdata._"] != 1 || ev.Values["vigil.check.perfdata.x"] != 3 {
		t.Fatalf("event = %+v", ev)
	}
}

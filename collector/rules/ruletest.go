package rules

import (
	"context"

	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/config"
	"github.com/vigilmon/vigil/internal/model"
)

// TestFile is a rule unit-test file for `vigil-collector test-rules`, in the
// spirit of promtool's: input series at stepped times in, expected alerts out.
//
// Values are space-separated: a number, `_` (no sample), `VxN` (V repeated N
// times), `A+BxN` / `A-BxN` (N values from A in steps of B), `_xN`.
type TestFile struct {
	RuleFiles []string `yaml:"rule_files"`
	// EvaluationInterval is how often rules are evaluated during the test.
	EvaluationInterval time.Duration `yaml:"evaluation_interval"`
	// Alerting overrides host_down and flapping settings; rule_files and
	// evaluation_interval inside it are ignored.
	Alerting *Config    `yaml:"alerting"`
	Tests    []TestCase `yaml:"tests"`
}

// TestCase is one scenario.
type TestCase struct {
	Name string `yaml:"name"`
	// Interval is the time between consecutive values of the input series and
	// the hosts' collection interval.
	Interval time.Duration `yaml:"interval"`
	Input    []InputSeries `yaml:"input_series"`
	Expect   []Expectation `yaml:"expect"`
}

// InputSeries is one series of one host.
type InputSeries struct {
	Host   string            `yaml:"host"`
	Field  string            `yaml:"field"`
	Dims   map[string]string `yaml:"dims"`
	Values string            `yaml:"values"`
}

// Expectation lists every alert that must be pending or firing at At (and
// any resolved ones named with state: resolved); anything else is a failure.
type Expectation struct {
	At     time.Duration   `yaml:"at"`
	Alerts []ExpectedAlert `yaml:"alerts"`
}

// ExpectedAlert matches one alert; Labels must be its complete label set
// (severity included while pending or firing).
type ExpectedAlert struct {
	Labels      map[string]string `yaml:"labels"`
	State       alert.State       `yaml:"state"`
	Flapping    bool              `yaml:"flapping"`
	Suppressed  string            `yaml:"suppressed"`
	Annotations map[string]string `yaml:"annotations"`
}

// UnmarshalYAML defaults the expected state to firing.
func (x *ExpectedAlert) UnmarshalYAML(unmarshal func(any) error) error {
	type plain ExpectedAlert
	p := plain{State: alert.Firing}
	if err := unmarshal(&p); err != nil {
		return err
	}
	*x = ExpectedAlert(p)
	return nil
}

// UnmarshalYAML defaults the sample interval.
func (tc *TestCase) UnmarshalYAML(unmarshal func(any) error) error {
	type plain TestCase
	p := plain{Interval: 10 * time.Second}
	if err := unmarshal(&p); err != nil {
		return err
	}
	*tc = TestCase(p)
	return nil
}

// Validate checks the test file.
func (f *TestFile) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(p, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: p, Msg: fmt.Sprintf(format, args...)})
	}
	if len(f.RuleFiles) == 0 {
		add("rule_files", "required")
	}
	if f.EvaluationInterval <= 0 {
		add("evaluation_interval", "must be positive")
	}
	if f.Alerting != nil {
		errs = append(errs, config.Prefix("alerting", f.Alerting.Validate())...)
	}
	for i, tc := range f.Tests {
		p := fmt.Sprintf("tests[%d]", i)
		if tc.Interval <= 0 {
			add(p+".interval", "must be positive")
		}
		for j, in := range tc.Input {
			if _, err := parseValues(in.Values); err != nil {
				add(fmt.Sprintf("%s.input_series[%d].values", p, j), "%v", err)
			}
			if in.Host == "" || in.Field == "" {
				add(fmt.Sprintf("%s.input_series[%d]", p, j), "host and field are required")
			}
		}
		for j, x := range tc.Expect {
			if f.EvaluationInterval > 0 && x.At%f.EvaluationInterval != 0 {
				add(fmt.Sprintf("%s.expect[%d].at", p, j), "%s is not a multiple of evaluation_interval %s", x.At, f.EvaluationInterval)
			}
		}
	}
	return errs
}

// parseValues expands the values notation; nil entries are missing samples.
func parseValues(s string) ([]*float64, error) {
	var out []*float64
	for _, tok := range strings.Fields(s) {
		base, count := tok, 1
		if i := strings.LastIndexByte(tok, 'x'); i > 0 {
			n, err := strconv.Atoi(tok[i+1:])
			if err != nil || n < 1 || n > 100000 {
				return nil, fmt.Errorf("bad repeat in %q: want VxN with N >= 1", tok)
			}
			base, count = tok[:i], n
		}
		if base == "_" {
			out = append(out, make([]*float64, count)...)
			continue
		}
		start, step := base, 0.0
		if i := strings.LastIndexAny(base, "+-"); i > 0 && base[i-1] != 'e' {
			st, err := strconv.ParseFloat(base[i:], 64)
			if err != nil {
				return nil, fmt.Errorf("bad step in %q", tok)
			}
			start, step = base[:i], st
		}
		a, err := strconv.ParseFloat(start, 64)
		if err != nil {
			return nil, fmt.Errorf("bad value %q", tok)
		}
		for k := 0; k < count; k++ {
			v := a + step*float64(k)
			out = append(out, &v)
		}
	}
	return out, nil
}

// testEpoch is the start of every test's timeline.
var testEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// RunTestFile runs every test of a rule test file and writes a report to w.
// It returns the number of failed tests; err is a problem with the file itself.
func RunTestFile(path string, w io.Writer) (failed int, err error) {
	tf := TestFile{EvaluationInterval: 10 * time.Second}
	if err := config.Load(path, &tf); err != nil {
		return 0, err
	}
	set, err := LoadFiles(tf.RuleFiles, filepath.Dir(path))
	if err != nil {
		return 0, err
	}
	if len(set.Files) == 0 {
		return 0, fmt.Errorf("%s: rule_files %v match no file", path, tf.RuleFiles)
	}
	cfg := DefaultConfig()
	if tf.Alerting != nil {
		cfg.HostDown, cfg.Flapping = tf.Alerting.HostDown, tf.Alerting.Flapping
	}
	cfg.EvaluationInterval = tf.EvaluationInterval
	for _, tc := range tf.Tests {
		problems, err := runTestCase(set, cfg, tc)
		if err != nil {
			return failed, fmt.Errorf("%s: test %q: %w", path, tc.Name, err)
		}
		if len(problems) == 0 {
			fmt.Fprintf(w, "PASS %s: %s\n", path, tc.Name)
			continue
		}
		failed++
		fmt.Fprintf(w, "FAIL %s: %s\n", path, tc.Name)
		for _, p := range problems {
			fmt.Fprintf(w, "    %s\n", p)
		}
	}
	return failed, nil
}

func runTestCase(set *Set, cfg Config, tc TestCase) ([]string, error) {
	e, err := New(Options{Rules: set, Config: cfg})
	if err != nil {
		return nil, err
	}
	if err := e.Restore(context.Background(), nil, testEpoch); err != nil {
		return nil, err
	}
	values := make([][]*float64, len(tc.Input))
	steps := 0
	for i, in := range tc.Input {
		values[i], _ = parseValues(in.Values) // validated
		steps = max(steps, len(values[i]))
	}
	var end time.Duration
	for _, x := range tc.Expect {
		end = max(end, x.At)
	}
	expect := map[time.Duration][]ExpectedAlert{}
	for _, x := range tc.Expect {
		expect[x.At] = append(expect[x.At], x.Alerts...)
	}
	var problems []string
	fed := 0
	for t := time.Duration(0); t <= end; t += cfg.EvaluationInterval {
		for ; fed < steps && time.Duration(fed)*tc.Interval <= t; fed++ {
			feedStep(e, tc, values, fed)
		}
		e.Eval(context.Background(), testEpoch.Add(t))
		if want, ok := expect[t]; ok {
			problems = append(problems, compareAlerts(t, want, e.Alerts())...)
		}
	}
	return problems, nil
}

// feedStep sends one batch per host with the values of step i.
func feedStep(e *Engine, tc TestCase, values [][]*float64, i int) {
	at := testEpoch.Add(time.Duration(i) * tc.Interval)
	batches := map[string]*model.Batch{}
	var hosts []string
	for k, in := range tc.Input {
		if i >= len(values[k]) || values[k][i] == nil {
			continue
		}
		b := batches[in.Host]
		if b == nil {
			b = &model.Batch{AgentID: in.Host, Seq: uint64(i + 1), Host: model.Host{Name: in.Host},
				Agent: model.Agent{IntervalMS: tc.Interval.Milliseconds()}}
			batches[in.Host] = b
			hosts = append(hosts, in.Host)
		}
		b.Events = append(b.Events, model.Event{Timestamp: at.UnixMilli(), Dims: in.Dims,
			Values: map[string]float64{in.Field: *values[k][i]}})
	}
	sort.Strings(hosts)
	for _, h := range hosts {
		e.Observe(batches[h], at)
	}
}

func compareAlerts(at time.Duration, want []ExpectedAlert, got []alert.Alert) []string {
	var problems []string
	used := make([]bool, len(got))
	for _, x := range want {
		found := false
		for i, a := range got {
			if used[i] || !matchesExpected(x, a) {
				continue
			}
			used[i], found = true, true
			for k, v := range x.Annotations {
				if a.Annotations[k] != v {
					problems = append(problems, fmt.Sprintf("at %s: alert %s annotation %s = %q, want %q", at, alert.Labels(x.Labels), k, a.Annotations[k], v))
				}
			}
			break
		}
		if !found {
			problems = append(problems, fmt.Sprintf("at %s: missing %s alert %s%s", at, x.State, alert.Labels(x.Labels), flags(x.Flapping, x.Suppressed)))
		}
	}
	for i, a := range got {
		if !used[i] && (a.State == alert.Pending || a.State == alert.Firing) {
			problems = append(problems, fmt.Sprintf("at %s: unexpected %s alert %s%s", at, a.State, a.Labels, flags(a.Flapping, a.Suppressed)))
		}
	}
	return problems
}

func matchesExpected(x ExpectedAlert, a alert.Alert) bool {
	if x.State != a.State || x.Flapping != a.Flapping || x.Suppressed != a.Suppressed || len(x.Labels) != len(a.Labels) {
		return false
	}
	for k, v := range x.Labels {
		if a.Labels[k] != v {
			return false
		}
	}
	return true
}

func flags(flapping bool, suppressed string) string {
	var s string
	if flapping {
		s += " (flapping)"
	}
	if suppressed != "" {
		s += " (suppressed: " + suppressed + ")"
	}
	return s
}

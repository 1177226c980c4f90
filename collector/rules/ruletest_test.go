package rules

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// runScript writes a rule file and a test file and runs the test file, the way
// `vigil-collector test-rules` does.
func runScript(t *testing.T, rulesYAML, testsYAML string) (failed int, report string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(rulesYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rules_test.yaml")
	if err := os.WriteFile(path, []byte("rule_files: [rules.yaml]\n"+testsYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	failed, err := RunTestFile(path, &out)
	if err != nil {
		t.Fatalf("RunTestFile: %v", err)
	}
	return failed, out.String()
}

func mustPass(t *testing.T, rulesYAML, testsYAML string) {
	t.Helper()
	if failed, report := runScript(t, rulesYAML, testsYAML); failed > 0 {
		t.Errorf("%d scenario(s) failed:\n%s", failed, report)
	}
}

const cpuRule = `
groups:
  - name: g
    rules:
      - alert: CPUHot
        field: system.cpu.total.norm.pct
        warning: "> 0.8"
        critical: "> 0.95"
%s
`

func cpuRuleWith(extra string) string { return strings.Replace(cpuRule, "%s", extra, 1) }

func TestAttemptsCountNewDataNotEvaluations(t *testing.T) {
	// Samples every 10s, evaluations every 1s: attempts: 3 needs three
	// breaching samples (0s, 10s, 20s), not three evaluations.
	mustPass(t, cpuRuleWith("        attempts: 3"), `
evaluation_interval: 1s
tests:
  - name: soft then hard
    interval: 10s
    input_series:
      - {host: h1, field: system.cpu.total.norm.pct, values: 0.9x5}
    expect:
      - at: 19s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: warning}, state: pending}
      - at: 20s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: warning}}
  - name: an OK sample resets the count
    interval: 10s
    input_series:
      - {host: h1, field: system.cpu.total.norm.pct, values: 0.9 0.9 0.1 0.9 0.9 0.9}
    expect:
      - at: 40s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: warning}, state: pending}
      - at: 50s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: warning}}
`)
}

func TestForAndHysteresis(t *testing.T) {
	mustPass(t, cpuRuleWith("        recover: \"< 0.5\"\n        for: 30s"), `
evaluation_interval: 10s
tests:
  - name: fires after for, stays firing between recover and warning
    interval: 10s
    input_series:
      - {host: h1, field: system.cpu.total.norm.pct, values: 0.9x4 0.99 0.6x3 0.4}
    expect:
      - at: 20s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: warning}, state: pending}
      - at: 30s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: warning}}
      - at: 40s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: critical}}
      - at: 70s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: critical}}
      - at: 80s
        alerts:
          - {labels: {alertname: CPUHot, host: h1}, state: resolved}
  - name: without for a breach fires at once and pending never shows
    interval: 10s
    input_series:
      - {host: h1, field: system.cpu.total.norm.pct, values: 0.1 0.9x2 0.1}
    expect:
      - at: 0s
        alerts: []
      - at: 20s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: warning}, state: pending}
`)
}

func TestFlappingStartsOnceAndEndsWithFinalState(t *testing.T) {
	mustPass(t, cpuRuleWith(""), `
evaluation_interval: 10s
tests:
  - name: oscillation becomes one flapping alert, then resolves when steady
    interval: 10s
    input_series:
      - {host: h1, field: system.cpu.total.norm.pct, values: 0.9 0.1 0.9 0.1 0.9 0.1 0.9 0.1 0.1x25}
    expect:
      - at: 10s
        alerts: []
      - at: 30s
        alerts: []
      - at: 40s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: warning}, flapping: true}
      - at: 70s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: warning}, flapping: true}
      - at: 5m
        alerts:
          - {labels: {alertname: CPUHot, host: h1}, state: resolved}
  - name: flapping that settles in the bad state ends firing
    interval: 10s
    input_series:
      - {host: h1, field: system.cpu.total.norm.pct, values: 0.9 0.1 0.9 0.1 0.9 0.1 0.99x25}
    expect:
      - at: 50s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: warning}, flapping: true}
      - at: 5m
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: critical}}
`)
}

func TestNoDataPolicies(t *testing.T) {
	cases := map[string]string{
		"ok": `
      - at: 40s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: critical}}
      - at: 80s
        alerts: []`,
		"keep": `
      - at: 80s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: critical}}`,
		"warning": `
      - at: 80s
        alerts:
          - {labels: {alertname: CPUHot, host: h1, severity: warning}}`,
	}
	for policy, expect := range cases {
		t.Run(policy, func(t *testing.T) {
			// The host keeps reporting (memory), but the CPU series stops.
			mustPass(t, cpuRuleWith("        no_data: {after: 30s, state: "+policy+"}"), `
evaluation_interval: 10s
tests:
  - name: series vanishes
    interval: 10s
    input_series:
      - {host: h1, field: system.cpu.total.norm.pct, values: 0.99x4}
      - {host: h1, field: system.memory.actual.used.pct, values: 0.1x20}
    expect:`+expect+"\n")
		})
	}
}

func TestScriptFailsOnWrongExpectation(t *testing.T) {
	failed, report := runScript(t, cpuRuleWith(""), `
evaluation_interval: 10s
tests:
  - name: expects nothing but the rule fires
    input_series:
      - {host: h1, field: system.cpu.total.norm.pct, values: 0.99}
    expect:
      - at: 0s
        alerts: []
`)
	if failed != 1 || !strings.Contains(report, `unexpected firing alert {alertname="CPUHot", host="h1", severity="critical"}`) {
		t.Errorf("failed = %d, report:\n%s", failed, report)
	}
}

func TestParseValues(t *testing.T) {
	got, err := parseValues("1 _ 2x2 0+0.5x3 _x2 10-1x2 1e-3")
	if err != nil {
		t.Fatal(err)
	}
	want := "1 _ 2 2 0 0.5 1 _ _ 10 9 0.001"
	var parts []string
	for _, v := range got {
		if v == nil {
			parts = append(parts, "_")
		} else {
			parts = append(parts, strconv.FormatFloat(*v, 'g', -1, 64))
		}
	}
	if strings.Join(parts, " ") != want {
		t.Errorf("parseValues = %q, want %q", strings.Join(parts, " "), want)
	}
	for _, bad := range []string{"x", "1x0", "1xz", "a+1x2", "1+x2"} {
		if _, err := parseValues(bad); err == nil {
			t.Errorf("parseValues(%q) accepted", bad)
		}
	}
}

// The shipped rule set passes its own tests (make test also runs them
// through `vigil-collector test-rules`).
func TestShippedRules(t *testing.T) {
	files, err := filepath.Glob("../../configs/rules/tests/*_test.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule tests under configs/rules/tests: %v", err)
	}
	for _, f := range files {
		var out strings.Builder
		failed, err := RunTestFile(f, &out)
		if err != nil || failed > 0 {
			t.Errorf("%s: %d failed, err %v\n%s", f, failed, err, out.String())
		}
	}
}

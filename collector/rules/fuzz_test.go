package rules

import (
	"os"
	"testing"
)

// FuzzParseFile: no rule file, however broken, panics the loader; whatever it
// accepts compiles and evaluates.
func FuzzParseFile(f *testing.F) {
	if data, err := os.ReadFile("../../configs/rules/host.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(cpuRuleWith("        recover: \"< 0.5\"\n        for: 30s\n        attempts: 2")))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := ParseFile("fuzz.yaml", data)
		if err != nil {
			return
		}
		if _, err := New(Options{Rules: set, Config: DefaultConfig()}); err != nil {
			t.Fatalf("a rule file that parsed does not build an engine: %v", err)
		}
	})
}

// FuzzParseValues: the rule-test values notation never panics and never
// expands beyond its bound.
func FuzzParseValues(f *testing.F) {
	for _, s := range []string{"1 _ 2x2 0+0.5x3 _x2 10-1x2 1e-3", "1x100000", "-1-1x3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vs, err := parseValues(s)
		if err == nil && len(vs) > 100000*len(s) {
			t.Fatalf("%q expanded to %d values", s, len(vs))
		}
	})
}

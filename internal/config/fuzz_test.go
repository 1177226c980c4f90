package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, hang or return anything
// but a clear list of errors. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(fullDoc))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := defaultTestConfig()
		err := Parse("fuzz.yaml", data, &cfg)
		if err == nil {
			return
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("Parse = %T %v, want non-empty Errors", err, err)
		}
		for _, e := range errs {
			if e.Msg == "" || e.File != "fuzz.yaml" || e.Line < 0 || e.Column < 0 || (e.Line == 0) != (e.Column == 0) {
				t.Errorf("malformed error %#v", e)
			}
			// A panic inside goccy, recovered: a bug to look at.
			if strings.Contains(e.Msg, "internal error") {
				t.Errorf("Parse: %v", e)
			}
		}
		again := defaultTestConfig()
		if err2 := Parse("fuzz.yaml", data, &again); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("Parse is not deterministic:\n%v\nthen:\n%v", err, err2)
		}
	})
}

package logging

import (
	"bytes"
	"strings"
	"testing"
)

func TestValidateAndNew(t *testing.T) {
	if errs := (Config{Level: "loud", Format: "xml"}).Validate("log"); len(errs) != 2 ||
		errs[0].Path != "log.level" || errs[1].Path != "log.format" {
		t.Fatalf("errors = %+v, want one for log.level and one for log.format", errs)
	}
	if errs := Default().Validate("log"); len(errs) != 0 {
		t.Fatalf("default config invalid: %+v", errs)
	}
	var buf bytes.Buffer
	l := New(&buf, Config{Level: "warn", Format: "json"})
	l.Info("hidden")
	l.Warn("shown", "k", "v")
	if out := buf.String(); strings.Contains(out, "hidden") || !strings.Contains(out, `"msg":"shown"`) {
		t.Errorf("output = %q, want only the warning, as JSON", out)
	}
}

package main

import (
	"bytes"
	"strings"
	"testing"
)

// vigil-agent check runs a built-in check as a Nagios plugin: the standard
// output line with perfdata, and the state as exit code.
func TestCheckSubcommand(t *testing.T) {
	var out, errOut bytes.Buffer
	code := mainErr([]string{"check", "load", "-w", "1000,1000,1000", "-c", "2000,2000,2000"}, &out, &errOut)
	if code != 0 || !strings.HasPrefix(out.String(), "LOAD OK - ") || !strings.Contains(out.String(), "| load1=") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	out.Reset()
	// Used memory is always above 0%, never above 100%.
	if code := mainErr([]string{"check", "memory", "-w", "0", "-c", "100"}, &out, &errOut); code != 1 || !strings.HasPrefix(out.String(), "MEMORY WARNING - ") {
		t.Fatalf("exit %d, stdout %q; want 1 and MEMORY WARNING", code, out.String())
	}
	out.Reset()
	if code := mainErr([]string{"check", "nope"}, &out, &errOut); code != 3 || !strings.Contains(out.String(), "UNKNOWN") {
		t.Fatalf("unknown check: exit %d, stdout %q", code, out.String())
	}
}

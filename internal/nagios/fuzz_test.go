package nagios

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// Seeds for all targets are in testdata/fuzz/<Target>.

// FuzzParseRange: no input panics, every error quotes the input, and every
// accepted range is well formed and reads back from String unchanged.
func FuzzParseRange(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRange(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "parse range "+strconv.Quote(s)+": ") {
				t.Fatalf("error %q does not quote the input", err)
			}
			return
		}
		if math.IsNaN(r.Start) || math.IsNaN(r.End) || r.Start > r.End || math.IsInf(r.Start, 1) || math.IsInf(r.End, -1) {
			t.Fatalf("ParseRange(%q) = %+v: malformed", s, r)
		}
		back, err := ParseRange(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseRange(%q) = %+v; String %q reads back as %+v, %v", s, r, r.String(), back, err)
		}
		if _, err := r.MarshalText(); err != nil {
			t.Fatalf("MarshalText(%+v): %v", r, err)
		}
	})
}

// FuzzParsePerf: no input panics, every error names perfdata, every unit is
// normalised, and every accepted item reads back from String as exactly
// itself.
func FuzzParsePerf(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		perfs, errs := ParsePerf(s)
		for _, err := range errs {
			if !strings.HasPrefix(err.Error(), "parse perfdata ") {
				t.Fatalf("error %q does not say what it parsed", err)
			}
		}
		for _, p := range perfs {
			if sc, known := units[p.Unit]; known && sc.unit != p.Unit {
				t.Fatalf("unit %q not normalised in %s", p.Unit, dump(p))
			}
			back, errs := ParsePerf(p.String())
			if len(errs) > 0 || len(back) != 1 || !perfEqual(back[0], p) {
				t.Fatalf("ParsePerf(%q) gave %s; String %q reads back as %v, %v", s, dump(p), p.String(), back, errs)
			}
		}
	})
}

// FuzzParseOutput: no input panics, the state is the exit code's, Output is
// one line without perfdata, and what FormatOutput prints for the result
// reads back as the same result.
func FuzzParseOutput(f *testing.F) {
	f.Fuzz(func(t *testing.T, stdout []byte, exit int) {
		res, _ := ParseOutput(stdout, exit)
		if res.State != StateFromExit(exit) {
			t.Fatalf("State = %v for exit %d", res.State, exit)
		}
		if strings.ContainsAny(res.Output, "|\n") || strings.Contains(res.LongOutput, "|") {
			t.Fatalf("Output %q / LongOutput %q hold a separator", res.Output, res.LongOutput)
		}
		if res.Output == "" {
			return // FormatOutput writes the state name instead
		}
		text := res.Output
		if res.LongOutput != "" {
			text += "\n" + res.LongOutput
		}
		again, err := ParseOutput([]byte(FormatOutput(res.State, text, res.Perf)), exit)
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		if again.Output != res.Output || again.LongOutput != res.LongOutput || len(again.Perf) != len(res.Perf) {
			t.Fatalf("reparse = %q %q %d perf, want %q %q %d", again.Output, again.LongOutput, len(again.Perf), res.Output, res.LongOutput, len(res.Perf))
		}
		for i := range res.Perf {
			if !perfEqual(again.Perf[i], res.Perf[i]) {
				t.Fatalf("perf %d = %s, want %s", i, dump(again.Perf[i]), dump(res.Perf[i]))
			}
		}
	})
}

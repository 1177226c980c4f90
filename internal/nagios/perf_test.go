package nagios

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func rng(start, end float64) *Range   { return &Range{Start: start, End: end} }
func rngIn(start, end float64) *Range { return &Range{Start: start, End: end, Inside: true} }
func num(v float64) *float64          { return &v }

const (
	mib = 1 << 20
	gib = 1 << 30
)

// perfEqual compares the values behind the pointers; printing both sides
// through String would hide a difference String does not show.
func perfEqual(a, b Perf) bool {
	rangeEq := func(x, y *Range) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	numEq := func(x, y *float64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Label == b.Label && a.Value == b.Value && a.Unit == b.Unit &&
		rangeEq(a.Warn, b.Warn) && rangeEq(a.Crit, b.Crit) && numEq(a.Min, b.Min) && numEq(a.Max, b.Max)
}

func dump(p Perf) string {
	s := fmt.Sprintf("{%q %v %q", p.Label, p.Value, p.Unit)
	for _, r := range []*Range{p.Warn, p.Crit} {
		if r == nil {
			s += " nil"
		} else {
			s += fmt.Sprintf(" %+v", *r)
		}
	}
	for _, n := range []*float64{p.Min, p.Max} {
		if n == nil {
			s += " nil"
		} else {
			s += fmt.Sprintf(" %v", *n)
		}
	}
	return s + "}"
}

func checkPerfs(t *testing.T, got, want []Perf) {
	t.Helper()
	if len(got) != len(want) {
		for _, p := range got {
			t.Logf("got %s", dump(p))
		}
		t.Fatalf("got %d items, want %d", len(got), len(want))
	}
	for i := range want {
		if !perfEqual(got[i], want[i]) {
			t.Errorf("item %d = %s\n           want %s", i, dump(got[i]), dump(want[i]))
		}
	}
}

func TestParsePerf(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []Perf
		str      string // canonical String() of the items joined by spaces
	}{
		{
			"check_load", "load1=0.150;5.000;10.000;0; load5=0.100;4.000;6.000;0; load15=0.050;3.000;4.000;0;",
			[]Perf{
				{Label: "load1", Value: 0.15, Warn: rng(0, 5), Crit: rng(0, 10), Min: num(0)},
				{Label: "load5", Value: 0.1, Warn: rng(0, 4), Crit: rng(0, 6), Min: num(0)},
				{Label: "load15", Value: 0.05, Warn: rng(0, 3), Crit: rng(0, 4), Min: num(0)},
			},
			"load1=0.15;5;10;0 load5=0.1;4;6;0 load15=0.05;3;4;0",
		},
		{
			"check_disk", "/=2643MB;5948;5958;0;5968",
			[]Perf{{Label: "/", Value: 2643 * mib, Unit: "B", Warn: rng(0, 5948*mib), Crit: rng(0, 5958*mib), Min: num(0), Max: num(5968 * mib)}},
			"/=2771386368B;6236930048;6247415808;0;6257901568",
		},
		{
			"check_procs", "procs=123;250;400;0;",
			[]Perf{{Label: "procs", Value: 123, Warn: rng(0, 250), Crit: rng(0, 400), Min: num(0)}},
			"procs=123;250;400;0",
		},
		{
			"check_procs lower bound", "procs=2;1:;1:;0;",
			[]Perf{{Label: "procs", Value: 2, Warn: rng(1, inf), Crit: rng(1, inf), Min: num(0)}},
			"procs=2;1:;1:;0",
		},
		{
			"check_http", "time=0.001234s;;;0.000000;10.000000 size=1234B;;;0",
			[]Perf{
				{Label: "time", Value: 0.001234, Unit: "s", Min: num(0), Max: num(10)},
				{Label: "size", Value: 1234, Unit: "B", Min: num(0)},
			},
			"time=0.001234s;;;0;10 size=1234B;;;0",
		},
		{
			"check_ping", "rta=0.055000ms;100.000000;500.000000;0.000000 pl=0%;20;60;0",
			[]Perf{
				{Label: "rta", Value: 0.055 / 1e3, Unit: "s", Warn: rng(0, 0.1), Crit: rng(0, 0.5), Min: num(0)},
				{Label: "pl", Value: 0, Unit: "%", Warn: rng(0, 20), Crit: rng(0, 60), Min: num(0)},
			},
			"rta=0.000055s;0.1;0.5;0 pl=0%;20;60;0",
		},
		{
			"check_swap", "swap=2147479552B;0;0;0;2147479552",
			[]Perf{{Label: "swap", Value: 2147479552, Unit: "B", Warn: rng(0, 0), Crit: rng(0, 0), Min: num(0), Max: num(2147479552)}},
			"swap=2147479552B;0;0;0;2147479552",
		},
		{
			"check_ntp_time negative", "offset=-0.000100s;60.000000;120.000000;",
			[]Perf{{Label: "offset", Value: -0.0001, Unit: "s", Warn: rng(0, 60), Crit: rng(0, 120)}},
			"offset=-0.0001s;60;120",
		},
		{
			"nsclient quoted with spaces", `'C:\ used %'=45%;80;90;0;100 'C:\ used'=12.5GB;16;18;0;20`,
			[]Perf{
				{Label: `C:\ used %`, Value: 45, Unit: "%", Warn: rng(0, 80), Crit: rng(0, 90), Min: num(0), Max: num(100)},
				{Label: `C:\ used`, Value: 12.5 * gib, Unit: "B", Warn: rng(0, 16*gib), Crit: rng(0, 18*gib), Min: num(0), Max: num(20 * gib)},
			},
			`'C:\ used %'=45%;80;90;0;100 'C:\ used'=13421772800B;17179869184;19327352832;0;21474836480`,
		},
		{
			"quoted literal quote", `'it''s'=1 '''q'''=2 'a=b'=3`,
			[]Perf{{Label: "it's", Value: 1}, {Label: "'q'", Value: 2}, {Label: "a=b", Value: 3}},
			`'it''s'=1 '''q'''=2 'a=b'=3`,
		},
		{
			"quoted without need", `'load1'=1`,
			[]Perf{{Label: "load1", Value: 1}},
			"load1=1",
		},
		{
			"counter", `'eth0 in'=123456c ifOutOctets=42c;;;0`,
			[]Perf{{Label: "eth0 in", Value: 123456, Unit: "c"}, {Label: "ifOutOctets", Value: 42, Unit: "c", Min: num(0)}},
			`'eth0 in'=123456c ifOutOctets=42c;;;0`,
		},
		{
			"time units", "a=5ms;100;500;0;1000 b=10us c=3ns d=2s e=250µs",
			[]Perf{
				{Label: "a", Value: 0.005, Unit: "s", Warn: rng(0, 0.1), Crit: rng(0, 0.5), Min: num(0), Max: num(1)},
				{Label: "b", Value: 1e-5, Unit: "s"},
				{Label: "c", Value: 3e-9, Unit: "s"},
				{Label: "d", Value: 2, Unit: "s"},
				{Label: "e", Value: 250e-6, Unit: "s"},
			},
			"a=0.005s;0.1;0.5;0;1 b=0.00001s c=0.000000003s d=2s e=0.00025s",
		},
		{
			"byte units", "a=1KB b=1kB c=1KiB d=1.5GB e=2TB f=1MiB g=3PB",
			[]Perf{
				{Label: "a", Value: 1024, Unit: "B"},
				{Label: "b", Value: 1024, Unit: "B"},
				{Label: "c", Value: 1024, Unit: "B"},
				{Label: "d", Value: 1.5 * gib, Unit: "B"},
				{Label: "e", Value: 2 << 40, Unit: "B"},
				{Label: "f", Value: mib, Unit: "B"},
				{Label: "g", Value: 3 << 50, Unit: "B"},
			},
			"a=1024B b=1024B c=1024B d=1610612736B e=2199023255552B f=1048576B g=3377699720527872B",
		},
		{
			"ranges scaled", "t=50ms;@10:20;~:100 d=1MB;2:;@~:3",
			[]Perf{
				{Label: "t", Value: 0.05, Unit: "s", Warn: rngIn(0.01, 0.02), Crit: rng(ninf, 0.1)},
				{Label: "d", Value: mib, Unit: "B", Warn: rng(2*mib, inf), Crit: rngIn(ninf, 3*mib)},
			},
			"t=0.05s;@0.01:0.02;~:0.1 d=1048576B;2097152:;@~:3145728",
		},
		{
			"unknown units verbatim", "temp=21.5C sig=-67dBm rate=3Mb fan=1200rpm",
			[]Perf{
				{Label: "temp", Value: 21.5, Unit: "C"},
				{Label: "sig", Value: -67, Unit: "dBm"},
				{Label: "rate", Value: 3, Unit: "Mb"},
				{Label: "fan", Value: 1200, Unit: "rpm"},
			},
			"temp=21.5C sig=-67dBm rate=3Mb fan=1200rpm",
		},
		{
			"exponent and unit", "x=1e-05s y=2.5E3 z=5em",
			[]Perf{{Label: "x", Value: 1e-5, Unit: "s"}, {Label: "y", Value: 2500}, {Label: "z", Value: 5, Unit: "em"}},
			"x=0.00001s y=2500 z=5em",
		},
		{
			"trailing empty fields and white space", "  load1=0.1;;;0;\tload5=0.2;;;; \n users=2 ",
			[]Perf{{Label: "load1", Value: 0.1, Min: num(0)}, {Label: "load5", Value: 0.2}, {Label: "users", Value: 2}},
			"load1=0.1;;;0 load5=0.2 users=2",
		},
		{"empty", "", nil, ""},
		{"only spaces", "  \n ", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := ParsePerf(tc.in)
			if len(errs) > 0 {
				t.Fatalf("ParsePerf(%q) errors: %v", tc.in, errs)
			}
			checkPerfs(t, got, tc.want)
			strs := make([]string, len(got))
			for i, p := range got {
				strs[i] = p.String()
			}
			if s := strings.Join(strs, " "); s != tc.str {
				t.Errorf("String() = %q\n      want %q", s, tc.str)
			}
			again, errs := ParsePerf(strings.Join(strs, " "))
			if len(errs) > 0 {
				t.Fatalf("ParsePerf(String()) errors: %v", errs)
			}
			checkPerfs(t, again, got)
		})
	}
}

func TestParsePerfErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		good     []string // labels that must survive
		bad      []string // one error per bad item, in order: the item and a reason
	}{
		{"empty label", "=1 ok=2", []string{"ok"}, []string{`"=1": empty label`}},
		{"empty quoted label", "''=1 ok=2", []string{"ok"}, []string{`"''=1": empty label`}},
		{"missing value", "a= ok=2", []string{"ok"}, []string{`"a=": missing value`}},
		{"missing equals", "ok=1 lonely ok2=2", []string{"ok", "ok2"}, []string{`"lonely": missing '='`}},
		{"bad warn", "a=1;x ok=2", []string{"ok"}, []string{`"a=1;x": warn: parse range "x": "x" is not a number`}},
		{"bad crit", "a=1;5;10:5 ok=2", []string{"ok"}, []string{`"a=1;5;10:5": crit: parse range "10:5": start 10 is greater`}},
		{"bad min", "a=1;;;zero ok=2", []string{"ok"}, []string{`"a=1;;;zero": min: "zero" is not a number`}},
		{"bad max", "a=1;;;0;1MB", []string{}, []string{`max: "1MB" is not a number`}},
		{"too many fields", "a=1;;;;;; ok=2", []string{"ok"}, []string{`"a=1;;;;;;": 7 fields, at most 5`}},
		{"six fields", "a=1;1;2;0;9;", nil, []string{`6 fields`}},
		{"undetermined", "ok=1 a=U b=U;1;2 ok2=2", []string{"ok", "ok2"}, []string{`"a=U": value is U`, `"b=U;1;2": value is U`}},
		{"not a number", "a=abc a2=-", nil, []string{`value "abc" is not a number`, `value "-" is not a number`}},
		{"nan inf", "a=nan b=inf", nil, []string{`not a number`, `not a number`}},
		{"bad unit", "a=1.2.3 b=1e5e5", nil, []string{`bad unit ".3"`, `bad unit "e5"`}},
		{"unit with quote", "a=1x'y", nil, []string{`bad unit "x'y"`}},
		{"unit with equals", "a=b=1", nil, []string{`value "b=1" is not a number`}},
		{"overflow", "a=1e308TB b=99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999", nil, []string{`overflows when converted to B`, `out of range`}},
		{"range overflow", "a=1TB;1e307", nil, []string{`warn: range 0:1e+307 overflows`}},
		{"quote in unquoted label", "it's=1 ok=2", []string{"ok"}, []string{`"it's=1": quote inside an unquoted label`}},
		{"quoted label without equals", "'a b' ok=2", []string{"ok"}, []string{`"'a b'": missing '=' after quoted label`}},
		{"control character", "'a\x01b'=1 ok=2", []string{"ok"}, []string{`control character`}},
		{"unterminated quote", "ok=1 'my label=1 other=2", []string{"ok"}, []string{`"'my label=1 other=2": unterminated quoted label`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := ParsePerf(tc.in)
			var labels []string
			for _, p := range got {
				labels = append(labels, p.Label)
			}
			if strings.Join(labels, ",") != strings.Join(tc.good, ",") {
				t.Errorf("surviving labels = %q, want %q", labels, tc.good)
			}
			if len(errs) != len(tc.bad) {
				t.Fatalf("errors = %q, want %d", errs, len(tc.bad))
			}
			for i, err := range errs {
				if !strings.HasPrefix(err.Error(), "parse perfdata ") || !strings.Contains(err.Error(), tc.bad[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, err, tc.bad[i])
				}
			}
		})
	}
}

func TestPerfErrors(t *testing.T) {
	_, errs := ParsePerf("a=U b=x")
	err := error(PerfErrors(errs))
	if !errors.Is(err, ErrUndetermined) {
		t.Error("errors.Is(PerfErrors, ErrUndetermined) = false")
	}
	var pe PerfErrors
	if !errors.As(err, &pe) || len(pe) != 2 {
		t.Errorf("errors.As gives %d errors, want 2", len(pe))
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "2 bad perfdata items: ") || !strings.Contains(msg, `"b=x"`) {
		t.Errorf("Error() = %q", msg)
	}
	if msg := PerfErrors(errs[:1]).Error(); msg != errs[0].Error() {
		t.Errorf("one error: Error() = %q, want %q", msg, errs[0])
	}
}

package nagios

import (
	"math"
	"strings"
	"testing"
)

var (
	inf  = math.Inf(1)
	ninf = math.Inf(-1)
)

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Range
		str  string // canonical String(); "" means the input itself
	}{
		{"10", Range{0, 10, false}, ""},
		{"10:", Range{10, inf, false}, ""},
		{"~:10", Range{ninf, 10, false}, ""},
		{"10:20", Range{10, 20, false}, ""},
		{"@10:20", Range{10, 20, true}, ""},
		{"0", Range{0, 0, false}, ""},
		{"0:10", Range{0, 10, false}, "10"},
		{"0:", Range{0, inf, false}, ""},
		{"~:", Range{ninf, inf, false}, ""},
		{"@~:", Range{ninf, inf, true}, ""},
		{"@10", Range{0, 10, true}, ""},
		{"-10:-5", Range{-10, -5, false}, ""},
		{"-10:10", Range{-10, 10, false}, ""},
		{"~:-5", Range{ninf, -5, false}, ""},
		{"-3.5:", Range{-3.5, inf, false}, ""},
		{"0.5:1.25", Range{0.5, 1.25, false}, ""},
		{"5.000", Range{0, 5, false}, "5"},
		{".5", Range{0, 0.5, false}, "0.5"},
		{"+7", Range{0, 7, false}, "7"},
		{"1e3:", Range{1000, inf, false}, "1000:"},
		{"3:3", Range{3, 3, false}, ""},
		{"@-1:1", Range{-1, 1, true}, ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRange(tc.in)
			if err != nil {
				t.Fatalf("ParseRange(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("ParseRange(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			want := tc.str
			if want == "" {
				want = tc.in
			}
			if s := got.String(); s != want {
				t.Errorf("String() = %q, want %q", s, want)
			}
			if back, err := ParseRange(got.String()); err != nil || back != got {
				t.Errorf("ParseRange(String()) = %+v, %v; want %+v", back, err, got)
			}
		})
	}
}

func TestParseRangeErrors(t *testing.T) {
	for _, tc := range []struct {
		in, reason string
	}{
		{"", "empty range"},
		{"@", "nothing after '@'"},
		{":", "missing start"},
		{":10", "missing start"},
		{"@:", "missing start"},
		{"10:5", "start 10 is greater than end 5"},
		{"-1:-2", "start -1 is greater than end -2"},
		{"-5", "must not be negative"},
		{"abc", `"abc" is not a number`},
		{"10:abc", `end: "abc" is not a number`},
		{"x:10", `start: "x" is not a number`},
		{"1:2:3", "more than one ':'"},
		{"~", "only allowed as the start"},
		{"10:~", "only allowed as the start"},
		{"@@10", `"@10" is not a number`},
		{"10 ", `"10 " is not a number`},
		{"inf", "not a number"},
		{"nan", "not a number"},
		{"0x10", "not a number"},
		{"1_000", "not a number"},
		{"1e999", "out of range"},
		{"10%", "not a number"},
		{"-", "not a number"},
		{".", "not a number"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			r, err := ParseRange(tc.in)
			if err == nil {
				t.Fatalf("ParseRange(%q) = %+v, want error", tc.in, r)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, `parse range "`+tc.in+`": `) {
				t.Errorf("error %q does not quote the input", msg)
			}
			if !strings.Contains(msg, tc.reason) {
				t.Errorf("error %q does not say %q", msg, tc.reason)
			}
		})
	}
}

func TestRangeAlert(t *testing.T) {
	for _, tc := range []struct {
		rng    string
		values []float64
		alerts []bool
	}{
		// The table of specs.md 2.4, endpoints included.
		{"10", []float64{-0.1, 0, 5, 10, 10.1}, []bool{true, false, false, false, true}},
		{"10:", []float64{9.99, 10, 1e9}, []bool{true, false, false}},
		{"~:10", []float64{-1e9, 10, 10.01}, []bool{false, false, true}},
		{"10:20", []float64{9, 10, 15, 20, 21}, []bool{true, false, false, false, true}},
		{"@10:20", []float64{9, 10, 15, 20, 21}, []bool{false, true, true, true, false}},
		{"-10:-5", []float64{-11, -10, -7, -5, -4, 0}, []bool{true, false, false, false, true, true}},
		{"0.5:1.5", []float64{0.49, 0.5, 1.5, 1.51}, []bool{true, false, false, true}},
		{"~:", []float64{-1e300, 0, 1e300}, []bool{false, false, false}},
		{"@~:", []float64{-1e300, 0, 1e300}, []bool{true, true, true}},
		{"10", []float64{inf, ninf, math.NaN()}, []bool{true, true, true}},
		{"@10:20", []float64{math.NaN()}, []bool{true}},
	} {
		t.Run(tc.rng, func(t *testing.T) {
			r, err := ParseRange(tc.rng)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range tc.values {
				if got := r.Alert(v); got != tc.alerts[i] {
					t.Errorf("%s.Alert(%v) = %v, want %v", tc.rng, v, got, tc.alerts[i])
				}
			}
		})
	}
}

func TestRangeText(t *testing.T) {
	var r Range
	if err := r.UnmarshalText([]byte("@~:-3")); err != nil {
		t.Fatal(err)
	}
	if want := (Range{ninf, -3, true}); r != want {
		t.Fatalf("UnmarshalText = %+v, want %+v", r, want)
	}
	b, err := r.MarshalText()
	if err != nil || string(b) != "@~:-3" {
		t.Errorf("MarshalText = %q, %v", b, err)
	}
	if err := r.UnmarshalText([]byte("5:1")); err == nil {
		t.Error(`UnmarshalText("5:1") succeeded`)
	}
	for _, bad := range []Range{{5, 1, false}, {math.NaN(), 1, false}, {inf, inf, false}, {ninf, ninf, false}} {
		if _, err := bad.MarshalText(); err == nil {
			t.Errorf("MarshalText(%+v) succeeded", bad)
		}
	}
}

package nagios

import (
	"math"
	"testing"
)

func TestThresholdsEvaluate(t *testing.T) {
	for _, tc := range []struct {
		name, warn, crit string
		values           []float64
		want             []State
	}{
		// specs.md 2.4: -w10 -c20 is critical above 20, warning above 10,
		// and negative values are critical too.
		{"w10 c20", "10", "20", []float64{-1, 0, 10, 10.5, 20, 20.5}, []State{Critical, OK, OK, Warning, Warning, Critical}},
		{"below", "10:", "5:", []float64{11, 10, 9, 5, 4}, []State{OK, OK, Warning, Warning, Critical}},
		{"inside", "@1:2", "@2:3", []float64{0, 1, 2, 3, 4}, []State{OK, Warning, Critical, Critical, OK}},
		{"warn only", "~:90", "", []float64{90, 91}, []State{OK, Warning}},
		{"crit only", "", "~:90", []float64{90, 91}, []State{OK, Critical}},
		{"none", "", "", []float64{-1e300, 1e300}, []State{OK, OK}},
		{"nan", "10", "20", []float64{math.NaN()}, []State{Unknown}},
		{"nan no ranges", "", "", []float64{math.NaN()}, []State{Unknown}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th, err := ParseThresholds(tc.warn, tc.crit)
			if err != nil {
				t.Fatal(err)
			}
			if (th.Warn == nil) != (tc.warn == "") || (th.Crit == nil) != (tc.crit == "") {
				t.Fatalf("ParseThresholds(%q, %q) = %+v: unset ranges must be nil", tc.warn, tc.crit, th)
			}
			for i, v := range tc.values {
				if got := th.Evaluate(v); got != tc.want[i] {
					t.Errorf("Evaluate(%v) = %v, want %v", v, got, tc.want[i])
				}
			}
		})
	}
}

func TestParseThresholdsError(t *testing.T) {
	for _, tc := range [][2]string{{"10:5", ""}, {"", "abc"}} {
		if _, err := ParseThresholds(tc[0], tc[1]); err == nil {
			t.Errorf("ParseThresholds(%q, %q) succeeded", tc[0], tc[1])
		}
	}
}

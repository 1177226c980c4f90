package rules

import "testing"

func TestFlapPercent(t *testing.T) {
	cases := []struct {
		name    string
		levels  []uint8
		atLeast float64
		below   float64
	}{
		{"steady", []uint8{0, 0, 0, 0, 0, 0}, 0, 0.001},
		{"one change", []uint8{0, 0, 0, 2, 2, 2}, 4, 6.1},
		{"alternating full window", alternate(21), 99.9, 100.1},
		{"change long ago weighs less than a recent one", append([]uint8{0, 2}, make21(2, 19)...), 3.9, 4.1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h flapHistory
			for _, l := range c.levels {
				h.add(l)
			}
			if p := h.percent(); p < c.atLeast || p >= c.below {
				t.Errorf("percent = %.2f, want [%.1f, %.1f)", p, c.atLeast, c.below)
			}
		})
	}
}

func alternate(n int) []uint8 {
	out := make([]uint8, n)
	for i := range out {
		out[i] = uint8(i%2) * 2
	}
	return out
}

func make21(v uint8, n int) []uint8 {
	out := make([]uint8, n)
	for i := range out {
		out[i] = v
	}
	return out
}

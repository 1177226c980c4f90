package nagios

import (
	"fmt"
	"math"
)

// scale converts a value in a plugin's unit to the normalised unit:
// v*mul/div. Time is divided (by 1e3 for ms) because 5/1000 rounds
// correctly where 5*0.001 does not; byte multiples are powers of two, so
// multiplying is exact.
type scale struct {
	unit     string
	mul, div float64
}

func (s scale) apply(v float64) float64 { return v * s.mul / s.div }

// units maps every unit the guidelines name (and the spellings plugins are
// seen to print) to its normalised form. The guidelines define KB as 1024
// bytes, so KB and KiB are the same. Lower-case "kb", "mb" are not here:
// they are as often kilobits as kilobytes, so they stay verbatim.
var units = map[string]scale{
	"":   {"", 1, 1},
	"%":  {"%", 1, 1},
	"c":  {"c", 1, 1},
	"s":  {"s", 1, 1},
	"ms": {"s", 1, 1e3},
	"us": {"s", 1, 1e6},
	"µs": {"s", 1, 1e6},
	"ns": {"s", 1, 1e9},
	"B":  {"B", 1, 1},
	"KB": {"B", 1 << 10, 1}, "kB": {"B", 1 << 10, 1}, "KiB": {"B", 1 << 10, 1},
	"MB": {"B", 1 << 20, 1}, "MiB": {"B", 1 << 20, 1},
	"GB": {"B", 1 << 30, 1}, "GiB": {"B", 1 << 30, 1},
	"TB": {"B", 1 << 40, 1}, "TiB": {"B", 1 << 40, 1},
	"PB": {"B", 1 << 50, 1}, "PiB": {"B", 1 << 50, 1},
}

// lookupUnit returns the scale for a unit as printed after a value. An
// unknown unit is kept verbatim with scale 1, provided it can be printed
// back after a number and read again as the same unit.
func lookupUnit(u string) (scale, error) {
	if s, ok := units[u]; ok {
		return s, nil
	}
	// The value was scanned as the longest number, so a unit never starts
	// with a digit, sign or point; "e5" can only follow a number that
	// already had an exponent ("1e5e5"), and printed back it would be read
	// as part of the number.
	if c := u[0]; isDigit(c) || c == '.' || c == '+' || c == '-' {
		return scale{}, fmt.Errorf("bad unit %q", u)
	}
	if (u[0] == 'e' || u[0] == 'E') && scanNumber("1"+u) > 1 {
		return scale{}, fmt.Errorf("bad unit %q: it reads as an exponent", u)
	}
	for i := 0; i < len(u); i++ {
		if c := u[i]; c < 0x20 || c == 0x7f || c == '=' || c == '\'' {
			return scale{}, fmt.Errorf("bad unit %q: contains %q", u, c)
		}
	}
	return scale{u, 1, 1}, nil
}

// scaleRange applies s to both bounds. Scaling by a positive factor keeps
// Start <= End and leaves infinities alone; a finite bound that overflows
// is an error because it would silently turn into an open end.
func scaleRange(r Range, s scale) (Range, error) {
	out := Range{Start: s.apply(r.Start), End: s.apply(r.End), Inside: r.Inside}
	if math.IsInf(out.Start, 0) != math.IsInf(r.Start, 0) || math.IsInf(out.End, 0) != math.IsInf(r.End, 0) {
		return Range{}, fmt.Errorf("range %g:%g overflows when converted to %s", r.Start, r.End, s.unit)
	}
	return out, nil
}

func scaleNumber(v float64, s scale) (float64, error) {
	out := s.apply(v)
	if math.IsInf(out, 0) {
		return 0, fmt.Errorf("%g overflows when converted to %s", v, s.unit)
	}
	return out, nil
}

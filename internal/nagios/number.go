package nagios

import (
	"fmt"
	"math"
	"strconv"
)

// scanNumber returns the length of the longest prefix of s that is a decimal
// number: optional sign, digits with an optional fraction (at least one digit
// in all), and an optional exponent. It is how a perfdata value is split from
// its unit ("5ms", "1e-05s"), so an exponent is taken only when digits follow
// the 'e': "5em" is 5 with the unit "em".
func scanNumber(s string) int {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseNumber parses all of s as a finite decimal number. strconv.ParseFloat
// alone would also take "inf", "nan", hex floats and "1_000", none of which
// a plugin means as a measurement.
func parseNumber(s string) (float64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	if scanNumber(s) != len(s) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		// Only overflow gets here: the syntax was checked above.
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return v, nil
}

// formatNumber writes v as the shortest plain decimal that parses back to
// exactly v; plain because the perfdata grammar has no exponent, and
// shortest so "0.150" from check_load comes back as "0.15".
func formatNumber(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

package nagios

import (
	"fmt"
	"math"
	"strings"
)

// Range is a threshold range in the Monitoring Plugins syntax [@]start:end.
// Both bounds are inclusive. Start is math.Inf(-1) for "~" and End is
// math.Inf(1) when nothing follows the ':'. Ranges from ParseRange always
// have Start <= End, finite or infinite as just described; String
// round-trips only those.
//
// The zero value is "0" (alert outside 0..0).
type Range struct {
	Start, End float64
	// Inside is the leading '@': alert when the value is inside
	// [Start, End] instead of outside it.
	Inside bool
}

// ParseRange reads a range as the plugin guidelines define it:
//
//	10      alert if x < 0 or x > 10
//	10:     alert if x < 10
//	~:10    alert if x > 10
//	10:20   alert if x < 10 or x > 20
//	@10:20  alert if 10 <= x <= 20
//
// Bounds may be negative and fractional. Errors quote the input and say
// what is wrong with it.
func ParseRange(s string) (Range, error) {
	r := Range{}
	body := s
	if strings.HasPrefix(body, "@") {
		r.Inside = true
		body = body[1:]
	}
	if body == "" {
		if r.Inside {
			return Range{}, rangeError(s, "nothing after '@'")
		}
		return Range{}, rangeError(s, "empty range")
	}
	startText, endText, hasColon := strings.Cut(body, ":")
	if !hasColon {
		// A bare number N is 0:N.
		end, err := parseBound(body)
		if err != nil {
			return Range{}, rangeError(s, "%v", err)
		}
		if end < 0 {
			return Range{}, rangeError(s, "a bare number N means 0:N, so N must not be negative (write ~:%s or a start)", body)
		}
		r.End = end
		return r, nil
	}
	if strings.Contains(endText, ":") {
		return Range{}, rangeError(s, "more than one ':'")
	}
	switch startText {
	case "":
		// The C library reads this as 0; an explicit form is one character
		// longer and cannot be misread.
		return Range{}, rangeError(s, "missing start before ':' (write 0:, ~: or a number)")
	case "~":
		r.Start = math.Inf(-1)
	default:
		v, err := parseBound(startText)
		if err != nil {
			return Range{}, rangeError(s, "start: %v", err)
		}
		r.Start = v
	}
	if endText == "" {
		r.End = math.Inf(1)
	} else {
		v, err := parseBound(endText)
		if err != nil {
			return Range{}, rangeError(s, "end: %v", err)
		}
		r.End = v
	}
	if r.Start > r.End {
		return Range{}, rangeError(s, "start %s is greater than end %s", startText, endText)
	}
	return r, nil
}

// parseBound is parseNumber with a hint for the one common mistake.
func parseBound(s string) (float64, error) {
	if s == "~" {
		return 0, fmt.Errorf("'~' (minus infinity) is only allowed as the start, as in ~:10")
	}
	return parseNumber(s)
}

func rangeError(input, format string, args ...any) error {
	return fmt.Errorf("parse range %q: %s", input, fmt.Sprintf(format, args...))
}

// Alert reports whether v violates the range: outside it, or inside it for
// an '@' range. NaN violates every range, so a value that could not be
// computed is never taken for a healthy one.
func (r Range) Alert(v float64) bool {
	if math.IsNaN(v) {
		return true
	}
	in := v >= r.Start && v <= r.End
	return in == r.Inside
}

// String writes the shortest form ParseRange reads back to r: "10" for
// 0:10, "10:" for an open end, "~:10" for an open start.
func (r Range) String() string {
	var b strings.Builder
	if r.Inside {
		b.WriteByte('@')
	}
	switch {
	case r.Start == 0 && !math.IsInf(r.End, 1):
		b.WriteString(formatNumber(r.End))
		return b.String()
	case math.IsInf(r.Start, -1):
		b.WriteByte('~')
	default:
		b.WriteString(formatNumber(r.Start))
	}
	b.WriteByte(':')
	if !math.IsInf(r.End, 1) {
		b.WriteString(formatNumber(r.End))
	}
	return b.String()
}

// MarshalText writes String, so a range in a JSON document or YAML file
// reads like the -w/-c argument it came from.
func (r Range) MarshalText() ([]byte, error) {
	if math.IsNaN(r.Start) || math.IsNaN(r.End) || r.Start > r.End ||
		math.IsInf(r.Start, 1) || math.IsInf(r.End, -1) {
		return nil, fmt.Errorf("marshal range: invalid bounds %v..%v", r.Start, r.End)
	}
	return []byte(r.String()), nil
}

// UnmarshalText accepts what ParseRange accepts.
func (r *Range) UnmarshalText(b []byte) error {
	v, err := ParseRange(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

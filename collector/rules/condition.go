package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Condition is a comparison against a threshold, written "> 0.9", ">= 90",
// "< 0.1", "<= 5", "== 0" or "!= 0".
type Condition struct {
	Op        string
	Threshold float64
}

var ops = []string{">=", "<=", "==", "!=", ">", "<"}

// ParseCondition reads the "OP NUMBER" form.
func ParseCondition(s string) (Condition, error) {
	s = strings.TrimSpace(s)
	for _, op := range ops {
		if rest, ok := strings.CutPrefix(s, op); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return Condition{}, fmt.Errorf("condition %q: want a finite number after %q", s, op)
			}
			return Condition{Op: op, Threshold: v}, nil
		}
	}
	return Condition{}, fmt.Errorf("condition %q: want one of > >= < <= == != followed by a number, e.g. \"> 0.9\"", s)
}

// UnmarshalText lets YAML say `critical: "> 0.9"`.
func (c *Condition) UnmarshalText(b []byte) error {
	p, err := ParseCondition(string(b))
	if err != nil {
		return err
	}
	*c = p
	return nil
}

// MarshalText writes the condition back in its YAML form.
func (c Condition) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

func (c Condition) String() string {
	return c.Op + " " + strconv.FormatFloat(c.Threshold, 'g', -1, 64)
}

// Holds reports whether v satisfies the condition. NaN satisfies nothing.
func (c Condition) Holds(v float64) bool {
	switch c.Op {
	case ">":
		return v > c.Threshold
	case ">=":
		return v >= c.Threshold
	case "<":
		return v < c.Threshold
	case "<=":
		return v <= c.Threshold
	case "==":
		return v == c.Threshold
	case "!=":
		return v != c.Threshold
	}
	return false
}

// upward reports whether the condition fires on high values.
func (c Condition) upward() bool { return c.Op == ">" || c.Op == ">=" }

// downward reports whether the condition fires on low values.
func (c Condition) downward() bool { return c.Op == "<" || c.Op == "<=" }

package alert

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MatchType is how a Matcher compares a label value.
type MatchType string

// Match types, written as in Alertmanager and PromQL.
const (
	MatchEqual     MatchType = "="
	MatchNotEqual  MatchType = "!="
	MatchRegexp    MatchType = "=~"
	MatchNotRegexp MatchType = "!~"
)

// Matcher tests one label. A missing label has the value "", so `team!="ops"`
// matches alerts without a team label and `team=""` matches only those.
type Matcher struct {
	Name  string    `json:"name"`
	Type  MatchType `json:"type"`
	Value string    `json:"value"`
	re    *regexp.Regexp
}

// NewMatcher builds a matcher; regular expressions are anchored at both ends.
func NewMatcher(name string, t MatchType, value string) (Matcher, error) {
	m := Matcher{Name: name, Type: t, Value: value}
	if !validLabelName(name) {
		return Matcher{}, fmt.Errorf("invalid label name %q", name)
	}
	switch t {
	case MatchEqual, MatchNotEqual:
	case MatchRegexp, MatchNotRegexp:
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return Matcher{}, fmt.Errorf("matcher %s%s: %w", name, t, err)
		}
		m.re = re
	default:
		return Matcher{}, fmt.Errorf("unknown match type %q", t)
	}
	return m, nil
}

// ParseMatcher reads `name=value`, `name!=value`, `name=~regex` or `name!~regex`;
// the value may be double-quoted (Go syntax) and must be when it holds spaces at
// either end.
func ParseMatcher(s string) (Matcher, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, "=!")
	if i <= 0 {
		return Matcher{}, fmt.Errorf("parse matcher %q: want name=value, name!=value, name=~regex or name!~regex", s)
	}
	name, rest := strings.TrimSpace(s[:i]), s[i:]
	var t MatchType
	switch {
	case strings.HasPrefix(rest, "=~"):
		t = MatchRegexp
	case strings.HasPrefix(rest, "!~"):
		t = MatchNotRegexp
	case strings.HasPrefix(rest, "!="):
		t = MatchNotEqual
	case strings.HasPrefix(rest, "="):
		t = MatchEqual
	default:
		return Matcher{}, fmt.Errorf("parse matcher %q: want an operator after %q", s, name)
	}
	value := strings.TrimSpace(rest[len(t):])
	if strings.HasPrefix(value, `"`) {
		uq, err := strconv.Unquote(value)
		if err != nil {
			return Matcher{}, fmt.Errorf("parse matcher %q: bad quoted value: %w", s, err)
		}
		value = uq
	}
	m, err := NewMatcher(name, t, value)
	if err != nil {
		return Matcher{}, fmt.Errorf("parse matcher %q: %w", s, err)
	}
	return m, nil
}

// Matches reports whether the label set satisfies m.
func (m *Matcher) Matches(l Labels) bool {
	v := l[m.Name]
	switch m.Type {
	case MatchEqual:
		return v == m.Value
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp:
		return m.regexp().MatchString(v)
	case MatchNotRegexp:
		return !m.regexp().MatchString(v)
	}
	return false
}

// regexp returns the compiled expression. A Matcher built as a struct literal
// has none; it is compiled on each use rather than cached, so Matches stays
// safe for concurrent readers.
func (m *Matcher) regexp() *regexp.Regexp {
	if m.re != nil {
		return m.re
	}
	re, err := regexp.Compile("^(?:" + m.Value + ")$")
	if err != nil {
		return regexp.MustCompile(`^\b\B$`) // matches nothing
	}
	return re
}

// String formats m so that ParseMatcher reads it back.
func (m Matcher) String() string { return m.Name + string(m.Type) + strconv.Quote(m.Value) }

// MarshalText writes the matcher in its string form.
func (m Matcher) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText accepts the string form, so YAML and JSON can say `- host=~"web-.*"`.
func (m *Matcher) UnmarshalText(b []byte) error {
	p, err := ParseMatcher(string(b))
	if err != nil {
		return err
	}
	*m = p
	return nil
}

// Matchers is a conjunction: all must match.
type Matchers []Matcher

// Matches reports whether every matcher matches l (true for no matchers).
func (ms Matchers) Matches(l Labels) bool {
	for i := range ms {
		if !ms[i].Matches(l) {
			return false
		}
	}
	return true
}

func validLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

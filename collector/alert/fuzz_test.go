package alert

import "testing"

// FuzzParseMatcher: matchers come from the API and the CLI. Parsing never
// panics, and what parses prints back to the same matcher.
func FuzzParseMatcher(f *testing.F) {
	for _, s := range []string{`host=web-1`, `host=~"web-.*"`, `a!~"(x|y)"`, `b!=""`, `c="\u00e9\n"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMatcher(s)
		if err != nil {
			return
		}
		back, err := ParseMatcher(m.String())
		if err != nil || back.String() != m.String() {
			t.Fatalf("%q parsed as %q, which reads back as %q (%v)", s, m.String(), back.String(), err)
		}
	})
}

package alert

import "testing"

func TestParseMatcher(t *testing.T) {
	l := Labels{"host": "web-1", "mount_point": "/var", "severity": "critical"}
	cases := []struct {
		in    string
		match bool
	}{
		{`host=web-1`, true},
		{`host="web-1"`, true},
		{`host!=web-1`, false},
		{`host=~"web-.*"`, true},
		{`host=~web`, false}, // anchored
		{`host!~"db-.*"`, true},
		{`team=""`, true},
		{`team!=ops`, true},
		{`mount_point = "/var"`, true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			m, err := ParseMatcher(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Matches(l); got != c.match {
				t.Errorf("Matches = %v, want %v", got, c.match)
			}
			back, err := ParseMatcher(m.String())
			if err != nil || back.String() != m.String() {
				t.Errorf("round trip %q -> %q, %v", m.String(), back.String(), err)
			}
		})
	}
	for _, bad := range []string{"", "host", "=x", "9x=1", `host=~"("`, `host="unterminated`} {
		if _, err := ParseMatcher(bad); err == nil {
			t.Errorf("ParseMatcher(%q) accepted", bad)
		}
	}
}

func TestFingerprintIgnoresSeverity(t *testing.T) {
	a := Labels{"alertname": "DiskFull", "host": "web-1", "severity": "warning"}
	b := Labels{"alertname": "DiskFull", "host": "web-1", "severity": "critical"}
	c := Labels{"alertname": "DiskFull", "host": "web-2"}
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("severity changed the fingerprint")
	}
	if a.Fingerprint() == c.Fingerprint() {
		t.Error("different hosts share a fingerprint")
	}
	// "ab"+"c" must not collide with "a"+"bc".
	if (Labels{"ab": "c"}).Fingerprint() == (Labels{"a": "bc"}).Fingerprint() {
		t.Error("label boundaries are not part of the fingerprint")
	}
}

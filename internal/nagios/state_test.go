package nagios

import (
	"encoding/json"
	"testing"
)

func TestStateString(t *testing.T) {
	for _, tc := range []struct {
		s    State
		want string
	}{
		{OK, "OK"}, {Warning, "WARNING"}, {Critical, "CRITICAL"}, {Unknown, "UNKNOWN"},
		{State(7), "State(7)"}, {State(-1), "State(-1)"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.s.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStateFromExit(t *testing.T) {
	for _, tc := range []struct {
		code int
		want State
	}{
		{0, OK}, {1, Warning}, {2, Critical}, {3, Unknown},
		{4, Unknown}, {127, Unknown}, {137, Unknown}, {255, Unknown}, {-1, Unknown},
	} {
		t.Run(tc.want.String(), func(t *testing.T) {
			if got := StateFromExit(tc.code); got != tc.want {
				t.Errorf("StateFromExit(%d) = %v, want %v", tc.code, got, tc.want)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	for s, want := range map[State]int{OK: 0, Warning: 1, Critical: 2, Unknown: 3, State(9): 3, State(-2): 3} {
		if got := s.ExitCode(); got != want {
			t.Errorf("%v.ExitCode() = %d, want %d", s, got, want)
		}
	}
}

func TestParseState(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    State
		wantErr bool
	}{
		{"ok", OK, false}, {"OK", OK, false}, {"Warning", Warning, false}, {"warn", Warning, false},
		{"CRITICAL", Critical, false}, {"crit", Critical, false}, {"unknown", Unknown, false},
		{"", Unknown, true}, {"0", Unknown, true}, {"okay", Unknown, true}, {" ok", Unknown, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseState(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ParseState(%q) = %v, %v; want %v, err %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestStateText(t *testing.T) {
	type doc struct {
		S State `json:"s"`
	}
	for _, s := range []State{OK, Warning, Critical, Unknown} {
		t.Run(s.String(), func(t *testing.T) {
			b, err := json.Marshal(doc{s})
			if err != nil {
				t.Fatal(err)
			}
			var back doc
			if err := json.Unmarshal(b, &back); err != nil || back.S != s {
				t.Errorf("round trip of %s = %v, %v", b, back.S, err)
			}
		})
	}
	b, _ := json.Marshal(doc{Critical})
	if string(b) != `{"s":"critical"}` {
		t.Errorf("json = %s, want lower-case name", b)
	}
	if _, err := State(4).MarshalText(); err == nil {
		t.Error("MarshalText(State(4)) succeeded")
	}
	var s State
	if err := s.UnmarshalText([]byte("bogus")); err == nil {
		t.Error(`UnmarshalText("bogus") succeeded`)
	}
}

func TestWorse(t *testing.T) {
	for _, tc := range []struct {
		a, b, want State
	}{
		{OK, OK, OK},
		{OK, Unknown, Unknown},
		{Unknown, Warning, Warning},
		{Warning, Critical, Critical},
		{Critical, Unknown, Critical},
		{Warning, OK, Warning},
		{State(9), OK, Unknown},
		{State(9), Warning, Warning},
	} {
		t.Run(tc.a.String()+"+"+tc.b.String(), func(t *testing.T) {
			if got := Worse(tc.a, tc.b); got != tc.want {
				t.Errorf("Worse(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
			if got := Worse(tc.b, tc.a); got != tc.want {
				t.Errorf("Worse(%v, %v) = %v, want %v", tc.b, tc.a, got, tc.want)
			}
		})
	}
}

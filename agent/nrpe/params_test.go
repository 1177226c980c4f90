package nrpe

import (
	"strings"
	"testing"
)

func TestParamTypes(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		good []string
		bad  []string
	}{
		{TypeInt, []string{"0", "-5", "+12", "9223372036854775807"}, []string{"1.5", "0x10", "1_000", "9223372036854775808", " 1", "ten"}},
		{TypeFloat, []string{"0", "-1.5", ".5", "5.", "1e3", "+2.5E-2"}, []string{"inf", "NaN", "0x1p3", "1e400", "1,5", "."}},
		{TypeRange, []string{"10", "10:", "~:10", "10:20", "@10:20", "-5:5"}, []string{"", "@", "20:10", "a:b", "1:2:3"}},
		{TypePath, []string{"/", "/var/log", "/a b/c"}, []string{"var", "/var/", "/var/../etc", "//etc", "/./x", "/" + strings.Repeat("a", 4096)}},
		{TypeString, []string{"nginx.service", "a-b"}, []string{"-rf", "--help"}},
	} {
		check := paramTypes[tc.typ]
		for _, v := range tc.good {
			if err := check(v); err != nil {
				t.Errorf("%s %q: %v, want accepted", tc.typ, v, err)
			}
		}
		for _, v := range tc.bad {
			if err := check(v); err == nil {
				t.Errorf("%s %q: accepted, want refused", tc.typ, v)
			}
		}
	}
}

func TestCheckQuery(t *testing.T) {
	for _, q := range []string{"check_disk!/var!10%", "check_x!a b", "x!$HOME", "x!(y)"} {
		if err := checkQuery(q); err != nil {
			t.Errorf("%q: %v, want accepted", q, err)
		}
	}
	for _, q := range []string{"x!a|b", "x!`id`", "x!a&b", "x!>f", "x!<f", "x!'a'", `x!"a"`, `x!a\b`, "x![a]", "x!{a}", "x!a;b", "x!a\nb", "x!a\rb", "x!$(id)"} {
		if err := checkQuery(q); err == nil {
			t.Errorf("%q: accepted, want refused", q)
		}
	}
}

// A pattern narrows a type; it never widens it, and it must match whole.
func TestCheckArgs(t *testing.T) {
	params, err := compileParams([]ParamConfig{
		{Name: "warn", Type: TypeInt, Pattern: "[0-9]{1,2}"},
		{Name: "unit", Type: TypeString, Pattern: `[a-z]+\.service`},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string // "" = accepted
	}{
		{[]string{"10", "nginx.service"}, ""},
		{[]string{"100", "nginx.service"}, "argument 1 (warn): does not match its pattern"},
		{[]string{"x", "nginx.service"}, "argument 1 (warn): not a decimal integer"},
		{[]string{"10", "nginx.service.bak"}, "argument 2 (unit): does not match its pattern"},
		{[]string{"10"}, "got 1, the command declares 2"},
	} {
		err := checkArgs(params, tc.args)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v, want accepted", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: %v, want %q", tc.args, err, tc.want)
		}
	}
}

package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		done     bool
		config   string
		check    bool
		inOutput string
	}{
		{nil, 0, false, "/etc/x.yaml", false, ""},
		{[]string{"-config", "a.yaml", "-check-config"}, 0, false, "a.yaml", true, ""},
		{[]string{"-version"}, 0, true, "/etc/x.yaml", false, "prog 1.2"},
		{[]string{"-nope"}, 2, true, "/etc/x.yaml", false, "flag provided but not defined"},
		{[]string{"stray"}, 2, true, "/etc/x.yaml", false, "unexpected arguments"},
	} {
		var out bytes.Buffer
		f, code, done := Parse("prog", "/etc/x.yaml", "1.2", tc.args, &out, &out)
		if code != tc.code || done != tc.done || f.Config != tc.config || f.CheckOnly != tc.check || !strings.Contains(out.String(), tc.inOutput) {
			t.Errorf("Parse(%q) = %+v %d %v, output %q", tc.args, f, code, done, out.String())
		}
	}
}

func TestConfigResult(t *testing.T) {
	var out bytes.Buffer
	if code, done := ConfigResult(Flags{Config: "a"}, errors.New("a:1:1: bad"), &out, &out); code != 1 || !done || !strings.Contains(out.String(), "a:1:1: bad") {
		t.Errorf("error: %d %v %q", code, done, out.String())
	}
	out.Reset()
	if code, done := ConfigResult(Flags{Config: "a", CheckOnly: true}, nil, &out, &out); code != 0 || !done || out.String() != "a: OK\n" {
		t.Errorf("check ok: %d %v %q", code, done, out.String())
	}
	if _, done := ConfigResult(Flags{Config: "a"}, nil, &out, &out); done {
		t.Error("a valid config without -check-config must go on running")
	}
}

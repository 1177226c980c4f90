package checkrun

import (
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/config"
)

func TestConfigDefaults(t *testing.T) {
	cfg := DefaultConfig()
	yaml := `
max_concurrent: 4
checks:
  - name: load
    command: [sh, -c, "exit 0"]
  - name: disk
    builtin: [disk, -w, 20%, -p, /]
    interval: 5m
    output_cap: 8KiB
`
	if err := config.Parse("agent.yaml", []byte(yaml), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConcurrent != 4 || len(cfg.Checks) != 2 {
		t.Fatalf("config = %+v", cfg)
	}
	load, disk := cfg.Checks[0], cfg.Checks[1]
	if load.Interval != DefaultInterval || load.RetryInterval != DefaultRetryInterval || load.Timeout != DefaultTimeout ||
		load.MaxAttempts != DefaultMaxAttempts || load.OutputCap != DefaultOutputCap || load.Shell {
		t.Errorf("defaults not applied: %+v", load)
	}
	if disk.Interval != 5*time.Minute || disk.OutputCap != 8*config.KiB {
		t.Errorf("disk = %+v", disk)
	}
}

func TestConfigUnknownKey(t *testing.T) {
	cfg := DefaultConfig()
	err := config.Parse("agent.yaml", []byte("checks:\n  - name: x\n    comand: [/bin/true]\n"), &cfg)
	if err == nil || !strings.Contains(err.Error(), "comand") {
		t.Errorf("err = %v", err)
	}
}

func TestCheckConfigValidate(t *testing.T) {
	ok := CheckConfig{Name: "ok", Command: []string{"/usr/lib/nagios/plugins/check_dummy", "0"}}.withDefaults()
	for _, tc := range []struct {
		name  string
		edit  func(c *CheckConfig)
		euid  int
		paths []string // of the errors, in order
		msg   string   // in the first error
	}{
		{name: "valid", edit: func(*CheckConfig) {}},
		{name: "valid builtin", edit: func(c *CheckConfig) { c.Command, c.Builtin = nil, []string{"load"} }},
		{name: "valid shell", edit: func(c *CheckConfig) { c.Command, c.Shell = []string{`test -d "$1"`, "/tmp"}, true }},
		{name: "valid on-demand", edit: func(c *CheckConfig) { c.Command = append(c.Command, "-w", "$ARG16$"); c.OnDemand = true }},
		{name: "PATH lookup", edit: func(c *CheckConfig) { c.Command = []string{"sh"} }},
		{name: "no name", edit: func(c *CheckConfig) { c.Name = "" }, paths: []string{"name"}},
		{name: "bad name", edit: func(c *CheckConfig) { c.Name = "a b" }, paths: []string{"name"}},
		{name: "neither", edit: func(c *CheckConfig) { c.Command = nil }, paths: []string{""}},
		{name: "both", edit: func(c *CheckConfig) { c.Builtin = []string{"load"} }, paths: []string{""}},
		{name: "relative", edit: func(c *CheckConfig) { c.Command = []string{"./check_x"} }, paths: []string{"command[0]"}, msg: "relative path"},
		{name: "not in PATH", edit: func(c *CheckConfig) { c.Command = []string{"check_vigil_nonexistent"} }, paths: []string{"command[0]"}},
		{name: "placeholder program", edit: func(c *CheckConfig) { c.Command = []string{"$ARG1$"} }, paths: []string{"command[0]"}},
		{name: "placeholder in script", edit: func(c *CheckConfig) { c.Command, c.Shell, c.OnDemand = []string{"echo $ARG1$"}, true, true }, paths: []string{"command[0]"}},
		{name: "placeholders need on_demand", edit: func(c *CheckConfig) { c.Command = append(c.Command, "$ARG1$") }, paths: []string{"on_demand"}},
		{name: "placeholder range", edit: func(c *CheckConfig) { c.Command = append(c.Command, "$ARG17$", "$ARG0$"); c.OnDemand = true },
			paths: []string{"command[2]", "command[3]"}, msg: "$ARG17$"},
		{name: "NUL", edit: func(c *CheckConfig) { c.Command = append(c.Command, "a\x00") }, paths: []string{"command[2]"}},
		{name: "builtin with plugin keys", edit: func(c *CheckConfig) { c.Command, c.Builtin, c.Dir = nil, []string{"load"}, "/" }, paths: []string{"dir"}},
		{name: "durations", edit: func(c *CheckConfig) {
			c.Interval, c.RetryInterval, c.Timeout = 500*time.Millisecond, time.Minute, 0
		}, paths: []string{"interval", "retry_interval", "timeout"}},
		{name: "timeout above interval", edit: func(c *CheckConfig) { c.Timeout = 2 * time.Minute }, paths: []string{"timeout"}},
		{name: "attempts and cap", edit: func(c *CheckConfig) { c.MaxAttempts, c.OutputCap = 0, 10 }, paths: []string{"max_attempts", "output_cap"}},
		{name: "env", edit: func(c *CheckConfig) {
			c.Env = []string{"OK_1", "1BAD", "X"}
			c.SetEnv = map[string]string{"X": "1", "a-b": "2"}
		},
			paths: []string{"env[1]", "env[2]", "set_env.a-b"}},
		{name: "relative dir", edit: func(c *CheckConfig) { c.Dir = "tmp" }, paths: []string{"dir"}},
		{name: "user as root", edit: func(c *CheckConfig) { c.User = "nobody" }},
		{name: "unknown user", edit: func(c *CheckConfig) { c.User = "vigil-no-such-user" }, paths: []string{"user"}},
		{name: "user needs root", edit: func(c *CheckConfig) { c.User = "nobody" }, euid: 1000, paths: []string{"user"}, msg: "needs the agent to run as root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			c.Command = append([]string(nil), ok.Command...)
			tc.edit(&c)
			errs := c.validate(tc.euid)
			var paths []string
			for _, e := range errs {
				paths = append(paths, e.Path)
			}
			if strings.Join(paths, ",") != strings.Join(tc.paths, ",") {
				t.Fatalf("errors %v, want paths %q", errs, tc.paths)
			}
			if tc.msg != "" && !strings.Contains(errs[0].Msg, tc.msg) {
				t.Errorf("message %q, want %q in it", errs[0].Msg, tc.msg)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	c := Config{MaxConcurrent: 0, Checks: []CheckConfig{
		CheckConfig{Name: "a", Command: []string{"/bin/true"}}.withDefaults(),
		CheckConfig{Name: "a", Builtin: []string{"load"}}.withDefaults(),
	}}
	errs := c.Validate()
	if len(errs) != 2 || errs[0].Path != "max_concurrent" || errs[1].Path != "checks[1].name" {
		t.Errorf("errors = %v", errs)
	}
}

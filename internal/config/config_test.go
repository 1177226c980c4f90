package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const fullDoc = `# a complete agent config
agent:
  name: web-1
  interval: 15s
  tags: [prod, eu]
shipper:
  url: https://collector.example:8470
  token: "s3cret"
  timeout: 1m30s
  max_batch: 512KiB
  retries: 5
  insecure: true
  ratio: 0.5
inputs:
  - name: cpu
    type: cpu
  - name: logs
    type: logtail
    interval: 1s
    enabled: false
    paths:
      - /var/log/syslog
checks:
  disk:
    command: [check_disk, -w, "10%"]
    timeout: 5s
labels:
  env: prod
  "team.name": ops
spool:
  max_size: 1GiB
extra:
  anything: [1, two]
`

func TestParseFullDocument(t *testing.T) {
	got := defaultTestConfig()
	if err := Parse("agent.yaml", []byte(fullDoc), &got); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := defaultTestConfig()
	want.Agent = testAgent{Name: "web-1", Interval: 15 * time.Second, Common: testCommon{Tags: []string{"prod", "eu"}}}
	want.Shipper = testShipper{
		URL: "https://collector.example:8470", Token: "s3cret", Timeout: 90 * time.Second,
		MaxBatch: 512 * KiB, Retries: 5, Insecure: true, Ratio: 0.5,
	}
	want.Inputs = []testInput{
		{Name: "cpu", Type: "cpu", Interval: 10 * time.Second, Enabled: true}, // defaults from UnmarshalYAML
		{Name: "logs", Type: "logtail", Interval: time.Second, Enabled: false, Paths: []string{"/var/log/syslog"}},
	}
	want.Checks = map[string]testCheck{"disk": {Command: []string{"check_disk", "-w", "10%"}, Timeout: 5 * time.Second}}
	want.Labels = map[string]string{"env": "prod", "team.name": "ops"}
	want.Spool = &testSpool{Dir: "/var/lib/vigil/spool", MaxSize: GiB} // dir kept its default
	want.Extra = map[string]any{"anything": []any{uint64(1), "two"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\n got %#v\nwant %#v", got, want)
	}
	if got.Shipper.Token.Reveal() != "s3cret" {
		t.Errorf("token = %q, want s3cret", got.Shipper.Token.Reveal())
	}
}

func TestParseKeepsDefaults(t *testing.T) {
	for _, doc := range []string{"", "# only a comment\n", "---\n", "~\n", "agent:\n", "{}\n"} {
		t.Run(doc, func(t *testing.T) {
			got := defaultTestConfig()
			if err := Parse("agent.yaml", []byte(doc), &got); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if want := defaultTestConfig(); !reflect.DeepEqual(got, want) {
				t.Errorf("defaults changed:\n got %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		setup func(*testConfig)
		want  []string
	}{{
		name: "unknown keys at every depth",
		doc: `agent:
  name: a
  intervall: 5s
shipper:
  url: https://x
inputs:
  - name: cpu
    bogus: 1
  - nme: mem
checks:
  disk:
    comand: [x]
spool: {dir: /d, size: 1}
colour: blue
`,
		want: []string{
			`f.yaml:3:3: unknown field "intervall" (did you mean "interval"?)`,
			`f.yaml:8:5: unknown field "bogus"`,
			`f.yaml:9:5: unknown field "nme" (did you mean "name"?)`,
			`f.yaml:12:5: unknown field "comand" (did you mean "command"?)`,
			`f.yaml:13:18: unknown field "size"`,
			`f.yaml:14:1: unknown field "colour"`,
			// Validate still runs: unknown keys do not stop decoding.
			`f.yaml:9:5: inputs[1].name: is required`,
			`f.yaml:11:3: checks.disk.command: is required`,
		},
	}, {
		name: "type errors, all of them, and no validation",
		doc: `shipper:
  url: ftp://x
  retries: many
  insecure: yes
  ratio: [1]
inputs:
  - name: 5
    paths: /var/log
  - name: x
    enabled: 1
agent: [a]
`,
		want: []string{
			`f.yaml:3:12: shipper.retries: expected an integer, got string "many"`,
			`f.yaml:4:13: shipper.insecure: expected true or false, got string "yes"`,
			`f.yaml:5:10: shipper.ratio: expected a number, got a list`,
			`f.yaml:8:12: inputs[0].paths: expected a list, got string "/var/log"`,
			`f.yaml:10:14: inputs[1].enabled: expected true or false, got integer 1`,
			`f.yaml:11:8: agent: expected a mapping, got a list`,
		},
	}, {
		name: "values goccy would silently change",
		doc: `shipper:
  retries: 1.5
  url: 0x1F
agent:
  name: 1.10
labels:
  version: 007
`,
		want: []string{
			`f.yaml:2:12: shipper.retries: expected an integer, got number 1.5`,
			`f.yaml:3:8: shipper.url: 0x1F would be read as "31": quote it to keep it as written`,
			`f.yaml:5:9: agent.name: 1.10 would be read as "1.1": quote it to keep it as written`,
			`f.yaml:7:12: labels.version: 007 would be read as "7": quote it to keep it as written`,
		},
	}, {
		name: "durations and sizes",
		doc: `agent:
  interval: -5s
shipper:
  timeout: 10
  max_batch: 12 parsecs
inputs:
  - {name: a, interval: soon}
spool:
  max_size: 1G
checks:
  c: {timeout: 0, command: [x]}
`,
		want: []string{
			`f.yaml:2:13: agent.interval: duration "-5s" must not be negative`,
			`f.yaml:4:12: shipper.timeout: duration 10 has no unit: write "10s" for seconds`,
			`f.yaml:5:14: shipper.max_batch: unknown unit "parsecs" in size "12 parsecs": use B, KiB, MiB, GiB, TiB, PiB, EiB, KB, MB, GB, TB, PB or EB`,
			`f.yaml:7:25: inputs[0].interval: invalid duration "soon": use a number and a unit, such as "30s", "5m" or "1h30m"`,
			`f.yaml:9:13: spool.max_size: ambiguous unit in size "1G": use "GiB" (powers of 1024) or "GB" (powers of 1000)`,
			`f.yaml:11:16: checks.c.timeout: duration 0 has no unit: write "0s" for seconds`,
		},
	}, {
		name: "secrets are not echoed",
		doc:  "shipper:\n  token: 0123\n",
		want: []string{`f.yaml:2:10: shipper.token: the secret would not be read as written: quote it`},
	}, {
		name: "validator errors at the key, the list item, the closest parent",
		doc: `shipper:
  url: ftp://x
  retries: -1
inputs:
  - name: a
  - type: cpu
checks:
  disk: {}
spool:
  dir: /d
  max_size: 512KiB
`,
		want: []string{
			`f.yaml:2:3: shipper.url: must be an http or https URL, got "ftp://x"`,
			`f.yaml:3:3: shipper.retries: must not be negative`,
			`f.yaml:6:5: inputs[1].name: is required`,      // missing: at the item
			`f.yaml:8:3: checks.disk.command: is required`, // missing: at "disk"
			`f.yaml:11:3: spool.max_size: must be at least 1MiB`,
		},
	}, {
		name:  "validator error for a key missing at the top has no position",
		doc:   "agent: {name: a}\n",
		setup: func(c *testConfig) { c.Shipper = testShipper{} },
		want:  []string{`f.yaml: shipper.url: must be an http or https URL, got ""`},
	}, {
		name: "syntax error",
		doc:  "agent:\n  name: [a, b\nshipper: {}\n",
		want: []string{`f.yaml:3:1: syntax error: ',' or ']' must be specified`},
	}, {
		name: "duplicate key",
		doc:  "agent: {}\nagent: {}\n",
		want: []string{`f.yaml:2:1: syntax error: mapping key "agent" already defined at [1:1]`},
	}, {
		name: "not a mapping",
		doc:  "- agent\n",
		want: []string{`f.yaml:1:1: a config file must be a mapping of keys to values, got a list`},
	}, {
		name: "scalar document",
		doc:  "hello\n",
		want: []string{`f.yaml:1:1: a config file must be a mapping of keys to values, got string "hello"`},
	}, {
		name: "two documents",
		doc:  "agent: {}\n---\nshipper: {}\n",
		want: []string{`f.yaml:3:1: a config file must hold one YAML document, found another one here`},
	}, {
		name: "keys that are not strings",
		doc:  "agent:\n  1: x\n  true: y\n",
		want: []string{
			`f.yaml:2:3: agent: expected a string key, got integer 1`,
			`f.yaml:3:3: agent: expected a string key, got boolean true`,
		},
	}, {
		name: "anchors, aliases and merge keys",
		doc: `inputs:
  - &base {name: a, type: cpu, bogus: 1}
  - <<: *base
    name: b
  - *base
labels: *nowhere
`,
		want: []string{`f.yaml:6:9: alias *nowhere has no anchor &nowhere before it`},
	}, {
		name: "unknown key inside an anchor is reported once",
		doc: `inputs:
  - &base {name: a, bogus: 1}
  - *base
  - *base
`,
		want: []string{`f.yaml:2:21: unknown field "bogus"`},
	}, {
		name: "merged keys cannot be overridden",
		doc: `inputs:
  - &base {name: a, type: cpu}
  - <<: *base
    name: b
`,
		want: []string{`f.yaml:4:5: inputs[1]: duplicate key "name" (keys from a merge key (<<) cannot be overridden)`},
	}, {
		name: "tags",
		doc:  "agent: {name: !!str 123}\ninputs: !custom [a]\n",
		want: []string{
			`f.yaml:1:15: YAML tags such as !!str are not supported: quote a value to make it a string`,
			`f.yaml:2:9: YAML tags such as !custom are not supported: quote a value to make it a string`,
		},
	}, {
		name: "anchor defined twice",
		doc:  "agent: {name: &n a}\nlabels: {x: &n b, y: *n}\n",
		want: []string{`f.yaml:2:13: anchor &n is defined more than once`},
	}, {
		name: "alias inside its own anchor",
		doc:  "extra: &a [1, *a]\n",
		want: []string{`f.yaml:1:15: alias *a is inside its own anchor`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaultTestConfig()
			if tt.setup != nil {
				tt.setup(&cfg)
			}
			err := Parse("f.yaml", []byte(tt.doc), &cfg)
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse = %v (%T), want Errors", err, err)
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Column: 7, Msg: "bad"}, "a.yaml:3:7: bad"},
		{Error{File: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
		{Error{Line: 1, Column: 2, Msg: "bad"}, "1:2: bad"},
		{Error{Msg: "bad"}, "bad"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	errs := Errors{{File: "a", Line: 1, Column: 1, Msg: "x"}, {File: "a", Msg: "y"}}
	if got, want := errs.Error(), "a:1:1: x\na: y"; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
}

func TestPrefix(t *testing.T) {
	got := Prefix("inputs[2]", []FieldError{{Path: "name", Msg: "a"}, {Path: "", Msg: "b"}, {Path: "[0]", Msg: "c"}})
	want := []FieldError{{Path: "inputs[2].name", Msg: "a"}, {Path: "inputs[2]", Msg: "b"}, {Path: "inputs[2][0]", Msg: "c"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Prefix = %v, want %v", got, want)
	}
}

func TestResolvePathWithDottedMapKeys(t *testing.T) {
	doc := "thresholds:\n  system.cpu.total.pct:\n    warn: 1\n"
	type rule struct {
		Warn float64 `yaml:"warn"`
	}
	var cfg struct {
		Thresholds map[string]rule `yaml:"thresholds"`
	}
	p := &parse{file: "r.yaml"}
	body, _ := p.parseDocument([]byte(doc))
	defs, _, _ := p.checkTree(body)
	for path, want := range map[string][2]int{
		"thresholds.system.cpu.total.pct.warn": {3, 5},
		"thresholds.system.cpu.total.pct":      {2, 3},
		"thresholds.system.mem.pct":            {1, 1},
		"nothing":                              {0, 0},
	} {
		if l, c := resolvePath(defs, body, path); [2]int{l, c} != want {
			t.Errorf("resolvePath(%q) = %d:%d, want %d:%d", path, l, c, want[0], want[1])
		}
	}
	if err := Parse("r.yaml", []byte(doc), &cfg); err != nil {
		t.Fatalf("Parse: %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(path, []byte(fullDoc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := defaultTestConfig()
	if err := Load(path, &cfg); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Agent.Name != "web-1" {
		t.Errorf("agent.name = %q, want web-1", cfg.Agent.Name)
	}

	missing := filepath.Join(dir, "missing.yaml")
	err := Load(missing, &cfg)
	if err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want a not-exist error naming %s", err, missing)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("agent:\n  nmae: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Load(bad, &cfg); err == nil || !strings.HasPrefix(err.Error(), bad+":2:3: ") {
		t.Errorf("Load(bad) = %v, want an error at %s:2:3", err, bad)
	}
}

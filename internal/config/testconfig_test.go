package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// testConfig is shaped like the agent's config: nested sections, a list of
// items that default themselves, a map of structs, an inline struct,
// durations, sizes, secrets and a validator. The tests and FuzzParse use it.
type testConfig struct {
	Agent   testAgent            `yaml:"agent"`
	Shipper testShipper          `yaml:"shipper"`
	Inputs  []testInput          `yaml:"inputs"`
	Checks  map[string]testCheck `yaml:"checks"`
	Labels  map[string]string    `yaml:"labels"`
	Spool   *testSpool           `yaml:"spool"`
	Extra   any                  `yaml:"extra"`
	Ignored string               `yaml:"-"`
}

type testCommon struct {
	Tags []string `yaml:"tags"`
}

type testAgent struct {
	Name     string        `yaml:"name"`
	Interval time.Duration `yaml:"interval"`
	Common   testCommon    `yaml:",inline"`
}

type testShipper struct {
	URL      string        `yaml:"url"`
	Token    Secret        `yaml:"token"`
	Timeout  time.Duration `yaml:"timeout"`
	MaxBatch ByteSize      `yaml:"max_batch"`
	Retries  int           `yaml:"retries"`
	Insecure bool          `yaml:"insecure"`
	Ratio    float64       `yaml:"ratio"`
}

type testInput struct {
	Name     string        `yaml:"name"`
	Type     string        `yaml:"type"`
	Interval time.Duration `yaml:"interval"`
	Enabled  bool          `yaml:"enabled"`
	Paths    []string      `yaml:"paths"`
}

// UnmarshalYAML gives list items their defaults, the way callers must.
func (in *testInput) UnmarshalYAML(unmarshal func(any) error) error {
	type plain testInput
	p := plain{Interval: 10 * time.Second, Enabled: true}
	if err := unmarshal(&p); err != nil {
		return err
	}
	*in = testInput(p)
	return nil
}

type testCheck struct {
	Command []string      `yaml:"command"`
	Timeout time.Duration `yaml:"timeout"`
}

type testSpool struct {
	Dir     string   `yaml:"dir"`
	MaxSize ByteSize `yaml:"max_size"`
}

func defaultTestConfig() testConfig {
	return testConfig{
		Agent:   testAgent{Name: "host", Interval: 10 * time.Second},
		Shipper: testShipper{URL: "https://collector:8470", Timeout: 30 * time.Second, MaxBatch: MiB, Retries: 3},
		Spool:   &testSpool{Dir: "/var/lib/vigil/spool", MaxSize: 256 * MiB},
	}
}

func (c *testConfig) Validate() []FieldError {
	var errs []FieldError
	if u := c.Shipper.URL; !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		errs = append(errs, FieldError{Path: "shipper.url", Msg: fmt.Sprintf("must be an http or https URL, got %q", u)})
	}
	if c.Shipper.Retries < 0 {
		errs = append(errs, FieldError{Path: "shipper.retries", Msg: "must not be negative"})
	}
	for i, in := range c.Inputs {
		errs = append(errs, Prefix(fmt.Sprintf("inputs[%d]", i), in.validate())...)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Checks)) {
		if ch := c.Checks[name]; len(ch.Command) == 0 {
			errs = append(errs, FieldError{Path: "checks." + name + ".command", Msg: "is required"})
		}
	}
	if c.Spool != nil && c.Spool.MaxSize < MiB {
		errs = append(errs, FieldError{Path: "spool.max_size", Msg: "must be at least 1MiB"})
	}
	return errs
}

func (in testInput) validate() []FieldError {
	if in.Name == "" {
		return []FieldError{{Path: "name", Msg: "is required"}}
	}
	return nil
}

// Package config loads the YAML config files of vigil-agent and
// vigil-collector strictly: unknown keys are errors, values of the wrong
// type are errors, and every problem in a file is reported at once, each as
// "file:line:col: message", so that -check-config can list them all.
//
// It decodes with github.com/goccy/go-yaml and adds what that lacks for
// config files: goccy stops at the first error and reports some without a
// position; it truncates 1.5 to 1 for an integer, turns 0x1F into "31" for a
// string and accepts negative durations; its parser is quadratic in the
// keys of one mapping and in nesting depth, and resolves every alias to the
// last anchor of that name. Parse walks the parsed document against the
// destination type itself and bounds the input (see limits.go).
//
// # Writing a config type
//
// The caller fills the struct with defaults and hands a pointer to Parse or
// Load; keys absent from the file (or set to null) keep their defaults.
// Items of lists and maps have no caller to fill them, so a type used there
// sets its own defaults in UnmarshalYAML with the `type plain T` pattern,
// which Parse recognizes: such a type is still checked key by key against
// its fields.
//
//	type Config struct {
//		Shipper Shipper           `yaml:"shipper"`
//		Inputs  []Input           `yaml:"inputs"`
//		Labels  map[string]string `yaml:"labels"`
//	}
//
//	type Shipper struct {
//		URL       string          `yaml:"url"`
//		Token     config.Secret   `yaml:"token"`      // never printed or logged
//		TokenFile string          `yaml:"token_file"` // read with config.ReadSecretFile
//		Timeout   time.Duration   `yaml:"timeout"`    // "10s", "1m30s"; negative is an error
//		MaxBatch  config.ByteSize `yaml:"max_batch"`  // "256KiB", "1MB", or bytes
//	}
//
//	type Input struct {
//		Name     string        `yaml:"name"`
//		Interval time.Duration `yaml:"interval"`
//	}
//
//	func (in *Input) UnmarshalYAML(unmarshal func(any) error) error {
//		type plain Input // same fields, without this method
//		p := plain{Interval: 10 * time.Second}
//		if err := unmarshal(&p); err != nil {
//			return err
//		}
//		*in = Input(p)
//		return nil
//	}
//
//	func (c *Config) Validate() []config.FieldError {
//		var errs []config.FieldError
//		if c.Shipper.URL == "" {
//			errs = append(errs, config.FieldError{Path: "shipper.url", Msg: "is required"})
//		}
//		for i, in := range c.Inputs {
//			errs = append(errs, config.Prefix(fmt.Sprintf("inputs[%d]", i), in.Validate())...)
//		}
//		return errs
//	}
//
//	cfg := Config{Shipper: Shipper{Timeout: 30 * time.Second, MaxBatch: config.MiB}}
//	if err := config.Load("/etc/vigil/agent.yaml", &cfg); err != nil {
//		fmt.Fprintln(os.Stderr, err) // one problem per line
//		os.Exit(1)
//	}
//
// Rules for config types, all following from how goccy maps YAML to Go:
//
//   - A key is the yaml tag name, else the json tag name, else the field
//     name in lower case; `yaml:"-"` and unexported fields are not keys.
//   - An embedded struct needs `yaml:",inline"` to share its parent's keys;
//     Parse refuses embedded structs without it (goccy would read them from
//     a key named after the type), inline maps and fixed-size arrays.
//   - UnmarshalYAML may run more than once per value (Parse checks values on
//     scratch copies before the real decode), so it must not have side
//     effects. Put checks that need the whole config in Validate, where they
//     get a path and thus a position; an error returned from UnmarshalYAML
//     is reported at the start of the value.
//   - Types with other unmarshalers (UnmarshalYAML taking bytes or an
//     ast.Node, UnmarshalText) get the value whole, and their error is the
//     only check. For a type whose YAML shape is not its fields, prefer
//     UnmarshalYAML(ast.Node): goccy re-formats the whole file for every
//     value it hands to a bytes or text unmarshaler, so many such values in
//     a large file are slow (netip.Addr in a list of thousands, say).
//   - Strings: 0x1F, 1.10, 007 or 1_000 unquoted are numbers to YAML and
//     would not read back as written, so Parse asks for quotes. Integers
//     refuse fractions (goccy would truncate 1.5 to 1).
//   - time.Duration fields take strings with a unit ("30s", "0s"); bare
//     numbers and negative durations are errors.
//   - Validate runs when the file has unknown keys but not when a value
//     failed to decode, since dst is then partly defaults (see Validator).
//
// Anchors, aliases and merge keys (<<) work, within limits: an anchor name
// may be defined once, an alias must follow its anchor, and keys from a
// merge cannot be overridden (goccy treats that as a duplicate key). Tags
// (!!str, !custom) and several documents in one file are refused.
package config

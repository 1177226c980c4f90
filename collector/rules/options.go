package rules

import (
	"fmt"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/config"
)

// Config is the `alerting:` section of collector.yaml.
type Config struct {
	// RuleFiles are glob patterns of rule files, relative to collector.yaml.
	RuleFiles []string `yaml:"rule_files"`
	// EvaluationInterval is how often every rule is evaluated.
	EvaluationInterval time.Duration `yaml:"evaluation_interval"`
	// ResolvedRetention is how long a resolved alert stays visible (API,
	// dispatch) before it is forgotten.
	ResolvedRetention time.Duration  `yaml:"resolved_retention"`
	HostDown          HostDownConfig `yaml:"host_down"`
	Checks            ChecksConfig   `yaml:"checks"`
	Flapping          FlappingConfig `yaml:"flapping"`
}

// ChecksConfig is the built-in alert on check results (plugins, built-in
// checks, polled NRPE commands), with Nagios semantics: a SOFT problem is a
// pending alert, a HARD one fires, the return to OK resolves.
type ChecksConfig struct {
	Enabled bool `yaml:"enabled"`
	// UnknownSeverity is the severity of a HARD UNKNOWN (a plugin that
	// could not check: timeout, bad arguments): warning or critical.
	UnknownSeverity alert.Severity `yaml:"unknown_severity"`
	// StaleAfter retires (resolves) the alert of a check that stopped
	// reporting while its host still reports: the check was removed.
	StaleAfter time.Duration     `yaml:"stale_after"`
	Labels     map[string]string `yaml:"labels"`
}

// HostDownConfig is the built-in HostDown alert.
type HostDownConfig struct {
	Enabled bool `yaml:"enabled"`
	// Multiple of the agent's own collection interval a host may stay silent.
	Multiple float64 `yaml:"multiple"`
	// MinSilence is the least silence that counts, whatever the interval.
	MinSilence  time.Duration     `yaml:"min_silence"`
	Severity    alert.Severity    `yaml:"severity"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// FlappingConfig is Nagios-style flap detection on the last 21 results.
type FlappingConfig struct {
	Enabled bool `yaml:"enabled"`
	// High is the percent state change at which flapping starts; Low is the
	// one below which it stops.
	High float64 `yaml:"high"`
	Low  float64 `yaml:"low"`
}

// DefaultConfig is what collector.yaml gets when `alerting:` is absent.
func DefaultConfig() Config {
	return Config{
		RuleFiles:          []string{"/etc/vigil/rules.d/*.yaml"},
		EvaluationInterval: time.Second,
		ResolvedRetention:  15 * time.Minute,
		HostDown: HostDownConfig{
			Enabled: true, Multiple: 3, MinSilence: 30 * time.Second, Severity: alert.Critical,
			Annotations: map[string]string{
				"summary":     "{{ .Host }} has not reported for {{ duration .Value }}",
				"description": "No data from the agent on {{ .Host }}. Its other alerts are held until it reports again.",
			},
		},
		Checks:   ChecksConfig{Enabled: true, UnknownSeverity: alert.Critical, StaleAfter: 24 * time.Hour, Labels: map[string]string{}},
		Flapping: FlappingConfig{Enabled: true, High: 20, Low: 5},
	}
}

// Validate checks the section; paths are relative to it.
func (c *Config) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(p, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: p, Msg: fmt.Sprintf(format, args...)})
	}
	if c.EvaluationInterval < 100*time.Millisecond {
		add("evaluation_interval", "must be at least 100ms, got %s", c.EvaluationInterval)
	}
	if c.ResolvedRetention < c.EvaluationInterval {
		add("resolved_retention", "must be at least evaluation_interval")
	}
	if c.HostDown.Multiple < 1 {
		add("host_down.multiple", "must be at least 1, got %g", c.HostDown.Multiple)
	}
	if c.HostDown.Severity == alert.SeverityNone {
		add("host_down.severity", "want warning or critical")
	}
	for k, text := range c.HostDown.Annotations {
		if _, err := parseTemplate(k, text); err != nil {
			add("host_down.annotations."+k, "%v", err)
		}
	}
	for k := range c.HostDown.Labels {
		if reserved[k] {
			add("host_down.labels."+k, "%q is set by Vigil and cannot be overridden", k)
		}
	}
	if c.Checks.UnknownSeverity == alert.SeverityNone {
		add("checks.unknown_severity", "want warning or critical")
	}
	if c.Checks.StaleAfter < time.Minute {
		add("checks.stale_after", "must be at least 1m, got %s", c.Checks.StaleAfter)
	}
	for k := range c.Checks.Labels {
		if reserved[k] || k == LabelCheck {
			add("checks.labels."+k, "%q is set by Vigil and cannot be overridden", k)
		}
	}
	if c.Flapping.Enabled && (c.Flapping.Low < 0 || c.Flapping.High > 100 || c.Flapping.Low >= c.Flapping.High) {
		add("flapping", "want 0 <= low < high <= 100, got low %g high %g", c.Flapping.Low, c.Flapping.High)
	}
	return errs
}

func (c *Config) flap() flapConfig {
	if !c.Flapping.Enabled {
		return flapConfig{}
	}
	return flapConfig{Low: c.Flapping.Low, High: c.Flapping.High}
}

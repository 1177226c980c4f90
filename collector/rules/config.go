// Package rules loads alert rule files and evaluates them: a state machine per
// alert instance (inactive → pending → firing → resolved) with for/attempts,
// hysteresis, flapping detection, no-data handling and the built-in HostDown
// alert. Evaluation takes the time as an argument; only the caller's scheduler
// reads the clock.
package rules

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/config"
)

// File is one rule file: groups of rules, like a Prometheus rule file.
type File struct {
	Groups []Group `yaml:"groups"`

	// names collects alert names across the files of one load so that a
	// duplicate is reported at its own file:line:col. Not part of the YAML.
	names map[string]string
	file  string
}

// Group is a named set of rules; its name becomes the rulegroup label.
type Group struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// Rule is one alert rule on one metric field.
type Rule struct {
	// Alert is the alert name (alertname label); unique across all rule files.
	Alert string `yaml:"alert"`
	// Field is the ECS metric field, e.g. system.filesystem.used.pct.
	Field string `yaml:"field"`
	// Where selects series by exact dimension values; keys may be the short
	// dimension name (mount_point) or the full ECS name
	// (system.filesystem.mount_point).
	Where map[string]string `yaml:"where"`
	// Matchers selects series by dimension with =, !=, =~, !~ (short names).
	Matchers alert.Matchers `yaml:"matchers"`
	// Hosts are host name globs (path.Match syntax); empty means every host.
	Hosts []string `yaml:"hosts"`
	// HostLabels match the host's identity labels (os.family, cloud.region,
	// cloud.availability_zone, cloud.instance_type, architecture).
	HostLabels alert.Matchers `yaml:"host_labels"`
	// Aggregate is applied to the samples of the last Window: last (default),
	// avg, min or max.
	Aggregate string        `yaml:"aggregate"`
	Window    time.Duration `yaml:"window"`

	Warning  *Condition `yaml:"warning"`
	Critical *Condition `yaml:"critical"`
	// Recover is the hysteresis: once firing, the alert resolves only when
	// Recover holds (fire above 0.90, clear below 0.85).
	Recover *Condition `yaml:"recover"`

	// For is how long the condition must hold before the alert fires.
	For time.Duration `yaml:"for"`
	// Attempts is how many consecutive evaluations on new data must breach
	// before the alert fires (Nagios max_check_attempts: soft, then hard).
	Attempts int `yaml:"attempts"`

	NoData NoData `yaml:"no_data"`

	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// NoData says what happens when a series has no sample for After.
type NoData struct {
	// After is how long a series may be silent; 0 means the rule's window, or
	// three times the host's collection interval when it has none.
	After time.Duration `yaml:"after"`
	// State is ok (resolve; the default, as when a Prometheus series
	// vanishes), keep (hold the last state), warning or critical.
	State string `yaml:"state"`
}

// No-data states.
const (
	NoDataOK       = "ok"
	NoDataKeep     = "keep"
	NoDataWarning  = "warning"
	NoDataCritical = "critical"
)

// UnmarshalYAML sets the rule defaults.
func (r *Rule) UnmarshalYAML(unmarshal func(any) error) error {
	type plain Rule
	p := plain{Aggregate: "last", Attempts: 1, NoData: NoData{State: NoDataOK}}
	if err := unmarshal(&p); err != nil {
		return err
	}
	*r = Rule(p)
	return nil
}

var (
	alertNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	fieldRE     = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)
	aggregates  = map[string]bool{"last": true, "avg": true, "min": true, "max": true}
	noDataState = map[string]bool{NoDataOK: true, NoDataKeep: true, NoDataWarning: true, NoDataCritical: true}
	reserved    = map[string]bool{alert.LabelAlertname: true, alert.LabelHost: true, alert.LabelSeverity: true}
)

// Validate checks every rule, including that its templates parse and run.
func (f *File) Validate() []config.FieldError {
	var errs []config.FieldError
	groups := map[string]bool{}
	for i := range f.Groups {
		g := &f.Groups[i]
		gp := fmt.Sprintf("groups[%d]", i)
		if g.Name == "" {
			errs = append(errs, config.FieldError{Path: gp + ".name", Msg: "required"})
		} else if groups[g.Name] {
			errs = append(errs, config.FieldError{Path: gp + ".name", Msg: fmt.Sprintf("duplicate group %q", g.Name)})
		}
		groups[g.Name] = true
		for j := range g.Rules {
			rp := fmt.Sprintf("%s.rules[%d]", gp, j)
			errs = append(errs, config.Prefix(rp, g.Rules[j].Validate())...)
			if name := g.Rules[j].Alert; name != "" && f.names != nil {
				if where, dup := f.names[name]; dup {
					errs = append(errs, config.FieldError{Path: rp + ".alert",
						Msg: fmt.Sprintf("duplicate alert %q (first defined in %s)", name, where)})
				} else {
					f.names[name] = fmt.Sprintf("%s, group %q", f.file, g.Name)
				}
			}
		}
	}
	return errs
}

// Validate checks one rule.
func (r *Rule) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(p, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: p, Msg: fmt.Sprintf(format, args...)})
	}
	if !alertNameRE.MatchString(r.Alert) {
		add("alert", "want a name like DiskFull (letters, digits, _), got %q", r.Alert)
	}
	if !fieldRE.MatchString(r.Field) {
		add("field", "want an ECS field such as system.filesystem.used.pct, got %q", r.Field)
	}
	for _, h := range r.Hosts {
		if _, err := path.Match(h, ""); err != nil {
			add("hosts", "bad glob %q: %v", h, err)
		}
	}
	if !aggregates[r.Aggregate] {
		add("aggregate", "want last, avg, min or max, got %q", r.Aggregate)
	}
	if r.Window < 0 || (r.Aggregate != "last" && r.Window == 0) {
		add("window", "%s needs a positive window, e.g. 5m", r.Aggregate)
	}
	if r.Warning == nil && r.Critical == nil {
		add("critical", "a rule needs a warning or a critical condition (or both)")
	}
	errs = append(errs, r.validateRecover()...)
	if r.For < 0 {
		add("for", "must not be negative")
	}
	if r.Attempts < 1 || r.Attempts > 64 {
		add("attempts", "want 1..64, got %d", r.Attempts)
	}
	if !noDataState[r.NoData.State] {
		add("no_data.state", "want ok, keep, warning or critical, got %q", r.NoData.State)
	}
	if r.NoData.After < 0 {
		add("no_data.after", "must not be negative")
	}
	for _, k := range sortedKeys(r.Labels) {
		if reserved[k] {
			add("labels."+k, "%q is set by Vigil and cannot be overridden", k)
		}
	}
	for _, k := range sortedKeys(r.Annotations) {
		if _, err := parseTemplate(k, r.Annotations[k]); err != nil {
			add("annotations."+k, "%v", err)
		}
	}
	return errs
}

// validateRecover checks that the recovery condition points the other way
// from the firing conditions and does not overlap them, so an alert can
// neither resolve while it would fire nor fire and resolve at once.
func (r *Rule) validateRecover() []config.FieldError {
	if r.Recover == nil {
		return nil
	}
	var up, down bool
	var bound float64 // the firing threshold nearest to the normal range
	for i, c := range r.fireConditions() {
		up, down = up || c.upward(), down || c.downward()
		switch {
		case i == 0:
			bound = c.Threshold
		case c.upward():
			bound = min(bound, c.Threshold)
		default:
			bound = max(bound, c.Threshold)
		}
	}
	bad := func(msg string, args ...any) []config.FieldError {
		return []config.FieldError{{Path: "recover", Msg: fmt.Sprintf(msg, args...)}}
	}
	switch {
	case up && down, !up && !down:
		return bad("recover needs warning/critical conditions that all use > / >= or all use < / <=")
	case up && !r.Recover.downward():
		return bad("firing uses >, so recover must use < or <=, e.g. \"< %g\"", bound)
	case down && !r.Recover.upward():
		return bad("firing uses <, so recover must use > or >=, e.g. \"> %g\"", bound)
	case up && r.Recover.Threshold > bound:
		return bad("recover threshold %g is above the lowest firing threshold %g", r.Recover.Threshold, bound)
	case down && r.Recover.Threshold < bound:
		return bad("recover threshold %g is below the highest firing threshold %g", r.Recover.Threshold, bound)
	}
	return nil
}

// fireConditions returns the warning and critical conditions that are set.
func (r *Rule) fireConditions() []*Condition {
	var cs []*Condition
	for _, c := range []*Condition{r.Warning, r.Critical} {
		if c != nil {
			cs = append(cs, c)
		}
	}
	return cs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// shortDim turns a full ECS dimension name into its label name: the part after
// the field's dataset ("system.filesystem.mount_point" for field
// "system.filesystem.used.pct" → "mount_point"), else the last component.
func shortDim(field, dim string) string {
	ds := dataset(field)
	if rest, ok := strings.CutPrefix(dim, ds+"."); ok {
		return strings.ReplaceAll(rest, ".", "_")
	}
	if i := strings.LastIndexByte(dim, '.'); i >= 0 {
		return dim[i+1:]
	}
	return dim
}

// dataset is the first two components of an ECS field (system.filesystem).
func dataset(field string) string {
	first := strings.IndexByte(field, '.')
	if first < 0 {
		return field
	}
	if second := strings.IndexByte(field[first+1:], '.'); second >= 0 {
		return field[:first+1+second]
	}
	return field
}

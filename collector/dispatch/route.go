// Package dispatch is the stage between the rule engine and the notifiers, after
// Alertmanager's dispatcher and notification pipeline: it routes alerts through a
// tree of routes to receivers, batches them into groups, decides with the
// persisted notification log what each integration still has to be told
// (changes, repeats, resolves; nothing twice, also across restarts), holds
// silenced, acknowledged and suppressed alerts, and retries failed sends with
// backoff, recording every attempt in the alert history.
package dispatch

import (
	"fmt"
	"slices"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/config"
)

// GroupAll in group_by puts every label (but severity) in the group key, so each
// alert gets a group of its own.
const GroupAll = "..."

// Default timings of the root route; child routes inherit from their parent
// instead. The root's default group_by is [alertname, host].
const (
	DefaultGroupWait      = 10 * time.Second
	DefaultGroupInterval  = time.Minute
	DefaultRepeatInterval = 4 * time.Hour
	DefaultResolveWait    = time.Duration(0)
)

// Route is one node of the routing tree, the `route:` section of collector.yaml.
//
// An alert enters at the root and descends into the first child whose matchers
// it satisfies (depth first); with Continue set on that child it also tries the
// child's later siblings. The deepest routes it reaches decide its receiver and
// grouping; when no child matches, the route itself does.
//
// A child inherits every setting it leaves unset from its parent: Receiver when
// empty, GroupBy when nil (absent from the file; `group_by: []` is set and
// means one group for the whole route), the timings when nil. That is why the
// timings are pointers: the zero duration is a real value ("group_wait: 0s"
// sends at once). The root inherits the Default* values. Matchers and Continue
// are never inherited.
type Route struct {
	// Receiver names an entry of receivers. Required on the root.
	Receiver string `yaml:"receiver"`
	// Matchers must all hold for an alert to enter the route, e.g.
	// `severity="critical"` or `host=~"db-.*"`. The root has none.
	Matchers alert.Matchers `yaml:"matchers"`
	// GroupBy names the labels whose values make up a group: alerts with the
	// same values are notified together. GroupAll ("...") means every label.
	GroupBy []string `yaml:"group_by"`
	// GroupWait is how long a new group waits for more alerts before its
	// first notification.
	GroupWait *time.Duration `yaml:"group_wait"`
	// GroupInterval is the least time between two notifications of a group
	// about new or changed alerts.
	GroupInterval *time.Duration `yaml:"group_interval"`
	// RepeatInterval is how often a receiver is reminded of an alert that is
	// still firing and not acknowledged.
	RepeatInterval *time.Duration `yaml:"repeat_interval"`
	// ResolveWait is the least time after a group's previous notification
	// before resolved alerts are announced. The default 0 sends them at
	// once; a few seconds batch the resolves of a host coming back.
	ResolveWait *time.Duration `yaml:"resolve_wait"`
	// Continue lets an alert that matched this route go on to its siblings.
	Continue bool `yaml:"continue"`
	// Routes are the children, tried in order.
	Routes []Route `yaml:"routes"`
}

// Validate checks the tree against the configured receiver names. Paths are
// relative to the route (prefix them with "route"). It checks the values each
// route ends up with after inheritance, and reports a problem at the route that
// sets the offending key.
func (r *Route) Validate(receivers []string) []config.FieldError {
	var errs []config.FieldError
	if r.Receiver == "" {
		errs = append(errs, config.FieldError{Path: "receiver", Msg: "is required on the root route"})
	}
	if len(r.Matchers) > 0 {
		errs = append(errs, config.FieldError{Path: "matchers", Msg: "the root route matches every alert and cannot have matchers"})
	}
	if r.Continue {
		errs = append(errs, config.FieldError{Path: "continue", Msg: "the root route has no siblings to continue to"})
	}
	known := make(map[string]bool, len(receivers))
	for _, n := range receivers {
		known[n] = true
	}
	r.validate("", rootOptions(), known, &errs)
	return errs
}

// validate checks r, whose parent resolved to parent, and its children.
func (r *Route) validate(path string, parent routeOptions, known map[string]bool, errs *[]config.FieldError) {
	add := func(key, format string, args ...any) {
		p := key
		if path != "" {
			p = path + "." + key
		}
		*errs = append(*errs, config.FieldError{Path: p, Msg: fmt.Sprintf(format, args...)})
	}
	o := r.resolve(parent)
	if r.Receiver != "" && !known[r.Receiver] {
		add("receiver", "unknown receiver %q (not in receivers)", r.Receiver)
	}
	if r.GroupBy != nil {
		seen := map[string]bool{}
		for i, n := range r.GroupBy {
			key := fmt.Sprintf("group_by[%d]", i)
			switch {
			case n == GroupAll && len(r.GroupBy) > 1:
				add(key, "%q groups by every label and cannot be combined with other names", GroupAll)
			case n != GroupAll && !validLabelName(n):
				add(key, "invalid label name %q", n)
			case seen[n]:
				add(key, "%q is listed twice", n)
			}
			seen[n] = true
		}
	}
	for _, d := range []struct {
		key string
		v   *time.Duration
	}{{"group_wait", r.GroupWait}, {"group_interval", r.GroupInterval}, {"repeat_interval", r.RepeatInterval}, {"resolve_wait", r.ResolveWait}} {
		if d.v != nil && *d.v < 0 {
			add(d.key, "must not be negative, got %s", *d.v)
		}
	}
	// Relations between timings are checked where one of them is set, so an
	// inherited problem is reported once, at the route that causes it.
	if r.GroupInterval != nil && o.groupInterval <= 0 {
		add("group_interval", "must be positive, got %s", o.groupInterval)
	}
	if (r.RepeatInterval != nil || r.GroupInterval != nil) && o.groupInterval > 0 && o.repeatInterval < o.groupInterval {
		key := "repeat_interval"
		if r.RepeatInterval == nil {
			key = "group_interval"
		}
		add(key, "repeat_interval (%s) must be at least group_interval (%s)", o.repeatInterval, o.groupInterval)
	}
	if (r.ResolveWait != nil || r.GroupInterval != nil) && o.resolveWait > o.groupInterval {
		key := "resolve_wait"
		if r.ResolveWait == nil {
			key = "group_interval"
		}
		add(key, "resolve_wait (%s) must not exceed group_interval (%s)", o.resolveWait, o.groupInterval)
	}
	for i := range r.Routes {
		p := fmt.Sprintf("routes[%d]", i)
		if path != "" {
			p = path + "." + p
		}
		r.Routes[i].validate(p, o, known, errs)
	}
}

// routeOptions are the settings of a route after inheritance.
type routeOptions struct {
	receiver       string
	groupBy        []string
	groupAll       bool
	groupWait      time.Duration
	groupInterval  time.Duration
	repeatInterval time.Duration
	resolveWait    time.Duration
}

// rootOptions is what the root route inherits.
func rootOptions() routeOptions {
	return routeOptions{
		groupBy:        []string{alert.LabelAlertname, alert.LabelHost},
		groupWait:      DefaultGroupWait,
		groupInterval:  DefaultGroupInterval,
		repeatInterval: DefaultRepeatInterval,
		resolveWait:    DefaultResolveWait,
	}
}

// resolve fills what r leaves unset from its parent's options.
func (r *Route) resolve(parent routeOptions) routeOptions {
	o := parent
	if r.Receiver != "" {
		o.receiver = r.Receiver
	}
	if r.GroupBy != nil {
		o.groupBy = slices.Clone(r.GroupBy)
	}
	o.groupAll = slices.Contains(o.groupBy, GroupAll)
	for _, f := range []struct {
		src *time.Duration
		dst *time.Duration
	}{{r.GroupWait, &o.groupWait}, {r.GroupInterval, &o.groupInterval}, {r.RepeatInterval, &o.repeatInterval}, {r.ResolveWait, &o.resolveWait}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	return o
}

// validLabelName mirrors alert's rule for label names (letters, digits after
// the first character, '_' and '.').
func validLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

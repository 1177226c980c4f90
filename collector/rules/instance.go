package rules

import (
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// instance is one alert instance: a rule applied to one series (or HostDown
// for one host). Its exported fields are what is persisted, so that a restart
// keeps pending timers, firing episodes and attempt counts.
type instance struct {
	ID          string            `json:"id"`
	Rule        string            `json:"rule"`
	Labels      alert.Labels      `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// State is the rule's own state; while Flapping the reported state is
	// firing regardless (see report).
	State      alert.State    `json:"state"`
	Severity   alert.Severity `json:"severity"`
	Value      float64        `json:"value"`
	ActiveAt   time.Time      `json:"active_at,omitzero"`
	FiredAt    time.Time      `json:"fired_at,omitzero"`
	ResolvedAt time.Time      `json:"resolved_at,omitzero"`
	Attempts   int            `json:"attempts,omitempty"`
	Flapping   bool           `json:"flapping,omitempty"`
	// FlapSeverity is reported while flapping, so that severity changes
	// inside a flapping period do not each notify.
	FlapSeverity alert.Severity `json:"flap_severity,omitzero"`
	Suppressed   string         `json:"suppressed,omitempty"`
	// LastEval is when the instance was last evaluated with data, so that an
	// instance whose series is gone after a restart is not kept forever.
	LastEval time.Time `json:"last_eval,omitzero"`

	flaps   flapHistory
	dirty   bool
	reason  string // for the history entry of the next change
	updates uint64 // series.updates at the last evaluation
	round   uint64 // Engine.round in which the instance was last looked at
	// reported caches the label set with severity, rebuilt only when the
	// reported severity changes: report runs for every firing alert on every
	// evaluation.
	reported    alert.Labels
	reportedSev alert.Severity
}

// stepInput is one evaluation's verdict on an instance.
type stepInput struct {
	now   time.Time
	level alert.Severity // SeverityNone when the condition does not hold
	value float64
	fresh bool // new data since the last evaluation (an attempt)
	hold  time.Duration
	tries int
}

// change records a transition for the history.
type change struct {
	from, to alert.State
	sev      alert.Severity
	msg      string
}

// step advances the state machine and returns the transitions it made (state
// changes, severity changes, flapping start/stop) for the alert history.
func (in *instance) step(s stepInput, flap flapConfig) []change {
	var out []change
	note := func(from, to alert.State, msg string) {
		out = append(out, change{from: from, to: to, sev: in.Severity, msg: msg})
		in.dirty = true
	}
	in.Value = s.value
	if s.fresh {
		in.flaps.add(uint8(s.level))
	}
	switch in.State {
	case alert.Inactive, alert.Resolved, "":
		if s.level == alert.SeverityNone {
			break
		}
		from := in.State
		in.State, in.ActiveAt, in.Severity, in.Attempts = alert.Pending, s.now, s.level, 0
		if s.fresh {
			in.Attempts = 1
		}
		note(from, alert.Pending, "condition holds")
		out = append(out, in.maybeFire(s)...)
	case alert.Pending:
		if s.level == alert.SeverityNone {
			in.State, in.Attempts = alert.Inactive, 0
			note(alert.Pending, alert.Inactive, "condition cleared before firing")
			break
		}
		if s.fresh {
			in.Attempts++
			in.dirty = true
		}
		in.Severity = s.level
		out = append(out, in.maybeFire(s)...)
	case alert.Firing:
		switch {
		case s.level == alert.SeverityNone:
			in.State, in.ResolvedAt, in.Attempts = alert.Resolved, s.now, 0
			note(alert.Firing, alert.Resolved, "recovered")
		case s.level != in.Severity:
			old := in.Severity
			in.Severity = s.level
			note(alert.Firing, alert.Firing, "severity "+old.String()+" → "+s.level.String())
		}
	}
	if flap.enabled() && s.fresh {
		out = append(out, in.checkFlapping(s.now, flap)...)
	}
	return out
}

// maybeFire moves a pending instance to firing once `for` and `attempts` are
// both satisfied (Nagios: the soft state has become hard).
func (in *instance) maybeFire(s stepInput) []change {
	if s.now.Sub(in.ActiveAt) < s.hold || in.Attempts < s.tries {
		return nil
	}
	in.State = alert.Firing
	if !in.Flapping {
		// While flapping the episode that started with the flapping
		// notification continues; a new FiredAt would start a new one.
		in.FiredAt = s.now
	}
	in.dirty = true
	return []change{{from: alert.Pending, to: alert.Firing, sev: in.Severity, msg: "fired"}}
}

// checkFlapping starts or ends flapping with hysteresis between the low and
// high thresholds, as Nagios does.
func (in *instance) checkFlapping(now time.Time, flap flapConfig) []change {
	pct := in.flaps.percent()
	switch {
	case !in.Flapping && pct >= flap.High:
		in.Flapping = true
		if in.State != alert.Firing || in.FiredAt.IsZero() {
			in.FiredAt = now // a new episode, announced as flapping
		}
		in.FlapSeverity = max(in.Severity, alert.Warning)
		in.dirty = true
		return []change{{from: in.State, to: in.State, sev: in.Severity, msg: "flapping started"}}
	case in.Flapping && pct < flap.Low:
		in.Flapping = false
		in.dirty = true
		if in.State != alert.Firing {
			// The episode the flapping notification opened ends here.
			from := in.State
			in.State, in.ResolvedAt, in.Attempts = alert.Resolved, now, 0
			return []change{{from: from, to: alert.Resolved, sev: in.Severity, msg: "flapping stopped; resolved"}}
		}
		return []change{{from: alert.Firing, to: alert.Firing, sev: in.Severity, msg: "flapping stopped; still firing"}}
	}
	return nil
}

// report is the alert as dispatch and the API see it.
func (in *instance) report() alert.Alert {
	a := alert.Alert{
		ID: in.ID, Rule: in.Rule, Labels: in.Labels, Annotations: in.Annotations, State: in.State,
		Severity: in.Severity, Value: in.Value, ActiveAt: in.ActiveAt, FiredAt: in.FiredAt,
		ResolvedAt: in.ResolvedAt, Flapping: in.Flapping, Suppressed: in.Suppressed,
	}
	if in.Flapping {
		a.State, a.Severity, a.ResolvedAt = alert.Firing, in.FlapSeverity, time.Time{}
	}
	if a.State == alert.Firing || a.State == alert.Pending {
		a.Labels = in.labelsWithSeverity(a.Severity)
	}
	return a
}

// labelsWithSeverity returns the instance labels plus severity. The map is
// shared with earlier reports and must not be modified (no stage does: alerts
// are values whose label sets are read only).
func (in *instance) labelsWithSeverity(sev alert.Severity) alert.Labels {
	if in.reported == nil || in.reportedSev != sev {
		labels := make(alert.Labels, len(in.Labels)+1)
		for k, v := range in.Labels {
			labels[k] = v
		}
		labels[alert.LabelSeverity] = sev.String()
		in.reported, in.reportedSev = labels, sev
	}
	return in.reported
}

// flapConfig is flapping detection: percent state change thresholds over the
// last 21 results (Nagios defaults: start at 20%, stop below 5%).
type flapConfig struct {
	Low, High float64
}

func (f flapConfig) enabled() bool { return f.High > 0 }

package rules

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/nagios"
)

// CheckRule is the alertname of the built-in alert on check results; the
// check label names the check.
const (
	CheckRule  = "Check"
	LabelCheck = "check"
)

// maxQueuedChecks bounds the results of one check held between two
// evaluations (a spool replay after an outage brings many at once); the
// newest are kept, and the state they end in is what matters.
const maxQueuedChecks = 64

// checkTrack is one check of one host: the results not yet evaluated and the
// newest one that was.
type checkTrack struct {
	id     string
	labels alert.Labels
	host   *host
	queue  []model.CheckResult
	lastTS int64
}

// observeChecks queues the check results of a batch for the next Eval.
func (e *Engine) observeChecks(h *host, results []model.CheckResult) {
	for i := range results {
		c := &results[i]
		labels := alert.Labels{alert.LabelAlertname: CheckRule, alert.LabelHost: h.name, LabelCheck: c.Name}
		for k, v := range e.cfg.Checks.Labels {
			labels[k] = v
		}
		id := labels.Fingerprint()
		t := e.checks[id]
		if t == nil {
			t = &checkTrack{id: id, labels: labels, host: h}
			e.checks[id] = t
		}
		if len(t.queue) == maxQueuedChecks {
			t.queue = append(t.queue[:0], t.queue[1:]...)
		}
		t.queue = append(t.queue, *c)
	}
}

// evalChecks steps the alert of every check through its new results, in
// the order they ran. A SOFT problem makes the alert pending, a HARD one
// fires it (WARNING ↔ CRITICAL while HARD is a severity change), OK resolves.
func (e *Engine) evalChecks(now time.Time, events *[]alert.Event) {
	for _, t := range e.checks {
		in := e.instances[t.id]
		if in != nil {
			in.round = e.round
		}
		if t.host.down {
			e.suppress(in, now, events)
			continue
		}
		if in != nil && in.Suppressed != "" {
			in.Suppressed, in.dirty = "", true
			*events = append(*events, e.stateEvent(in, now, in.State, in.State, "host reports again; re-evaluating"))
		}
		if len(t.queue) == 0 {
			if in != nil && now.Sub(maxTime(in.LastEval, e.started)) > e.cfg.Checks.StaleAfter {
				e.retire(in, now, "check no longer reported", events)
			}
			continue
		}
		sort.SliceStable(t.queue, func(i, j int) bool { return t.queue[i].Timestamp < t.queue[j].Timestamp })
		for i := range t.queue {
			r := &t.queue[i]
			if r.Timestamp <= t.lastTS {
				continue // older than what was already evaluated
			}
			t.lastTS = r.Timestamp
			in = e.stepCheck(t, in, r, now, events)
		}
		t.queue = t.queue[:0]
	}
}

func (e *Engine) stepCheck(t *checkTrack, in *instance, r *model.CheckResult, now time.Time, events *[]alert.Event) *instance {
	level := e.checkLevel(r.State)
	if in == nil {
		if level == alert.SeverityNone {
			return nil
		}
		in = &instance{ID: t.id, Rule: CheckRule, Labels: t.labels, State: alert.Inactive}
		e.instances[in.ID] = in
		in.round = e.round
	}
	// A HARD state fires at once; a SOFT one never does by itself.
	tries := math.MaxInt
	if r.StateType == model.StateTypeHard {
		tries = 0
	}
	in.LastEval = now
	changes := in.step(stepInput{now: now, level: level, value: float64(r.State), fresh: true, tries: tries}, e.cfg.flap())
	in.Annotations = checkAnnotations(t.labels, r)
	e.record(in, changes, now, events)
	return in
}

func (e *Engine) checkLevel(state int) alert.Severity {
	switch state {
	case model.StateOK:
		return alert.SeverityNone
	case model.StateWarning:
		return alert.Warning
	case model.StateCritical:
		return alert.Critical
	}
	return e.cfg.Checks.UnknownSeverity
}

// checkAnnotations carry what Nagios notifications carry: the state, the
// plugin's output and the attempt.
func checkAnnotations(labels alert.Labels, r *model.CheckResult) map[string]string {
	state := nagios.State(r.State).String()
	ann := map[string]string{
		"summary":    fmt.Sprintf("%s on %s is %s: %s", labels[LabelCheck], labels[alert.LabelHost], state, r.Output),
		"output":     r.Output,
		"state":      state,
		"state_type": strings.ToUpper(r.StateType),
		"attempt":    fmt.Sprintf("%d/%d", r.Attempt, r.MaxAttempts),
	}
	if r.LongOutput != "" {
		ann["description"] = r.LongOutput
	}
	if r.Command != "" {
		ann["command"] = r.Command
	}
	return ann
}

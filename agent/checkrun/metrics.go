package checkrun

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/internal/promreg"

	"github.com/vigilmon/vigil/internal/nagios"
)

type metrics struct {
	runs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
	faults   *prometheus.CounterVec
	dropped  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, log *slog.Logger) metrics {
	m := metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_agent_check_runs_total",
			Help: "Check runs by check and resulting state (ok, warning, critical, unknown), on-demand runs included.",
		}, []string{"check", "state"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "vigil_agent_check_duration_seconds",
			Help: "Duration of check runs, timeouts included.",
			// Plugins take milliseconds to a timeout of tens of seconds.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"check"}),
		faults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_agent_check_plugin_errors_total",
			Help: "Check runs that misbehaved, by reason: start, timeout, signal, exit_code, no_output, binary_output, output_truncated, bad_arguments, panic, cancelled.",
		}, []string{"reason"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_agent_check_perfdata_dropped_total",
			Help: "Perfdata items that did not parse and were dropped, by check.",
		}, []string{"check"}),
	}
	if reg != nil {
		var errs [4]error
		m.runs, errs[0] = promreg.Reuse(reg, m.runs)
		m.duration, errs[1] = promreg.Reuse(reg, m.duration)
		m.faults, errs[2] = promreg.Reuse(reg, m.faults)
		m.dropped, errs[3] = promreg.Reuse(reg, m.dropped)
		if err := errors.Join(errs[:]...); err != nil {
			// Only a clashing metric name gets here; the runner still
			// works, its metrics are just not exported.
			log.Error("register check metrics", "err", err)
		}
	}
	for _, f := range allFaults {
		m.faults.WithLabelValues(string(f))
	}
	return m
}

// allFaults are the reason label values, created at zero.
var allFaults = []Fault{FaultStart, FaultTimeout, FaultSignal, FaultExitCode, FaultNoOutput, FaultBinary, FaultTruncated, FaultArgs, FaultPanic, FaultCancelled}

// init creates a check's series at zero, so rate() works from the first
// event.
func (m metrics) init(name string) {
	for _, s := range []nagios.State{nagios.OK, nagios.Warning, nagios.Critical, nagios.Unknown} {
		m.runs.WithLabelValues(name, strings.ToLower(s.String()))
	}
	m.dropped.WithLabelValues(name)
}

func (m metrics) record(name string, o Outcome, took float64) {
	m.runs.WithLabelValues(name, strings.ToLower(o.Result.State.String())).Inc()
	m.duration.WithLabelValues(name).Observe(took)
	for _, f := range o.Faults {
		m.faults.WithLabelValues(string(f)).Inc()
	}
	if o.DroppedPerf > 0 {
		m.dropped.WithLabelValues(name).Add(float64(o.DroppedPerf))
	}
}

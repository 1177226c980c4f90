package nrpe

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/internal/promreg"
)

// Results of a request, the label of vigil_agent_nrpe_requests_total. A
// command that ran is counted by its state; "refused" is a policy refusal
// answered with UNKNOWN; "dropped" is a connection closed without an answer.
const (
	resultHello   = "hello"
	resultRefused = "refused"
	resultDropped = "dropped"
)

// Refusal reasons, the label of vigil_agent_nrpe_refusals_total and the
// "reason" of the log line that goes with each.
const (
	// Closed without reading anything.
	reasonHostNotAllowed = "host_not_allowed"
	reasonTooMany        = "too_many_connections"
	// Closed without an answer.
	reasonTLSHandshake = "tls_handshake"
	reasonReadTimeout  = "read_timeout"
	reasonShortRead    = "short_read"
	reasonReadError    = "read_error"
	reasonBadVersion   = "bad_version"
	reasonBadType      = "bad_type"
	reasonBadCRC       = "bad_crc"
	reasonBadLength    = "bad_length"
	reasonTooLarge     = "too_large"
	reasonEmptyQuery   = "empty_query"
	// Answered with UNKNOWN.
	reasonMetachars       = "forbidden_characters"
	reasonArgsDisabled    = "arguments_disabled"
	reasonNoParams        = "arguments_not_declared"
	reasonBadArguments    = "bad_arguments"
	reasonUnknownCommand  = "unknown_command"
	reasonCommandTimeout  = "command_timeout"
	reasonCommandPanicked = "command_panicked"
	// The answer could not be delivered.
	reasonWriteError = "write_error"
	reasonStopping   = "server_stopping"
)

var allReasons = []string{
	reasonHostNotAllowed, reasonTooMany, reasonTLSHandshake, reasonReadTimeout, reasonShortRead,
	reasonReadError, reasonBadVersion, reasonBadType, reasonBadCRC, reasonBadLength, reasonTooLarge,
	reasonEmptyQuery, reasonMetachars, reasonArgsDisabled, reasonNoParams, reasonBadArguments,
	reasonUnknownCommand, reasonCommandTimeout, reasonCommandPanicked, reasonWriteError, reasonStopping,
}

var allResults = []string{"ok", "warning", "critical", "unknown", resultHello, resultRefused, resultDropped}

// metrics are the server's Prometheus metrics.
type metrics struct {
	requests *prometheus.CounterVec
	refusals *prometheus.CounterVec
	active   prometheus.Gauge
	duration prometheus.Histogram
}

// newMetrics creates the metrics and registers them on reg (if not nil).
// Metrics already registered by an earlier server (the agent builds a new
// one on reload) are reused, so counters continue.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_agent_nrpe_requests_total",
			Help: "NRPE connections by result: the state of the command run, hello, refused (answered UNKNOWN) or dropped (closed unanswered)."},
			[]string{"result"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_agent_nrpe_refusals_total",
			Help: "NRPE requests refused or failed, by reason."}, []string{"reason"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_agent_nrpe_connections_active",
			Help: "NRPE connections being served."}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_agent_nrpe_command_duration_seconds",
			Help: "Time to run an NRPE command.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)}),
	}
	if reg != nil {
		var err error
		if m.requests, err = promreg.Reuse(reg, m.requests); err != nil {
			return nil, err
		}
		if m.refusals, err = promreg.Reuse(reg, m.refusals); err != nil {
			return nil, err
		}
		if m.active, err = promreg.Reuse(reg, m.active); err != nil {
			return nil, err
		}
		if m.duration, err = promreg.Reuse(reg, m.duration); err != nil {
			return nil, err
		}
	}
	// Pre-created so dashboards show zero rather than no series.
	for _, r := range allReasons {
		m.refusals.WithLabelValues(r)
	}
	for _, r := range allResults {
		m.requests.WithLabelValues(r)
	}
	return m, nil
}

package dispatch

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the dispatcher's Prometheus metrics. They are created once per
// process and survive config reloads (a new Dispatcher reuses them).
type Metrics struct {
	notifications *prometheus.CounterVec
	retries       *prometheus.CounterVec
	suppressed    *prometheus.CounterVec
	claims        *prometheus.CounterVec
	groups        prometheus.Gauge
}

// Hold reasons, the values of the suppressed metric's reason label (besides
// the alert's own Suppressed value, such as "host_down").
const (
	reasonSilence = "silence"
	reasonAck     = "ack"
)

// NewMetrics creates the metrics and registers them on reg (if not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_collector_notifications_total",
			Help: "Notifications delivered (result ok) or given up on (result error), per integration."},
			[]string{"receiver", "integration", "result"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_collector_notification_retries_total",
			Help: "Failed notification attempts that were retried, per integration."},
			[]string{"receiver", "integration"}),
		suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_collector_notifications_suppressed_total",
			Help: "Alerts held back from notifications: by a silence, by an acknowledgement (a repeat not sent), or by the engine (host_down)."},
			[]string{"reason"}),
		claims: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_collector_notification_claims_total",
			Help: "Claims on notifications before sending: won (this collector sends), lost (another collector does), unavailable (state store unreachable; sent anyway)."},
			[]string{"result"}),
		groups: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_collector_dispatch_groups",
			Help: "Alert groups dispatch currently tracks."}),
	}
	for _, r := range []string{reasonSilence, reasonAck, "host_down"} {
		m.suppressed.WithLabelValues(r)
	}
	for _, r := range []string{claimWon, claimLost, claimUnavailable} {
		m.claims.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.notifications, m.retries, m.suppressed, m.claims, m.groups)
	}
	return m
}

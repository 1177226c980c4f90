package nrpepoll

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the poller's Prometheus metrics. Per-host series are counters
// only; the duration histogram has no host label so that a thousand targets
// do not cost a thousand histograms.
type metrics struct {
	polls      *prometheus.CounterVec
	duration   prometheus.Histogram
	sinkErrors prometheus.Counter
	dropped    *prometheus.CounterVec
	pending    prometheus.Gauge
}

// pollResults are pre-created per host so dashboards show zero rather than
// no series.
var pollResults = []string{"ok", "warning", "critical", "unknown", resultRefused, resultTimeout, resultTLS, resultNoAnswer, resultError}

func newMetrics(reg prometheus.Registerer, hosts []string) (*metrics, error) {
	m := &metrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_collector_nrpe_polls_total",
			Help: "NRPE queries by host and result: the state answered, or why there was no answer."}, []string{"host", "result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_collector_nrpe_poll_duration_seconds",
			Help: "Time of one NRPE query, connect to answer (fallback to v2 included).", Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}),
		sinkErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_collector_nrpe_sink_errors_total",
			Help: "Batches of NRPE results the store did not take; they are offered again next round."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_collector_nrpe_dropped_batches_total",
			Help: "Batches of NRPE results lost: the per-target queue overflowed while the store refused them, or the poller stopped."}, []string{"host"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_collector_nrpe_pending_batches",
			Help: "Batches of NRPE results waiting to be stored."}),
	}
	for _, h := range hosts {
		for _, r := range pollResults {
			m.polls.WithLabelValues(h, r)
		}
		m.dropped.WithLabelValues(h)
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.polls, m.duration, m.sinkErrors, m.dropped, m.pending} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("register nrpe poller metrics: %w", err)
			}
		}
	}
	return m, nil
}

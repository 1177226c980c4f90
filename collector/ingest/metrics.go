package ingest

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the ingest path's Prometheus metrics.
type Metrics struct {
	requests     *prometheus.CounterVec
	rejected     *prometheus.CounterVec
	batches      prometheus.Counter
	samples      prometheus.Counter
	duplicates   prometheus.Counter
	storeErrors  prometheus.Counter
	storeLatency prometheus.Histogram
	groupSize    prometheus.Histogram
	queueDepth   prometheus.Gauge
	bodyBytes    prometheus.Counter
}

// rejectReasons are pre-created so dashboards show zero rather than no series.
var rejectReasons = []string{"unauthorized", "method", "too_large", "bad_encoding", "bad_json", "invalid", "too_many_events", "overloaded", "store_error"}

// Rejected counts a batch refused for reason outside the HTTP handler (one
// the collector made itself, from a polled NRPE daemon).
func (m *Metrics) Rejected(reason string) { m.rejected.WithLabelValues(reason).Inc() }

// NewMetrics creates the metrics and registers them on reg (if not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_collector_ingest_requests_total",
			Help: "Ingest requests by HTTP status code."}, []string{"code"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_collector_ingest_rejected_total",
			Help: "Ingest requests refused, by reason."}, []string{"reason"}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_collector_ingest_batches_total",
			Help: "Batches stored."}),
		samples: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_collector_ingest_samples_total",
			Help: "Samples stored."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_collector_ingest_duplicate_batches_total",
			Help: "Batches received again after they were stored (acked, not written)."}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_collector_store_write_errors_total",
			Help: "Store transactions that failed."}),
		storeLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_collector_store_write_duration_seconds",
			Help: "Time to commit one group of batches.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		groupSize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_collector_store_write_group_batches",
			Help: "Batches committed per transaction.", Buckets: []float64{1, 2, 4, 8, 16, 32, 64}}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_collector_ingest_queue_depth",
			Help: "Batches waiting for the store."}),
		bodyBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_collector_ingest_body_bytes_total",
			Help: "Request body bytes received, as sent (compressed)."}),
	}
	for _, r := range rejectReasons {
		m.rejected.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.rejected, m.batches, m.samples, m.duplicates, m.storeErrors,
			m.storeLatency, m.groupSize, m.queueDepth, m.bodyBytes)
	}
	return m
}

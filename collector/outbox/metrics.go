package outbox

import "github.com/prometheus/client_golang/prometheus"

// metrics are the counters; the gauges read Stats at scrape time, so they can
// never drift from the queue.
type metrics struct {
	appended, acked, full, corrupt prometheus.Counter
}

func newMetrics() metrics {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	return metrics{
		appended: c("vigil_collector_outbox_appended_total", "Batches written to the outbox."),
		acked:    c("vigil_collector_outbox_acked_total", "Outbox entries acked as delivered."),
		full:     c("vigil_collector_outbox_full_total", "Appends refused because the outbox was full (agents got 429)."),
		corrupt: c("vigil_collector_outbox_corrupt_total",
			"Damaged outbox records skipped (each damaged region counts once, usually one record)."),
	}
}

func (m metrics) register(reg prometheus.Registerer, o *Outbox) error {
	gauge := func(name, help string, f func(Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(o.Stats()) })
	}
	cs := []prometheus.Collector{
		m.appended, m.acked, m.full, m.corrupt,
		gauge("vigil_collector_outbox_bytes", "Bytes of outbox segments on disk.",
			func(s Stats) float64 { return float64(s.Bytes) }),
		gauge("vigil_collector_outbox_entries", "Outbox entries not acked yet.",
			func(s Stats) float64 { return float64(s.Entries) }),
		gauge("vigil_collector_outbox_oldest_age_seconds", "Age of the oldest unacked outbox entry, 0 when empty.",
			func(s Stats) float64 {
				if s.Oldest.IsZero() {
					return 0
				}
				return max(0, o.now().Sub(s.Oldest).Seconds())
			}),
	}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, r := range cs[:i] {
				reg.Unregister(r)
			}
			return err
		}
	}
	return nil
}

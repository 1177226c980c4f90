package dashboards

import (
	"strings"
)

// Data streams, by the data view id (Kibana) and the data source input
// (Grafana) that points at them.
var (
	dataViews = map[string]string{ // id -> title
		"vigil-metrics-host": "metrics-vigil.host-*",
		"vigil-logs-check":   "logs-vigil.check-*",
		"vigil-logs-alert":   "logs-vigil.alert-*",
		"vigil-logs-log":     "logs-vigil.log-*",
	}
	grafanaInputs = map[string]string{ // __inputs name -> data stream pattern
		"DS_VIGIL_METRICS": "metrics-vigil.host-*",
		"DS_VIGIL_CHECKS":  "logs-vigil.check-*",
		"DS_VIGIL_ALERTS":  "logs-vigil.alert-*",
		"DS_VIGIL_LOGS":    "logs-vigil.log-*",
	}
	// streamFields says which fields each data stream carries: a name ending
	// in "." is a prefix. It catches a panel that queries a field of another
	// stream (a check field on the alert data view, say).
	streamFields = map[string][]string{
		"metrics-vigil.host-*": {"@timestamp", "event.dataset", "event.module", "event.ingested",
			"metricset.name", "vigil.collector", "data_stream.", "system.", "host.", "agent.", "cloud.",
			"vigil.agent."},
		"logs-vigil.check-*": {"@timestamp", "event.dataset", "event.duration", "host.name", "message",
			"vigil.check."},
		"logs-vigil.alert-*": {"@timestamp", "event.dataset", "event.kind", "event.action", "rule.name",
			"host.name", "message", "error.message", "vigil.alert.", "vigil.notification."},
		"logs-vigil.log-*": {"@timestamp", "event.dataset", "host.name", "message", "log."},
	}
)

func streamHas(stream, field string) bool {
	for _, p := range streamFields[stream] {
		if field == p || strings.HasSuffix(p, ".") && strings.HasPrefix(field, p) {
			return true
		}
	}
	return false
}

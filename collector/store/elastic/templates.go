package elastic

import (
	"fmt"
	"time"
)

// TemplateVersion is the version of everything setup installs. Raise it with
// every change to a template, mapping or policy: a collector installs its
// version over an older one and never over a newer one, so a mixed fleet
// during an upgrade does not flip the cluster back and forth.
const TemplateVersion = 1

// templatePriority beats the built-in metrics-*-* and logs-*-* templates
// (priority 100, Fleet up to 200; Elastic's docs say use more than 500).
const templatePriority = 550

type obj = map[string]any

// layout is what setup installs for one cluster.
type layout struct {
	flavor Flavor
	tsds   bool
	names  Names
	c      Common
}

// stream is one data stream family.
type stream struct {
	kind      string // metrics, checks, logs, alerts, deadletter
	name      string // the data stream
	retention time.Duration
	mappings  obj
}

func (l *layout) streams() []stream {
	r := l.c.Retention
	return []stream{
		{"metrics", l.names.Metrics, r.Metrics, l.metricMappings()},
		{"checks", l.names.Checks, r.Checks, l.checkMappings()},
		{"logs", l.names.Logs, r.Logs, l.logMappings()},
		{"alerts", l.names.Alerts, r.Alerts, l.alertMappings()},
		{"deadletter", l.names.DeadLetter, r.Alerts, deadLetterMappings()},
	}
}

func keyword() obj            { return obj{"type": "keyword"} }
func text() obj               { return obj{"type": "text"} }
func date() obj               { return obj{"type": "date"} }
func long() obj               { return obj{"type": "long"} }
func double() obj             { return obj{"type": "double"} }
func boolean() obj            { return obj{"type": "boolean"} }
func notIndexed(t string) obj { return obj{"type": t, "index": false} }

func meta() obj {
	return obj{"managed_by": "vigil", "vigil_version": TemplateVersion,
		"description": "installed by vigil-collector; edits are overwritten by the next version"}
}

// ecsMappings are the ECS fields every Vigil document may carry.
func (l *layout) ecsMappings() obj {
	props := obj{
		"@timestamp":              date(),
		"data_stream.type":        keyword(),
		"data_stream.dataset":     keyword(),
		"data_stream.namespace":   keyword(),
		"event.dataset":           keyword(),
		"event.module":            keyword(),
		"event.kind":              keyword(),
		"event.action":            keyword(),
		"event.ingested":          date(),
		"event.sequence":          long(),
		"event.duration":          long(),
		"host.name":               keyword(),
		"host.hostname":           keyword(),
		"agent.id":                keyword(),
		"agent.type":              keyword(),
		"agent.version":           keyword(),
		"cloud.provider":          keyword(),
		"cloud.region":            keyword(),
		"cloud.availability_zone": keyword(),
		"cloud.instance.id":       keyword(),
		"cloud.machine.type":      keyword(),
		"cloud.account.id":        keyword(),
		"message":                 text(),
		"error.type":              keyword(),
		"error.message":           text(),
		"vigil.collector":         keyword(),
	}
	return obj{"properties": props}
}

// metricMappings: every string under system.* or vigil.* is a dimension
// (mount point, interface, disk) and every number a metric; cumulative
// counters are marked so, for rate() in ES|QL and downsampling.
func (l *layout) metricMappings() obj {
	dim := obj{"type": "keyword"}
	gauge := obj{"type": "double"}
	counter := obj{"type": "double"}
	if l.tsds {
		dim["time_series_dimension"] = true
		gauge["time_series_metric"] = "gauge"
		counter["time_series_metric"] = "counter"
	}
	counters := []string{"system.network.in.*", "system.network.out.*", "system.diskio.read.*",
		"system.diskio.write.*", "system.diskio.io.time"}
	props := obj{"metricset.name": keyword()}
	if l.tsds {
		// The time series is the host and the metricset, plus the metric's
		// own dimensions (mount point, interface, disk).
		props["host.name"] = dim
		props["event.dataset"] = dim
	}
	return obj{
		"properties": props,
		"dynamic_templates": []any{
			obj{"vigil_dimensions": obj{"path_match": []string{"system.*", "vigil.*"}, "match_mapping_type": "string", "mapping": dim}},
			obj{"vigil_counters": obj{"path_match": counters, "mapping": counter}},
			obj{"vigil_gauges_long": obj{"match_mapping_type": "long", "mapping": gauge}},
			obj{"vigil_gauges": obj{"match_mapping_type": "double", "mapping": gauge}},
		},
	}
}

func (l *layout) checkMappings() obj {
	return obj{"properties": obj{
		"vigil.check.name":         keyword(),
		"vigil.check.state":        long(),
		"vigil.check.state_name":   keyword(),
		"vigil.check.state_type":   keyword(),
		"vigil.check.attempt":      long(),
		"vigil.check.max_attempts": long(),
		"vigil.check.last_change":  obj{"type": "date"},
		// The perfdata items as the plugin gave them, for the API; searchable
		// as numbers under vigil.check.perfdata.*.
		"vigil.check.perf":        obj{"type": "object", "enabled": false},
		"vigil.check.long_output": text(),
		"vigil.check.command":     keyword(),
	}, "dynamic_templates": []any{
		obj{"vigil_perfdata": obj{"path_match": "vigil.check.perfdata.*", "match_mapping_type": "double", "mapping": double()}},
	}}
}

func (l *layout) logMappings() obj {
	return obj{"properties": obj{
		"log.file.path": keyword(),
		"log.offset":    long(),
		"log.level":     keyword(),
	}}
}

// labelsType is a map of arbitrary keys in one field: flattened in
// Elasticsearch, flat_object in OpenSearch (2.7+).
func (l *layout) labelsType() obj {
	if l.flavor == OpenSearch {
		return obj{"type": "flat_object"}
	}
	return obj{"type": "flattened"}
}

func (l *layout) alertMappings() obj {
	return obj{"properties": obj{
		"rule.name":                      keyword(),
		"vigil.alert.id":                 keyword(),
		"vigil.alert.labels":             l.labelsType(),
		"vigil.alert.from":               keyword(),
		"vigil.alert.to":                 keyword(),
		"vigil.alert.severity":           keyword(),
		"vigil.alert.value":              double(),
		"vigil.alert.flapping":           boolean(),
		"vigil.alert.suppressed":         keyword(),
		"vigil.notification.receiver":    keyword(),
		"vigil.notification.integration": keyword(),
		"vigil.notification.attempt":     long(),
		"vigil.notification.result":      keyword(),
	}}
}

// deadLetterMappings keep the rejected document as an unindexed string, so
// that the stream takes whatever another mapping refused.
func deadLetterMappings() obj {
	return obj{"dynamic": false, "properties": obj{
		"vigil.deadletter.index":    keyword(),
		"vigil.deadletter.action":   keyword(),
		"vigil.deadletter.id":       keyword(),
		"vigil.deadletter.document": notIndexed("text"),
		"http.response.status_code": long(),
	}}
}

// hostsMappings is the host registry (a plain index, updated in place).
func hostsMappings() obj {
	return obj{"dynamic": false, "_meta": meta(), "properties": obj{
		"host.name":       keyword(),
		"agent.id":        keyword(),
		"agent.version":   keyword(),
		"first_seen":      date(),
		"last_seen":       date(),
		"interval_ms":     long(),
		"identity":        obj{"type": "object", "enabled": false},
		"vigil.collector": keyword(),
	}}
}

// stateMappings is the shared alert state (a plain index written with
// compare-and-set).
func stateMappings() obj {
	return obj{"dynamic": false, "_meta": meta(), "properties": obj{
		"bucket":          keyword(),
		"key":             keyword(),
		"value":           obj{"type": "object", "enabled": false},
		"updated_at":      date(),
		"vigil.collector": keyword(),
	}}
}

func policyName(kind string) string { return "vigil-" + kind }

// settings of a stream's backing indices.
func (l *layout) settings(s stream) obj {
	set := obj{}
	if l.flavor == Elasticsearch {
		set["index.lifecycle.name"] = policyName(s.kind)
	}
	if s.kind == "metrics" && l.tsds {
		set["index.mode"] = "time_series"
		set["index.routing_path"] = []string{"host.name", "event.dataset"}
		// Spooled data from an agent that was cut off for days must still be
		// accepted: 7d is the most the first backing index may look back.
		set["index.look_back_time"] = "7d"
	}
	return set
}

// ilmPolicy is an Elasticsearch lifecycle: roll over daily or at the size
// cap, delete retention after rollover.
func (l *layout) ilmPolicy(s stream) obj {
	return obj{"policy": obj{"phases": obj{
		"hot": obj{"actions": obj{"rollover": obj{
			"max_age": goDuration(l.c.RolloverMaxAge), "max_primary_shard_size": byteString(int64(l.c.RolloverMaxSize))}}},
		"delete": obj{"min_age": goDuration(s.retention), "actions": obj{"delete": obj{}}},
	}}}
}

// ismPolicy is the OpenSearch equivalent; ISM keeps no _meta, so the version
// is part of the description.
func (l *layout) ismPolicy(s stream) obj {
	return obj{"policy": obj{
		"description":   ismDescription(s.kind),
		"default_state": "hot",
		"states": []any{
			obj{"name": "hot", "actions": []any{obj{"rollover": obj{
				"min_index_age": goDuration(l.c.RolloverMaxAge), "min_primary_shard_size": byteString(int64(l.c.RolloverMaxSize))}}},
				"transitions": []any{obj{"state_name": "delete", "conditions": obj{"min_index_age": goDuration(s.retention)}}}},
			obj{"name": "delete", "actions": []any{obj{"delete": obj{}}}, "transitions": []any{}},
		},
		"ism_template": []any{obj{"index_patterns": []string{s.name + "*", ".ds-" + s.name + "*"}, "priority": templatePriority}},
	}}
}

func ismDescription(kind string) string {
	return fmt.Sprintf("vigil %s lifecycle (vigil_version=%d)", kind, TemplateVersion)
}

// goDuration renders a duration the way the cluster's time units read: whole
// days, hours or minutes.
func goDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	default:
		return fmt.Sprintf("%dm", max(d/time.Minute, 1))
	}
}

func byteString(n int64) string {
	switch {
	case n%(1<<30) == 0:
		return fmt.Sprintf("%dgb", n>>30)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dmb", n>>20)
	default:
		return fmt.Sprintf("%db", n)
	}
}

package dashboards

import (
	"fmt"
	"slices"
	"testing"
)

func checkGrafanaTarget(t *testing.T, where, panelType string, tg grafanaTarget, vars map[string]bool) {
	if tg.Query == nil || tg.TimeField != "@timestamp" || len(tg.Metrics) == 0 {
		t.Errorf("%s: want a query, timeField @timestamp and metrics", where)
	}
	if tg.Query != nil {
		for _, m := range templateVarRE.FindAllStringSubmatch(*tg.Query, -1) {
			if name := m[1] + m[2]; !vars[name] {
				t.Errorf("%s: query uses undefined variable $%s", where, name)
			}
		}
	}
	ids := map[string]string{}
	for _, m := range tg.Metrics {
		if _, dup := ids[m.ID]; dup || m.ID == "" {
			t.Errorf("%s: metric id %q empty or not unique", where, m.ID)
		}
		ids[m.ID] = m.Type
	}
	for _, m := range tg.Metrics {
		switch {
		case grafanaFieldMetrics[m.Type]:
			if m.Field == "" {
				t.Errorf("%s: metric %s %s without a field", where, m.ID, m.Type)
			}
		case grafanaNoFieldMetrics[m.Type]:
			if m.Field != "" {
				t.Errorf("%s: metric %s %s takes no field", where, m.ID, m.Type)
			}
			if (m.Type == "logs" || m.Type == "raw_data") && (len(tg.BucketAggs) != 0 || len(tg.Metrics) != 1) {
				t.Errorf("%s: a %s query is the only metric and has no bucketAggs", where, m.Type)
			}
		case grafanaPipelineMetrics[m.Type]:
			// Grafana's backend reads the source metric from field, older
			// dashboards from pipelineAgg: both must name a metric of the target.
			for _, src := range []string{m.Field, m.PipelineAgg} {
				if typ, ok := ids[src]; !ok || src == m.ID || grafanaPipelineMetrics[typ] {
					t.Errorf("%s: pipeline metric %s reads %q, not a field metric of this target", where, m.ID, src)
				}
			}
		default:
			t.Errorf("%s: metric type %q: the test does not know it", where, m.Type)
		}
	}
	for i, b := range tg.BucketAggs {
		if _, dup := ids[b.ID]; dup || b.ID == "" {
			t.Errorf("%s: bucket agg id %q empty or shared with another agg", where, b.ID)
		}
		ids[b.ID] = b.Type
		if !grafanaBucketTypes[b.Type] || b.Field == "" && b.Type != "filters" {
			t.Errorf("%s: bucket agg %s: type %q field %q", where, b.ID, b.Type, b.Field)
		}
		if b.Type == "date_histogram" && i != len(tg.BucketAggs)-1 {
			t.Errorf("%s: date_histogram must be the last bucket agg", where)
		}
		if b.Type == "terms" {
			ob, _ := b.Settings["orderBy"].(string)
			if typ, ok := ids[ob]; ob != "_term" && ob != "_count" && (!ok || grafanaPipelineMetrics[typ] || grafanaBucketTypes[typ]) {
				t.Errorf("%s: terms %s orders by %q: want _term, _count or a metric id", where, b.ID, ob)
			}
			if _, ok := b.Settings["size"].(string); !ok {
				t.Errorf("%s: terms %s: settings.size wants a string", where, b.ID)
			}
		}
	}
	for _, m := range aliasRE.FindAllStringSubmatch(tg.Alias, -1) {
		if m[1] == "metric" || m[1] == "field" {
			continue
		}
		if !slices.ContainsFunc(tg.BucketAggs, func(b grafanaBucket) bool { return b.Type == "terms" && b.Field == m[1] }) {
			t.Errorf("%s: alias %q names %s, which is no terms bucket agg of the target", where, tg.Alias, m[1])
		}
	}
	last := ""
	if n := len(tg.BucketAggs); n > 0 {
		last = tg.BucketAggs[n-1].Type
	}
	switch panelType {
	case "timeseries", "stat", "barchart":
		if last != "date_histogram" {
			t.Errorf("%s: a %s panel wants a date_histogram as last bucket agg", where, panelType)
		}
	case "table":
		if last == "date_histogram" || last == "" {
			t.Errorf("%s: a table wants terms bucket aggs and no date_histogram", where)
		}
	case "logs":
		if tg.Metrics[0].Type != "logs" {
			t.Errorf("%s: a logs panel wants a logs query", where)
		}
	}
}

// tableColumns are the column names Grafana's Elasticsearch data source
// gives a terms-only (table) query: each bucket field, then "Count" or the
// metric's name ("Max"), with " <field>" added when the target has more
// than one metric of that type (pkg/tsdb/elasticsearch response_parser.go).
func tableColumns(tg grafanaTarget) []string {
	names := map[string]string{"count": "Count", "avg": "Average", "sum": "Sum", "max": "Max",
		"min": "Min", "cardinality": "Unique Count", "rate": "Rate"}
	var cols []string
	for _, b := range tg.BucketAggs {
		cols = append(cols, b.Field)
	}
	for _, m := range tg.Metrics {
		name := names[m.Type]
		same := 0
		for _, o := range tg.Metrics {
			if o.Type == m.Type {
				same++
			}
		}
		if same > 1 && m.Type != "count" {
			name += " " + m.Field
		}
		cols = append(cols, name)
	}
	return cols
}

// checkTableColumns fails on an override or a sort that names a column the
// query does not return: Grafana ignores it silently.
func checkTableColumns(t *testing.T, where string, p grafanaPanel) {
	var cols []string
	for _, tg := range p.Targets {
		cols = append(cols, tableColumns(tg)...)
	}
	display := map[string]bool{}
	for _, c := range cols {
		display[c] = true
	}
	for _, o := range p.FieldConfig.Overrides {
		if o.Matcher.ID != "byName" || !slices.Contains(cols, o.Matcher.Options) {
			t.Errorf("%s: override %s %q matches none of the columns %q", where, o.Matcher.ID, o.Matcher.Options, cols)
		}
		for _, prop := range o.Properties {
			if prop.ID == "displayName" {
				delete(display, o.Matcher.Options)
				display[fmt.Sprint(prop.Value)] = true
			}
		}
	}
	for _, s := range p.Options.SortBy {
		if !display[s.DisplayName] {
			t.Errorf("%s: sortBy %q is not a displayed column", where, s.DisplayName)
		}
	}
}

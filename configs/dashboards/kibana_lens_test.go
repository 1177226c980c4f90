package dashboards

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

type lensAttrs struct {
	Title             string      `json:"title"`
	Type              string      `json:"type"`
	VisualizationType string      `json:"visualizationType"`
	References        []reference `json:"references"`
	State             *struct {
		Visualization    json.RawMessage                                  `json:"visualization"`
		Query            kqlQuery                                         `json:"query"`
		Filters          []json.RawMessage                                `json:"filters"`
		DatasourceStates map[string]struct{ Layers map[string]lensLayer } `json:"datasourceStates"`
	} `json:"state"`
}

type lensLayer struct {
	Columns     map[string]lensColumn `json:"columns"`
	ColumnOrder []string              `json:"columnOrder"`
}

type lensColumn struct {
	Label         string    `json:"label"`
	DataType      string    `json:"dataType"`
	OperationType string    `json:"operationType"`
	SourceField   string    `json:"sourceField"`
	IsBucketed    bool      `json:"isBucketed"`
	References    []string  `json:"references"`
	Filter        *kqlQuery `json:"filter"`
	Params        struct {
		SortField       string   `json:"sortField"`
		SecondaryFields []string `json:"secondaryFields"`
		OrderBy         *struct {
			Type     string `json:"type"`
			ColumnID string `json:"columnId"`
		} `json:"orderBy"`
	} `json:"params"`
}

var (
	lensOperations = map[string]bool{"date_histogram": true, "terms": true, "count": true,
		"average": true, "max": true, "min": true, "sum": true, "median": true, "unique_count": true,
		"last_value": true, "counter_rate": true, "differences": true, "percentile": true}
	lensVisualizations = map[string]bool{"lnsXY": true, "lnsDatatable": true, "lnsMetric": true,
		"lnsPie": true, "lnsHeatmap": true}
)

// checkLensPanel checks one Lens panel embedded by value and returns the
// names of the dashboard references it uses.
func checkLensPanel(t *testing.T, where string, dash savedObject, p dashboardPanel) []string {
	la := p.EmbeddableConfig.Attributes
	if la == nil || la.State == nil {
		t.Errorf("%s: lens panel without embeddableConfig.attributes.state", where)
		return nil
	}
	if la.Type != "lens" || !lensVisualizations[la.VisualizationType] {
		t.Errorf("%s: type %q visualizationType %q", where, la.Type, la.VisualizationType)
	}
	var used []string
	layers := map[string]lensLayer{}
	for dsName, st := range la.State.DatasourceStates {
		if dsName != "formBased" && dsName != "indexpattern" && dsName != "textBased" {
			t.Errorf("%s: unknown datasource %q", where, dsName)
		}
		for id, l := range st.Layers {
			layers[id] = l
		}
	}
	if len(layers) == 0 {
		t.Errorf("%s: no layers", where)
	}
	for id, l := range layers {
		lw := where + " layer " + id
		refName := "indexpattern-datasource-layer-" + id
		var inner reference
		for _, r := range la.References {
			if r.Name == refName {
				inner = r
			}
		}
		outer, ok := refByName(dash, p.PanelIndex+":"+refName)
		if !ok || outer.Type != "index-pattern" || inner.ID != outer.ID || inner.Type != "index-pattern" {
			t.Errorf("%s: want reference %q in the panel and %q in the dashboard, both to the same data view",
				lw, refName, p.PanelIndex+":"+refName)
		}
		used = append(used, p.PanelIndex+":"+refName)
		order := slices.Sorted(slices.Values(l.ColumnOrder))
		keys := slices.Sorted(maps.Keys(l.Columns))
		if !slices.Equal(order, keys) {
			t.Errorf("%s: columnOrder %q does not list exactly the columns %q", lw, l.ColumnOrder, keys)
		}
		bucketsDone := false
		for _, cid := range l.ColumnOrder {
			c := l.Columns[cid]
			if !c.IsBucketed {
				bucketsDone = true
			} else if bucketsDone {
				t.Errorf("%s: bucket column %q after a metric in columnOrder", lw, c.Label)
			}
		}
		for cid, c := range l.Columns {
			cw := fmt.Sprintf("%s column %q", lw, c.Label)
			if !lensOperations[c.OperationType] || c.DataType == "" || c.Label == "" {
				t.Errorf("%s: operationType %q dataType %q", cw, c.OperationType, c.DataType)
			}
			if len(c.References) == 0 && c.SourceField == "" {
				t.Errorf("%s: neither sourceField nor references", cw)
			}
			for _, r := range c.References {
				if _, ok := l.Columns[r]; !ok || r == cid {
					t.Errorf("%s: references unknown column %q", cw, r)
				}
			}
			if ob := c.Params.OrderBy; ob != nil && ob.Type == "column" {
				if oc, ok := l.Columns[ob.ColumnID]; !ok || oc.IsBucketed {
					t.Errorf("%s: orderBy column %q is not a metric of the layer", cw, ob.ColumnID)
				}
			}
			if c.Filter != nil && c.Filter.Language != "kuery" && c.Filter.Language != "lucene" {
				t.Errorf("%s: filter language %q", cw, c.Filter.Language)
			}
		}
	}
	var vis any
	if err := strictUnmarshal(la.State.Visualization, &vis); err != nil {
		t.Errorf("%s: visualization: %v", where, err)
	}
	walkLensVisualization(t, where, vis, layers)
	return used
}

// walkLensVisualization checks that every layer and column the
// visualization state names exists in the datasource.
func walkLensVisualization(t *testing.T, where string, v any, layers map[string]lensLayer) {
	var walk func(v any, cur *lensLayer)
	walk = func(v any, cur *lensLayer) {
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["layerId"].(string); ok {
				l, ok := layers[id]
				if !ok {
					t.Errorf("%s: visualization names unknown layer %q", where, id)
					return
				}
				cur = &l
			}
			for k, val := range x {
				isCol := k == "columnId" || strings.HasSuffix(k, "Accessor") || k == "accessors"
				if isCol && cur != nil {
					ids, _ := val.([]any)
					if s, ok := val.(string); ok {
						ids = []any{s}
					}
					for _, id := range ids {
						if _, ok := cur.Columns[id.(string)]; !ok {
							t.Errorf("%s: visualization %s names unknown column %v", where, k, id)
						}
					}
				}
				walk(val, cur)
			}
		case []any:
			for _, e := range x {
				walk(e, cur)
			}
		}
	}
	walk(v, nil)
}

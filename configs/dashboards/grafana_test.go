package dashboards

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const grafanaDir = "grafana"

var wantGrafanaTitles = []string{"Vigil: Alerts", "Vigil: Checks", "Vigil: Host overview"}

type grafanaDashboard struct {
	Inputs []struct {
		Name     string `json:"name"`
		Label    string `json:"label"`
		Type     string `json:"type"`
		PluginID string `json:"pluginId"`
	} `json:"__inputs"`
	UID           string         `json:"uid"`
	Title         string         `json:"title"`
	SchemaVersion int            `json:"schemaVersion"`
	Panels        []grafanaPanel `json:"panels"`
	Templating    struct {
		List []grafanaVar `json:"list"`
	} `json:"templating"`
}

type grafanaDS struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type grafanaPanel struct {
	ID         int        `json:"id"`
	Type       string     `json:"type"`
	Title      string     `json:"title"`
	Datasource *grafanaDS `json:"datasource"`
	GridPos    struct {
		X int `json:"x"`
		Y int `json:"y"`
		W int `json:"w"`
		H int `json:"h"`
	} `json:"gridPos"`
	Targets     []grafanaTarget `json:"targets"`
	Panels      []grafanaPanel  `json:"panels"` // collapsed rows
	FieldConfig struct {
		Overrides []struct {
			Matcher struct {
				ID      string `json:"id"`
				Options string `json:"options"`
			} `json:"matcher"`
			Properties []struct {
				ID    string `json:"id"`
				Value any    `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
	Options struct {
		SortBy []struct {
			DisplayName string `json:"displayName"`
		} `json:"sortBy"`
	} `json:"options"`
}

type grafanaTarget struct {
	RefID      string          `json:"refId"`
	Datasource *grafanaDS      `json:"datasource"`
	Query      *string         `json:"query"`
	Alias      string          `json:"alias"`
	TimeField  string          `json:"timeField"`
	Metrics    []grafanaMetric `json:"metrics"`
	BucketAggs []grafanaBucket `json:"bucketAggs"`
}

type grafanaMetric struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	Field       string         `json:"field"`
	PipelineAgg string         `json:"pipelineAgg"`
	Hide        bool           `json:"hide"`
	Settings    map[string]any `json:"settings"`
}

type grafanaBucket struct {
	ID       string         `json:"id"`
	Type     string         `json:"type"`
	Field    string         `json:"field"`
	Settings map[string]any `json:"settings"`
}

type grafanaVar struct {
	Name       string     `json:"name"`
	Type       string     `json:"type"`
	Datasource *grafanaDS `json:"datasource"`
	Query      any        `json:"query"`
}

var (
	grafanaFieldMetrics    = map[string]bool{"avg": true, "sum": true, "max": true, "min": true, "cardinality": true, "extended_stats": true, "percentiles": true, "rate": true}
	grafanaNoFieldMetrics  = map[string]bool{"count": true, "logs": true, "raw_data": true, "raw_document": true}
	grafanaPipelineMetrics = map[string]bool{"derivative": true, "cumulative_sum": true, "moving_avg": true, "moving_fn": true, "serial_diff": true}
	grafanaBucketTypes     = map[string]bool{"date_histogram": true, "terms": true, "filters": true, "histogram": true}
	grafanaPanelTypes      = map[string]bool{"timeseries": true, "table": true, "stat": true, "logs": true, "barchart": true, "bargauge": true, "gauge": true}
	dsInputRE              = regexp.MustCompile(`^\$\{(DS_[A-Z0-9_]+)\}$`)
	aliasRE                = regexp.MustCompile(`\{\{\s*(?:term\s+)?([^}\s]+)\s*\}\}`)
	templateVarRE          = regexp.MustCompile(`\$(?:\{([A-Za-z0-9_]+)[^}]*\}|([A-Za-z0-9_]+))`)
)

func grafanaFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(grafanaDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Grafana dashboards in %s/ (%v)", grafanaDir, err)
	}
	return files
}

func loadGrafana(t *testing.T, file string) (grafanaDashboard, any) {
	t.Helper()
	data := readFile(t, file)
	var d grafanaDashboard
	if err := strictUnmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var raw any
	_ = json.Unmarshal(data, &raw)
	return d, raw
}

func flattenPanels(ps []grafanaPanel) []grafanaPanel {
	var out []grafanaPanel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flattenPanels(p.Panels)...)
	}
	return out
}

func TestGrafanaDashboards(t *testing.T) {
	var titles []string
	uids := map[string]string{}
	for _, file := range grafanaFiles(t) {
		d, raw := loadGrafana(t, file)
		titles = append(titles, d.Title)
		if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 {
			t.Errorf("%s: want uid, title and schemaVersion >= 36, got %q %q %d", file, d.UID, d.Title, d.SchemaVersion)
		}
		if other, ok := uids[d.UID]; ok {
			t.Errorf("%s: uid %q also used by %s", file, d.UID, other)
		}
		uids[d.UID] = file

		inputs := map[string]bool{}
		for _, in := range d.Inputs {
			if _, ok := grafanaInputs[in.Name]; !ok || in.Type != "datasource" || in.PluginID != "elasticsearch" || in.Label == "" {
				t.Errorf("%s: input %+v: want one of %v, type datasource, pluginId elasticsearch and a label", file, in, grafanaInputs)
			}
			inputs[in.Name] = true
		}
		usedInputs := map[string]bool{}
		walkDatasources(t, file, raw, "", inputs, usedInputs)
		for in := range inputs {
			if !usedInputs[in] {
				t.Errorf("%s: input %s is used by nothing", file, in)
			}
		}

		vars := map[string]bool{"__interval": true, "__timeFilter": true}
		for _, v := range d.Templating.List {
			vars[v.Name] = true
			if v.Type != "query" {
				continue
			}
			q, _ := v.Query.(string)
			var vq struct {
				Find  string `json:"find"`
				Field string `json:"field"`
			}
			if err := strictUnmarshal([]byte(q), &vq); err != nil || vq.Find != "terms" || vq.Field == "" {
				t.Errorf("%s: variable %s: query %q: want a terms query on a field (%v)", file, v.Name, q, err)
			}
		}

		ids := map[int]bool{}
		var rects []rect
		for _, p := range flattenPanels(d.Panels) {
			pw := fmt.Sprintf("%s panel %q", file, p.Title)
			if p.ID <= 0 || ids[p.ID] {
				t.Errorf("%s: id %d is not a unique positive number", pw, p.ID)
			}
			ids[p.ID] = true
			rects = append(rects, rect{p.Title, p.GridPos.X, p.GridPos.Y, p.GridPos.W, p.GridPos.H})
			if p.Type == "row" {
				continue
			}
			if !grafanaPanelTypes[p.Type] || p.Title == "" {
				t.Errorf("%s: type %q: the test does not know it, or no title", pw, p.Type)
			}
			if p.Datasource == nil || len(p.Targets) == 0 {
				t.Errorf("%s: want a datasource and targets", pw)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				if refs[tg.RefID] || tg.RefID == "" {
					t.Errorf("%s: refId %q empty or not unique", pw, tg.RefID)
				}
				refs[tg.RefID] = true
				checkGrafanaTarget(t, pw+" target "+tg.RefID, p.Type, tg, vars)
			}
			if p.Type == "table" {
				checkTableColumns(t, pw, p)
			}
		}
		checkGrid(t, file, 24, rects)
	}
	slices.Sort(titles)
	if !slices.Equal(titles, wantGrafanaTitles) {
		t.Errorf("Grafana dashboards %q, want %q", titles, wantGrafanaTitles)
	}
}

// walkDatasources checks that every datasource reference in the dashboard
// is a ${DS_...} input, apart from Grafana's built-in annotation.
func walkDatasources(t *testing.T, file string, v any, path string, inputs, used map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if ds, ok := x["datasource"]; ok {
			m, _ := ds.(map[string]any)
			uid, _ := m["uid"].(string)
			typ, _ := m["type"].(string)
			builtin := strings.HasPrefix(path, "annotations.list") && x["builtIn"] != nil && typ == "grafana"
			if mm := dsInputRE.FindStringSubmatch(uid); mm != nil && inputs[mm[1]] && typ == "elasticsearch" {
				used[mm[1]] = true
			} else if !builtin {
				t.Errorf("%s: %s.datasource %v is not an elasticsearch ${DS_...} input", file, path, ds)
			}
		}
		for k, val := range x {
			walkDatasources(t, file, val, strings.TrimPrefix(path+"."+k, "."), inputs, used)
		}
	case []any:
		for _, e := range x {
			walkDatasources(t, file, e, path, inputs, used)
		}
	}
}

package dashboards

import (
	"encoding/json"
	"fmt"
	"testing"
)

type dashboardAttrs struct {
	Title                 string          `json:"title"`
	PanelsJSON            string          `json:"panelsJSON"`
	OptionsJSON           string          `json:"optionsJSON"`
	TimeRestore           bool            `json:"timeRestore"`
	TimeFrom              string          `json:"timeFrom"`
	KibanaSavedObjectMeta savedObjectMeta `json:"kibanaSavedObjectMeta"`
	ControlGroupInput     *struct {
		PanelsJSON               string `json:"panelsJSON"`
		IgnoreParentSettingsJSON string `json:"ignoreParentSettingsJSON"`
	} `json:"controlGroupInput"`
}

type dashboardPanel struct {
	Version  string `json:"version"`
	Type     string `json:"type"`
	GridData struct {
		X int    `json:"x"`
		Y int    `json:"y"`
		W int    `json:"w"`
		H int    `json:"h"`
		I string `json:"i"`
	} `json:"gridData"`
	PanelIndex       string `json:"panelIndex"`
	PanelRefName     string `json:"panelRefName"`
	Title            string `json:"title"`
	EmbeddableConfig struct {
		Attributes *lensAttrs `json:"attributes"`
	} `json:"embeddableConfig"`
}

type controlPanel struct {
	Type          string `json:"type"`
	ExplicitInput struct {
		ID        string `json:"id"`
		FieldName string `json:"fieldName"`
	} `json:"explicitInput"`
}

func checkDashboard(t *testing.T, o savedObject) {
	where := "dashboard " + o.ID
	var a dashboardAttrs
	if err := json.Unmarshal(o.Attributes, &a); err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	parseSearchSource(t, where, a.KibanaSavedObjectMeta.SearchSourceJSON)
	var opts map[string]any
	if err := strictUnmarshal([]byte(a.OptionsJSON), &opts); err != nil {
		t.Errorf("%s: optionsJSON: %v", where, err)
	}
	if a.TimeRestore && a.TimeFrom == "" {
		t.Errorf("%s: timeRestore without timeFrom", where)
	}
	var panels []dashboardPanel
	if err := strictUnmarshal([]byte(a.PanelsJSON), &panels); err != nil {
		t.Fatalf("%s: panelsJSON: %v", where, err)
	}
	if len(panels) == 0 {
		t.Errorf("%s: no panels", where)
	}
	used := map[string]bool{}
	seen := map[string]bool{}
	var rects []rect
	for _, p := range panels {
		pw := fmt.Sprintf("%s panel %q", where, p.Title)
		if p.PanelIndex == "" || p.GridData.I != p.PanelIndex || seen[p.PanelIndex] {
			t.Errorf("%s: panelIndex %q must be unique and equal gridData.i %q", pw, p.PanelIndex, p.GridData.I)
		}
		seen[p.PanelIndex] = true
		if p.Version == "" {
			t.Errorf("%s: no version", pw)
		}
		rects = append(rects, rect{p.Title, p.GridData.X, p.GridData.Y, p.GridData.W, p.GridData.H})
		switch p.Type {
		case "lens":
			for _, n := range checkLensPanel(t, pw, o, p) {
				used[n] = true
			}
		case "search":
			name := p.PanelIndex + ":" + p.PanelRefName
			if r, ok := refByName(o, name); p.PanelRefName == "" || !ok || r.Type != "search" {
				t.Errorf("%s: panelRefName %q has no search reference %q", pw, p.PanelRefName, name)
			}
			used[name] = true
		default:
			t.Errorf("%s: panel type %q: the test does not know it", pw, p.Type)
		}
	}
	checkGrid(t, where, 48, rects)

	if c := a.ControlGroupInput; c != nil {
		var ign map[string]bool
		if err := strictUnmarshal([]byte(c.IgnoreParentSettingsJSON), &ign); err != nil {
			t.Errorf("%s: controlGroupInput.ignoreParentSettingsJSON: %v", where, err)
		}
		var controls map[string]controlPanel
		if err := strictUnmarshal([]byte(c.PanelsJSON), &controls); err != nil {
			t.Errorf("%s: controlGroupInput.panelsJSON: %v", where, err)
		}
		for id, cp := range controls {
			name := "controlGroup_" + id + ":optionsListDataView"
			r, ok := refByName(o, name)
			if cp.Type != "optionsListControl" || cp.ExplicitInput.ID != id || cp.ExplicitInput.FieldName == "" || !ok || r.Type != "index-pattern" {
				t.Errorf("%s: control %s: want an optionsListControl with its id, a fieldName and reference %q", where, id, name)
			}
			used[name] = true
		}
	}
	for _, r := range o.References {
		if !used[r.Name] {
			t.Errorf("%s: reference %q is used by no panel or control", where, r.Name)
		}
	}
}

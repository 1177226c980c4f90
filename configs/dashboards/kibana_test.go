package dashboards

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"testing"
)

const kibanaFile = "kibana/vigil.ndjson"

var wantKibanaDashboards = []string{"Vigil: Alerts", "Vigil: Checks", "Vigil: Host overview"}

type reference struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

type savedObject struct {
	ID                   string          `json:"id"`
	Type                 string          `json:"type"`
	Attributes           json.RawMessage `json:"attributes"`
	References           []reference     `json:"references"`
	CoreMigrationVersion string          `json:"coreMigrationVersion"`
	TypeMigrationVersion string          `json:"typeMigrationVersion"`
	Managed              *bool           `json:"managed"`
}

type exportSummary struct {
	ExcludedObjects      []any `json:"excludedObjects"`
	ExcludedObjectsCount *int  `json:"excludedObjectsCount"`
	ExportedCount        *int  `json:"exportedCount"`
	MissingRefCount      *int  `json:"missingRefCount"`
	MissingReferences    []any `json:"missingReferences"`
}

type kqlQuery struct {
	Query    string `json:"query"`
	Language string `json:"language"`
}

type searchSource struct {
	Query        kqlQuery          `json:"query"`
	Filter       []json.RawMessage `json:"filter"`
	IndexRefName string            `json:"indexRefName"`
}

type savedObjectMeta struct {
	SearchSourceJSON string `json:"searchSourceJSON"`
}

type dataViewAttrs struct {
	Title         string `json:"title"`
	Name          string `json:"name"`
	TimeFieldName string `json:"timeFieldName"`
}

type searchAttrs struct {
	Title                 string          `json:"title"`
	Columns               []string        `json:"columns"`
	Sort                  [][]string      `json:"sort"`
	KibanaSavedObjectMeta savedObjectMeta `json:"kibanaSavedObjectMeta"`
}

var (
	coreMigrationRE = regexp.MustCompile(`^8\.\d+\.\d+$`)
	typeMigrationRE = regexp.MustCompile(`^\d+\.\d+\.\d+$`)
)

// kibanaExport reads the ndjson and checks the export framing: one object a
// line, then the summary line with the right count.
func kibanaExport(t *testing.T) []savedObject {
	t.Helper()
	data := readFile(t, kibanaFile)
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Errorf("%s: does not end with a newline", kibanaFile)
	}
	var objs []savedObject
	var summary *exportSummary
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	line := 0
	for sc.Scan() {
		line++
		where := fmt.Sprintf("%s:%d", kibanaFile, line)
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			t.Errorf("%s: empty line", where)
			continue
		}
		if summary != nil {
			t.Errorf("%s: object after the export summary line", where)
		}
		var probe map[string]json.RawMessage
		if err := strictUnmarshal(b, &probe); err != nil {
			t.Errorf("%s: not one JSON object: %v", where, err)
			continue
		}
		if _, ok := probe["exportedCount"]; ok {
			summary = new(exportSummary)
			if err := strictUnmarshal(b, summary); err != nil {
				t.Errorf("%s: summary: %v", where, err)
			}
			continue
		}
		var o savedObject
		if err := strictUnmarshal(b, &o); err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		if o.ID == "" || o.Type == "" || len(o.Attributes) == 0 || o.Attributes[0] != '{' {
			t.Errorf("%s: want non-empty id, type and an attributes object", where)
		}
		if o.References == nil {
			t.Errorf("%s: %s %s: no references array", where, o.Type, o.ID)
		}
		if !coreMigrationRE.MatchString(o.CoreMigrationVersion) || !typeMigrationRE.MatchString(o.TypeMigrationVersion) {
			t.Errorf("%s: %s %s: coreMigrationVersion %q / typeMigrationVersion %q do not look like Kibana 8",
				where, o.Type, o.ID, o.CoreMigrationVersion, o.TypeMigrationVersion)
		}
		if o.Managed == nil {
			t.Errorf("%s: %s %s: no managed flag", where, o.Type, o.ID)
		}
		objs = append(objs, o)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	switch {
	case summary == nil:
		t.Errorf("%s: no export summary line at the end", kibanaFile)
	case summary.ExportedCount == nil || *summary.ExportedCount != len(objs):
		t.Errorf("%s: summary exportedCount does not equal the %d objects", kibanaFile, len(objs))
	case summary.MissingRefCount == nil || *summary.MissingRefCount != 0 || len(summary.MissingReferences) != 0 ||
		summary.ExcludedObjectsCount == nil || *summary.ExcludedObjectsCount != 0 ||
		summary.ExcludedObjects == nil || summary.MissingReferences == nil:
		t.Errorf("%s: summary wants no excluded objects and no missing references", kibanaFile)
	}
	return objs
}

func TestKibanaExport(t *testing.T) {
	objs := kibanaExport(t)
	known := map[[2]string]bool{}
	for _, o := range objs {
		k := [2]string{o.Type, o.ID}
		if known[k] {
			t.Errorf("duplicate saved object %s %s", o.Type, o.ID)
		}
		known[k] = true
	}
	for _, o := range objs {
		names := map[string]bool{}
		for _, r := range o.References {
			if r.ID == "" || r.Name == "" || r.Type == "" {
				t.Errorf("%s %s: reference %+v wants id, name and type", o.Type, o.ID, r)
			}
			if names[r.Name] {
				t.Errorf("%s %s: two references named %q", o.Type, o.ID, r.Name)
			}
			names[r.Name] = true
			if !known[[2]string{r.Type, r.ID}] {
				t.Errorf("%s %s: reference %q points at %s %s, which is not in the file",
					o.Type, o.ID, r.Name, r.Type, r.ID)
			}
		}
	}

	var dashboards []string
	gotViews := map[string]string{}
	for _, o := range objs {
		switch o.Type {
		case "index-pattern":
			var a dataViewAttrs
			if err := json.Unmarshal(o.Attributes, &a); err != nil {
				t.Errorf("index-pattern %s: %v", o.ID, err)
			}
			gotViews[o.ID] = a.Title
			if a.TimeFieldName != "@timestamp" || a.Name == "" {
				t.Errorf("index-pattern %s: want a name and timeFieldName @timestamp, got %+v", o.ID, a)
			}
		case "search":
			checkSearch(t, o)
		case "dashboard":
			var a dashboardAttrs
			if err := json.Unmarshal(o.Attributes, &a); err != nil {
				t.Errorf("dashboard %s: %v", o.ID, err)
			}
			dashboards = append(dashboards, a.Title)
			checkDashboard(t, o)
		default:
			t.Errorf("%s %s: the test does not know this type; teach it before adding one", o.Type, o.ID)
		}
	}
	for id, title := range dataViews {
		if gotViews[id] != title {
			t.Errorf("data view %s: title %q, want %q", id, gotViews[id], title)
		}
	}
	if len(gotViews) != len(dataViews) {
		t.Errorf("data views %v, want exactly %v", gotViews, dataViews)
	}
	slices.Sort(dashboards)
	if !slices.Equal(dashboards, wantKibanaDashboards) {
		t.Errorf("dashboards %q, want %q", dashboards, wantKibanaDashboards)
	}
}

func refByName(o savedObject, name string) (reference, bool) {
	for _, r := range o.References {
		if r.Name == name {
			return r, true
		}
	}
	return reference{}, false
}

func parseSearchSource(t *testing.T, where, s string) searchSource {
	t.Helper()
	var ss searchSource
	if err := strictUnmarshal([]byte(s), &ss); err != nil {
		t.Errorf("%s: searchSourceJSON: %v", where, err)
	}
	if ss.Query.Language != "kuery" && ss.Query.Language != "lucene" {
		t.Errorf("%s: searchSourceJSON query language %q", where, ss.Query.Language)
	}
	return ss
}

func checkSearch(t *testing.T, o savedObject) {
	where := "search " + o.ID
	var a searchAttrs
	if err := json.Unmarshal(o.Attributes, &a); err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	ss := parseSearchSource(t, where, a.KibanaSavedObjectMeta.SearchSourceJSON)
	r, ok := refByName(o, ss.IndexRefName)
	if ss.IndexRefName == "" || !ok || r.Type != "index-pattern" {
		t.Errorf("%s: indexRefName %q does not name an index-pattern reference", where, ss.IndexRefName)
	}
	if a.Title == "" || len(a.Columns) == 0 || len(a.Sort) == 0 {
		t.Errorf("%s: want a title, columns and a sort", where)
	}
}

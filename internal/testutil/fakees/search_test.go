package fakees

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func hitIDs(r resp) []string {
	hits := r.body["hits"].(map[string]any)["hits"].([]any)
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.(map[string]any)["_id"].(string)
	}
	return ids
}

func seedSearch(t *testing.T, s *Server) {
	t.Helper()
	dsTemplate(t, s, "m", "metrics-vigil.*", 500, `{"mappings":{"properties":{"host":{"properties":{"name":{"type":"keyword"}}},"state":{"type":"keyword"},"value":{"type":"double"},"msg":{"type":"text"}}}}`)
	docs := []string{
		`{"@timestamp":"2025-03-14T10:00:00Z","host":{"name":"web1"},"state":"ok","value":0.1,"msg":"Disk is fine","tags":["a","b"]}`,
		`{"@timestamp":"2025-03-14T10:05:00Z","host.name":"web2","state":"critical","value":0.9,"msg":"Disk FULL now"}`,
		`{"@timestamp":1741947000000,"host":{"name":"db1"},"state":"warning","value":0.5,"tags":["b"]}`,
		`{"@timestamp":"2025-03-14T10:15:00Z","host":{"name":"web1"},"state":"critical","msg":"CPU hot"}`,
	}
	var b strings.Builder
	for i, d := range docs {
		fmt.Fprintf(&b, "{\"create\":{\"_index\":\"metrics-vigil.checks-default\",\"_id\":\"d%d\"}}\n%s\n", i, d)
	}
	r := mustDo(t, s, 200, "POST", "/_bulk", b.String(), "Content-Type", "application/x-ndjson")
	if r.body["errors"] != false {
		t.Fatalf("seed: %s", r.raw)
	}
}

func TestSearch(t *testing.T) {
	s := newServer(t, Options{})
	seedSearch(t, s)
	tests := []struct {
		name, path, body string
		want             []string
	}{
		{"match_all", "/metrics-vigil.checks-default/_search", `{}`, []string{"d0", "d1", "d2", "d3"}},
		{"term short form", "/metrics-vigil.*/_search", `{"query":{"term":{"host.name":"web1"}}}`, []string{"d0", "d3"}},
		{"term dotted source key", "/metrics-vigil.*/_search", `{"query":{"term":{"host.name":{"value":"web2"}}}}`, []string{"d1"}},
		{"terms", "/_search", `{"query":{"terms":{"state":["ok","warning"]}}}`, []string{"d0", "d2"}},
		{"array element of dynamic text", "/_search", `{"query":{"term":{"tags":"b"}}}`, []string{"d0", "d2"}}, // "b" is a token
		{"array element keyword", "/_search", `{"query":{"term":{"tags.keyword":"b"}}}`, []string{"d0", "d2"}},
		{"range on double", "/_search", `{"query":{"range":{"value":{"gte":0.5}}}}`, []string{"d1", "d2"}},
		{"range on date rfc3339", "/_search", `{"query":{"range":{"@timestamp":{"gt":"2025-03-14T10:05:00Z","lte":"2025-03-14T10:15:00Z"}}}}`, []string{"d2", "d3"}},
		{"range on date epoch millis", "/_search", `{"query":{"range":{"@timestamp":{"gte":1741947000000,"format":"epoch_millis"}}}}`, []string{"d2", "d3"}},
		{"range date math", "/_search", `{"query":{"range":{"@timestamp":{"gte":"now-2h+5m"}}}}`, []string{"d1", "d2", "d3"}},
		{"exists", "/_search", `{"query":{"exists":{"field":"value"}}}`, []string{"d0", "d1", "d2"}},
		{"ids", "/_search", `{"query":{"ids":{"values":["d3","d1","zz"]}}}`, []string{"d1", "d3"}},
		{"prefix", "/_search", `{"query":{"prefix":{"host.name":"web"}}}`, []string{"d0", "d1", "d3"}},
		{"match on text", "/_search", `{"query":{"match":{"msg":"disk full"}}}`, []string{"d0", "d1"}},
		{"match and", "/_search", `{"query":{"match":{"msg":{"query":"disk full","operator":"and"}}}}`, []string{"d1"}},
		{"term on text is not analyzed", "/_search", `{"query":{"term":{"msg":"FULL"}}}`, nil},
		{"bool", "/_search", `{"query":{"bool":{"filter":[{"term":{"state":"critical"}}],"must_not":{"term":{"host.name":"web2"}}}}}`, []string{"d3"}},
		{"bool should", "/_search", `{"query":{"bool":{"should":[{"term":{"state":"ok"}},{"term":{"state":"warning"}},{"term":{"host.name":"db1"}}],"minimum_should_match":2}}}`, []string{"d2"}},
		{"nested bool", "/_search", `{"query":{"bool":{"must":[{"bool":{"should":[{"term":{"host.name":"web1"}},{"term":{"host.name":"db1"}}]}}],"filter":{"range":{"value":{"lt":0.3}}}}}}`, []string{"d0"}},
		{"unmapped field matches nothing", "/_search", `{"query":{"term":{"nope":"x"}}}`, nil},
		{"sort desc", "/_search", `{"sort":[{"@timestamp":{"order":"desc"}}]}`, []string{"d3", "d2", "d1", "d0"}},
		{"sort short form and missing last", "/_search", `{"sort":[{"value":"desc"}]}`, []string{"d1", "d2", "d0", "d3"}},
		{"sort string and tiebreak", "/_search", `{"sort":["state",{"@timestamp":"desc"}]}`, []string{"d3", "d1", "d0", "d2"}},
		{"sort missing first", "/_search", `{"sort":[{"value":{"order":"asc","missing":"_first"}}]}`, []string{"d3", "d0", "d2", "d1"}},
		{"size and from", "/_search", `{"sort":["_doc"],"size":2,"from":1}`, []string{"d1", "d2"}},
		{"size param", "/_search?size=1", `{"sort":[{"@timestamp":"asc"}]}`, []string{"d0"}},
		{"ignore unavailable", "/nope,metrics-vigil.checks-default/_search?ignore_unavailable=true", `{"query":{"ids":{"values":["d0"]}}}`, []string{"d0"}},
		{"wildcard without match", "/zzz-*/_search", `{}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustDo(t, s, 200, "POST", tc.path, tc.body)
			got := hitIDs(r)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("hits %v, want %v: %s", got, tc.want, r.raw)
			}
		})
	}
}

func TestSearchResponseShape(t *testing.T) {
	s := newServer(t, Options{})
	seedSearch(t, s)
	r := mustDo(t, s, 200, "POST", "/metrics-vigil.*/_search", `{"query":{"term":{"host.name":"web1"}},"sort":[{"@timestamp":"asc"}],"seq_no_primary_term":true,"_source":["host.*","state"]}`)
	hits := r.body["hits"].(map[string]any)
	total := hits["total"].(map[string]any)
	if num(total["value"]) != 2 || total["relation"] != "eq" || hits["max_score"] != nil || r.body["timed_out"] != false {
		t.Errorf("hits: %s", r.raw)
	}
	h := hits["hits"].([]any)[0].(map[string]any)
	src := h["_source"].(map[string]any)
	if !strings.HasPrefix(h["_index"].(string), ".ds-metrics-vigil.checks-default-") || h["_score"] != nil || num(h["_primary_term"]) != 1 || h["_seq_no"] == nil {
		t.Errorf("hit: %v", h)
	}
	if src["state"] != "ok" || src["host"].(map[string]any)["name"] != "web1" || src["value"] != nil {
		t.Errorf("source filtering: %v", src)
	}
	sortVals := h["sort"].([]any)
	if len(sortVals) != 1 || int64(sortVals[0].(float64)) != 1741946400000 {
		t.Errorf("date sort value should be epoch millis: %v", sortVals)
	}

	// search_after pages through with the previous hit's sort values.
	var seen []string
	var after []any
	for page := 0; page < 5; page++ {
		body := map[string]any{"size": 1, "sort": []any{map[string]any{"value": "desc"}, map[string]any{"@timestamp": "asc"}}}
		if after != nil {
			body["search_after"] = after
		}
		r := mustDo(t, s, 200, "POST", "/_search", string(must(json.Marshal(body))))
		ids := hitIDs(r)
		if len(ids) == 0 {
			break
		}
		seen = append(seen, ids...)
		after = r.body["hits"].(map[string]any)["hits"].([]any)[0].(map[string]any)["sort"].([]any)
	}
	if strings.Join(seen, ",") != "d1,d2,d0,d3" {
		t.Errorf("search_after pages %v", seen)
	}

	r = mustDo(t, s, 200, "GET", "/_search?track_total_hits=false&size=0", "")
	if _, ok := r.body["hits"].(map[string]any)["total"]; ok {
		t.Errorf("total with track_total_hits=false: %s", r.raw)
	}
	r = mustDo(t, s, 200, "GET", "/_search?track_total_hits=2", "")
	if tot := r.body["hits"].(map[string]any)["total"].(map[string]any); num(tot["value"]) != 2 || tot["relation"] != "gte" {
		t.Errorf("capped total: %s", r.raw)
	}
	r = mustDo(t, s, 200, "POST", "/_count", `{"query":{"term":{"state":"critical"}}}`)
	if num(r.body["count"]) != 2 {
		t.Errorf("count: %s", r.raw)
	}
}

func TestSearchErrors(t *testing.T) {
	s := newServer(t, Options{})
	seedSearch(t, s)
	tests := []struct {
		name, path, body string
		status           int
		errType, reason  string
	}{
		{"result window", "/_search", `{"from":9995,"size":10}`, 400, "search_phase_execution_exception", ""},
		{"unknown index", "/nope/_search", `{}`, 404, "index_not_found_exception", "no such index [nope]"},
		{"wildcard with allow_no_indices=false", "/zzz-*/_search?allow_no_indices=false", `{}`, 404, "index_not_found_exception", ""},
		{"aggregations refused", "/_search", `{"aggs":{"x":{"terms":{"field":"state"}}}}`, 400, "illegal_argument_exception", "aggregations"},
		{"unknown query", "/_search", `{"query":{"fuzzy":{"state":"ok"}}}`, 400, "parsing_exception", "unknown query [fuzzy]"},
		{"unknown body key", "/_search", `{"querry":{}}`, 400, "parsing_exception", ""},
		{"sort on text", "/_search", `{"sort":["msg"]}`, 400, "search_phase_execution_exception", ""},
		{"sort on unmapped", "/_search", `{"sort":["nope"]}`, 400, "search_phase_execution_exception", ""},
		{"search_after arity", "/_search", `{"sort":["state"],"search_after":[1,2]}`, 400, "illegal_argument_exception", "search_after has 2 value(s) but sort has 1."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, "POST", tc.path, tc.body)
			if r.status != tc.status || r.errType() != tc.errType || !strings.Contains(r.errReason(), tc.reason) {
				t.Errorf("%d %s, want %d %s %q", r.status, r.raw, tc.status, tc.errType, tc.reason)
			}
		})
	}
	r := do(t, s, "POST", "/_search", `{"sort":["msg"]}`)
	root := r.body["error"].(map[string]any)["root_cause"].([]any)[0].(map[string]any)
	if root["type"] != "illegal_argument_exception" || !strings.Contains(root["reason"].(string), "Text fields are not optimised") {
		t.Errorf("root cause: %s", r.raw)
	}
	mustDo(t, s, 200, "POST", "/_search", `{"sort":[{"nope":{"order":"asc","unmapped_type":"long"}}]}`)
}

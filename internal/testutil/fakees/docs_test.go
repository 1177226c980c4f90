package fakees

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// decoder returns a function taking an esapi call's results directly.
func decoder(t *testing.T) func(*esapi.Response, error) (int, map[string]any) {
	return func(res *esapi.Response, err error) (int, map[string]any) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		return res.StatusCode, m
	}
}

func TestSingleDocumentCAS(t *testing.T) {
	s := newServer(t, Options{})
	es := esClient(t, s, nil)
	decodeRes := decoder(t)
	st, b := decodeRes(es.Index("alerts", strings.NewReader(`{"state":"firing"}`), es.Index.WithDocumentID("a1"), es.Index.WithRefresh("true")))
	if st != 201 || b["result"] != "created" || num(b["_version"]) != 1 || num(b["_seq_no"]) != 0 || num(b["_primary_term"]) != 1 || b["forced_refresh"] != true {
		t.Fatalf("create: %d %v", st, b)
	}
	st, b = decodeRes(es.Get("alerts", "a1"))
	if st != 200 || b["found"] != true || b["_source"].(map[string]any)["state"] != "firing" || num(b["_seq_no"]) != 0 {
		t.Fatalf("get: %d %v", st, b)
	}
	// Two collectors race: the first CAS write wins, the second gets 409.
	st, b = decodeRes(es.Index("alerts", strings.NewReader(`{"state":"resolved"}`), es.Index.WithDocumentID("a1"), es.Index.WithIfSeqNo(0), es.Index.WithIfPrimaryTerm(1)))
	if st != 200 || b["result"] != "updated" || num(b["_seq_no"]) != 1 || num(b["_version"]) != 2 {
		t.Fatalf("cas write: %d %v", st, b)
	}
	st, b = decodeRes(es.Index("alerts", strings.NewReader(`{"state":"acked"}`), es.Index.WithDocumentID("a1"), es.Index.WithIfSeqNo(0), es.Index.WithIfPrimaryTerm(1)))
	e, _ := b["error"].(map[string]any)
	if st != 409 || e["type"] != "version_conflict_engine_exception" || e["reason"] != "[a1]: version conflict, required seqNo [0], primary term [1]. current document has seqNo [1] and primary term [1]" {
		t.Fatalf("stale cas: %d %v", st, b)
	}

	tests := []struct {
		name, method, path, body string
		status                   int
		check                    func(r resp) bool
	}{
		{"op_type=create on existing", "PUT", "/alerts/_doc/a1?op_type=create", `{"x":1}`, 409, func(r resp) bool {
			return r.errReason() == "[a1]: version conflict, document already exists (current version [2])"
		}},
		{"_create on existing", "PUT", "/alerts/_create/a1", `{"x":1}`, 409, nil},
		{"cas on missing doc", "PUT", "/alerts/_doc/zz?if_seq_no=0&if_primary_term=1", `{"x":1}`, 409, func(r resp) bool {
			return strings.Contains(r.errReason(), "but no document was found")
		}},
		{"only if_seq_no", "PUT", "/alerts/_doc/a1?if_seq_no=1", `{"x":1}`, 400, func(r resp) bool {
			return r.errType() == "action_request_validation_exception"
		}},
		{"missing doc", "GET", "/alerts/_doc/nope", "", 404, func(r resp) bool {
			return r.body["found"] == false && r.body["_index"] == "alerts" && r.body["_id"] == "nope"
		}},
		{"missing index", "GET", "/nope/_doc/1", "", 404, func(r resp) bool { return r.errType() == "index_not_found_exception" }},
		{"auto id", "POST", "/alerts/_doc", `{"x":1}`, 201, func(r resp) bool { return len(r.body["_id"].(string)) == 20 }},
		{"delete with stale cas", "DELETE", "/alerts/_doc/a1?if_seq_no=0&if_primary_term=1", "", 409, nil},
		{"delete", "DELETE", "/alerts/_doc/a1?if_seq_no=1&if_primary_term=1", "", 200, func(r resp) bool {
			return r.body["result"] == "deleted" && num(r.body["_version"]) == 3
		}},
		{"delete again", "DELETE", "/alerts/_doc/a1", "", 404, func(r resp) bool { return r.body["result"] == "not_found" }},
		{"recreate after delete", "PUT", "/alerts/_create/a1", `{"x":1}`, 201, func(r resp) bool { return num(r.body["_version"]) == 5 }},
		{"source endpoint", "GET", "/alerts/_source/a1", "", 200, func(r resp) bool { return num(r.body["x"]) == 1 }},
		{"head doc", "HEAD", "/alerts/_doc/a1", "", 200, nil},
		{"get without source", "GET", "/alerts/_doc/a1?_source=false", "", 200, func(r resp) bool { return r.body["_source"] == nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, tc.method, tc.path, tc.body)
			if r.status != tc.status || tc.check != nil && !tc.check(r) {
				t.Errorf("%d %s, want %d", r.status, r.raw, tc.status)
			}
		})
	}
}

func TestUpdateAndUpsert(t *testing.T) {
	s := newServer(t, Options{})
	es := esClient(t, s, nil)
	decodeRes := decoder(t)
	st, b := decodeRes(es.Update("u", "1", strings.NewReader(`{"doc":{"n":1}}`)))
	if st != 404 || b["error"].(map[string]any)["type"] != "document_missing_exception" || b["error"].(map[string]any)["reason"] != "[1]: document missing" {
		t.Fatalf("update missing: %d %v", st, b)
	}
	st, b = decodeRes(es.Update("u", "1", strings.NewReader(`{"doc":{"n":1},"upsert":{"n":0,"tags":["a"]}}`)))
	if st != 201 || b["result"] != "created" {
		t.Fatalf("upsert: %d %v", st, b)
	}
	if d := s.Docs("u"); len(d) != 1 || d[0].Source["n"] != float64(0) {
		t.Fatalf("upsert stored the doc instead of the upsert: %+v", d)
	}
	st, b = decodeRes(es.Update("u", "1", strings.NewReader(`{"doc":{"n":2,"obj":{"a":1}}}`)))
	if st != 200 || b["result"] != "updated" || num(b["_version"]) != 2 {
		t.Fatalf("update: %d %v", st, b)
	}
	st, b = decodeRes(es.Update("u", "1", strings.NewReader(`{"doc":{"n":2}}`)))
	if st != 200 || b["result"] != "noop" || num(b["_version"]) != 2 {
		t.Fatalf("noop: %d %v", st, b)
	}
	st, _ = decodeRes(es.Update("u", "2", strings.NewReader(`{"doc":{"n":7},"doc_as_upsert":true}`)))
	if st != 201 {
		t.Fatalf("doc_as_upsert: %d", st)
	}
	d := s.Docs("u")
	if len(d) != 2 || d[0].Source["n"] != float64(2) || d[0].Source["tags"] == nil || d[0].Source["obj"].(map[string]any)["a"] != float64(1) || d[1].Source["n"] != float64(7) {
		t.Errorf("docs %+v", d)
	}
	// Bulk update items and their statuses.
	r := mustDo(t, s, 200, "POST", "/_bulk", `{"update":{"_index":"u","_id":"1","if_seq_no":0,"if_primary_term":1}}
{"doc":{"n":3}}
{"update":{"_index":"u","_id":"9"}}
{"doc":{"n":3}}
{"update":{"_index":"u","_id":"9"}}
{"doc":{"n":3},"upsert":{"n":1}}
`, "Content-Type", "application/x-ndjson")
	items := bulkItems(t, r)
	if num(items[0]["status"]) != 409 || num(items[1]["status"]) != 404 || itemErrType(items[1]) != "document_missing_exception" || num(items[2]["status"]) != 201 {
		t.Errorf("bulk updates: %s", r.raw)
	}
	if r := do(t, s, "POST", "/u/_update/1", `{"script":{"source":"ctx._source.n++"}}`); r.status != 400 {
		t.Errorf("script update: %d %s", r.status, r.raw)
	}
}

func TestDataStreamSingleDocs(t *testing.T) {
	s := newServer(t, Options{})
	dsTemplate(t, s, "logs", "logs-vigil-*", 500, "")
	doc := `{"@timestamp":"2025-03-14T11:00:00Z","message":"hi"}`
	if r := do(t, s, "PUT", "/logs-vigil-default/_doc/1", doc); r.status != 400 || r.errReason() != "only write ops with an op_type of create are allowed in data streams" {
		t.Errorf("PUT _doc: %d %s", r.status, r.raw)
	}
	r := mustDo(t, s, 201, "PUT", "/logs-vigil-default/_create/1", doc)
	backing := r.body["_index"].(string)
	if !strings.HasPrefix(backing, ".ds-logs-vigil-default-2025.03.14-") {
		t.Errorf("backing index %q", backing)
	}
	mustDo(t, s, 201, "POST", "/logs-vigil-default/_doc", doc)
	mustDo(t, s, 201, "PUT", "/logs-vigil-default/_doc/2?op_type=create", doc)
	// Backing indices take CAS index and delete, not create.
	mustDo(t, s, 400, "PUT", "/"+backing+"/_create/3", doc)
	mustDo(t, s, 400, "PUT", "/"+backing+"/_doc/1", doc)
	mustDo(t, s, 200, "PUT", "/"+backing+"/_doc/1?if_seq_no=0&if_primary_term=1", `{"@timestamp":"2025-03-14T11:00:00Z","message":"edited"}`)
	if r := do(t, s, "DELETE", "/logs-vigil-default", ""); r.status != 400 {
		t.Errorf("delete data stream via index API: %d %s", r.status, r.raw)
	}
	if r := do(t, s, "DELETE", "/"+backing, ""); r.status != 400 || !strings.Contains(r.errReason(), "is the write index") {
		t.Errorf("delete write index: %d %s", r.status, r.raw)
	}
	if n := len(s.Docs("logs-vigil-default")); n != 3 {
		t.Errorf("%d docs", n)
	}
	mustDo(t, s, 200, "DELETE", "/_data_stream/logs-vigil-default", "")
	mustDo(t, s, 404, "GET", "/logs-vigil-default/_search", "")
}

func TestIndexAPIs(t *testing.T) {
	s := newServer(t, Options{})
	mustDo(t, s, 200, "PUT", "/_index_template/plain", `{"index_patterns":["plain-*"],"template":{"settings":{"number_of_replicas":0},"mappings":{"properties":{"tag":{"type":"keyword"}}}}}`)
	mustDo(t, s, 200, "PUT", "/plain-1", `{"mappings":{"properties":{"n":{"type":"long"}}}}`)
	if r := do(t, s, "PUT", "/plain-1", `{}`); r.status != 400 || r.errType() != "resource_already_exists_exception" {
		t.Errorf("exists: %d %s", r.status, r.raw)
	}
	if r := do(t, s, "PUT", "/Bad", `{}`); r.status != 400 || r.errType() != "invalid_index_name_exception" {
		t.Errorf("bad name: %d %s", r.status, r.raw)
	}
	mustDo(t, s, 200, "HEAD", "/plain-1", "")
	mustDo(t, s, 404, "HEAD", "/plain-2", "")
	r := mustDo(t, s, 200, "GET", "/plain-1", "")
	idx := r.body["plain-1"].(map[string]any)
	props := idx["mappings"].(map[string]any)["properties"].(map[string]any)
	if props["tag"] == nil || props["n"] == nil || idx["settings"].(map[string]any)["index"].(map[string]any)["number_of_replicas"] != "0" {
		t.Errorf("template not applied: %s", r.raw)
	}
	mustDo(t, s, 200, "POST", "/plain-1/_refresh", "")
	if r := do(t, s, "PUT", "/plain-1/_mapping", `{"properties":{"n":{"type":"keyword"}}}`); r.status != 400 {
		t.Errorf("mapping type change: %d %s", r.status, r.raw)
	}
	mustDo(t, s, 200, "PUT", "/plain-1/_mapping", `{"properties":{"extra":{"type":"keyword"}}}`)
	mustDo(t, s, 200, "PUT", "/plain-1/_settings", `{"index":{"lifecycle.name":"vigil"}}`)
	r = mustDo(t, s, 200, "GET", "/plain-1/_settings", "")
	if r.body["plain-1"].(map[string]any)["settings"].(map[string]any)["index"].(map[string]any)["lifecycle"].(map[string]any)["name"] != "vigil" {
		t.Errorf("settings: %s", r.raw)
	}
	if r := do(t, s, "PUT", "/plain-1/_settings", `{"index.number_of_shards":2}`); r.status != 400 {
		t.Errorf("final setting: %d %s", r.status, r.raw)
	}
	if r := do(t, s, "DELETE", "/plain-*", ""); r.status != 400 {
		t.Errorf("wildcard delete on ES 8: %d %s", r.status, r.raw)
	}
	mustDo(t, s, 200, "DELETE", "/plain-1", "")
	mustDo(t, s, 404, "DELETE", "/plain-1", "")
}

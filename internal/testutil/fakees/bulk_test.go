package fakees

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esutil"
)

// indexerResult collects what BulkIndexer callbacks report per document.
type indexerResult struct {
	mu       sync.Mutex
	statuses map[string]int
	types    map[string]string
	errs     map[string]error
	indices  map[string]string
}

func runIndexer(t *testing.T, s *Server, items []esutil.BulkIndexerItem) *indexerResult {
	t.Helper()
	res := &indexerResult{statuses: map[string]int{}, types: map[string]string{}, errs: map[string]error{}, indices: map[string]string{}}
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: esClient(t, s, nil), NumWorkers: 1, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range items {
		it := items[i]
		key := fmt.Sprint(i)
		it.OnSuccess = func(_ context.Context, _ esutil.BulkIndexerItem, r esutil.BulkIndexerResponseItem) {
			res.mu.Lock()
			defer res.mu.Unlock()
			res.statuses[key], res.indices[key] = r.Status, r.Index
		}
		it.OnFailure = func(_ context.Context, _ esutil.BulkIndexerItem, r esutil.BulkIndexerResponseItem, err error) {
			res.mu.Lock()
			defer res.mu.Unlock()
			res.statuses[key], res.types[key], res.errs[key] = r.Status, r.Error.Type, err
		}
		if err := bi.Add(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	if err := bi.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return res
}

func item(action, index, id, body string) esutil.BulkIndexerItem {
	return esutil.BulkIndexerItem{Action: action, Index: index, DocumentID: id, Body: strings.NewReader(body)}
}

func TestDataStreamAutoCreate(t *testing.T) {
	s := newServer(t, Options{})
	dsTemplate(t, s, "vigil", "metrics-vigil.*", 500, `{"mappings":{"properties":{"host":{"properties":{"name":{"type":"keyword"}}}}}}`)
	ts := `"@timestamp":"2025-03-14T11:59:00Z"`
	res := runIndexer(t, s, []esutil.BulkIndexerItem{
		item("create", "metrics-vigil.cpu-default", "a", `{`+ts+`,"host":{"name":"h1"}}`),
		item("create", "metrics-vigil.cpu-default", "a", `{`+ts+`,"host":{"name":"h1"}}`),
		item("index", "metrics-vigil.cpu-default", "b", `{`+ts+`}`),
		item("update", "metrics-vigil.cpu-default", "a", `{"doc":{"x":1}}`),
		item("delete", "metrics-vigil.cpu-default", "a", ``),
		item("create", "metrics-vigil.cpu-default", "c", `{"host":{"name":"h1"}}`),
		item("create", "metrics-vigil.cpu-default", "", `{`+ts+`}`),
	})
	backing := ".ds-metrics-vigil.cpu-default-2025.03.14-000001"
	want := map[string]struct {
		status int
		typ    string
	}{
		"0": {201, ""},
		"1": {409, "version_conflict_engine_exception"}, // second create of the same id
		"2": {400, "illegal_argument_exception"},        // only create is allowed ...
		"3": {400, "illegal_argument_exception"},
		"4": {400, "illegal_argument_exception"},
		"5": {400, "document_parsing_exception"}, // no @timestamp
		"6": {201, ""},
	}
	for k, w := range want {
		if res.statuses[k] != w.status || res.types[k] != w.typ {
			t.Errorf("%s: status %d %q, want %d %q", k, res.statuses[k], res.types[k], w.status, w.typ)
		}
	}
	if res.indices["6"] != backing {
		t.Errorf("auto-id item landed in %q, want %q", res.indices["6"], backing)
	}
	docs := s.Docs("metrics-vigil.cpu-default")
	if len(docs) != 2 || docs[0].ID != "a" || docs[0].Index != backing || docs[0].Source["host"].(map[string]any)["name"] != "h1" {
		t.Errorf("docs %+v", docs)
	}

	r := mustDo(t, s, 200, "GET", "/_data_stream/metrics-vigil.*", "")
	ds := r.body["data_streams"].([]any)[0].(map[string]any)
	idx := ds["indices"].([]any)[0].(map[string]any)
	if ds["name"] != "metrics-vigil.cpu-default" || idx["index_name"] != backing || num(ds["generation"]) != 1 || ds["status"] != "GREEN" ||
		ds["template"] != "vigil" || ds["index_mode"] != "standard" || ds["timestamp_field"].(map[string]any)["name"] != "@timestamp" {
		t.Errorf("data stream: %s", r.raw)
	}
	if r := do(t, s, "PUT", "/_data_stream/metrics-vigil.cpu-default", ""); r.status != 400 || r.errType() != "resource_already_exists_exception" {
		t.Errorf("create existing: %d %s", r.status, r.raw)
	}
	if r := do(t, s, "PUT", "/_data_stream/nomatch", ""); r.status != 400 || r.errReason() != "no matching index template found for data stream [nomatch]" {
		t.Errorf("no template: %d %s", r.status, r.raw)
	}
	if r := do(t, s, "GET", "/_data_stream/nope", ""); r.status != 404 || r.errType() != "index_not_found_exception" {
		t.Errorf("get missing: %d %s", r.status, r.raw)
	}
	mustDo(t, s, 200, "PUT", "/_data_stream/metrics-vigil.mem-default", "")

	// A rollover starts a new backing index; the old id can be written again.
	r = mustDo(t, s, 200, "POST", "/metrics-vigil.cpu-default/_rollover", "")
	if r.body["new_index"] != ".ds-metrics-vigil.cpu-default-2025.03.14-000002" {
		t.Errorf("rollover: %s", r.raw)
	}
	r = mustDo(t, s, 201, "PUT", "/metrics-vigil.cpu-default/_create/a", `{`+ts+`}`)
	if r.body["_index"] != ".ds-metrics-vigil.cpu-default-2025.03.14-000002" {
		t.Errorf("create after rollover: %s", r.raw)
	}
}

func TestBulkIndexerFaults(t *testing.T) {
	s := newServer(t, Options{})
	s.RejectItems(2)
	var items []esutil.BulkIndexerItem
	for i := range 5 {
		items = append(items, item("create", "plain", fmt.Sprint("d", i), `{"n":1}`))
	}
	res := runIndexer(t, s, items)
	rejected := 0
	for _, id := range []string{"0", "1", "2", "3", "4"} {
		switch res.statuses[id] {
		case 429:
			rejected++
			if res.types[id] != "es_rejected_execution_exception" {
				t.Errorf("%s: %q", id, res.types[id])
			}
		case 201:
		default:
			t.Errorf("%s: status %d", id, res.statuses[id])
		}
	}
	if rejected != 2 || len(s.Docs("plain")) != 3 {
		t.Errorf("%d rejected, %d stored", rejected, len(s.Docs("plain")))
	}

	s.FailRequests(503, 1)
	res = runIndexer(t, s, []esutil.BulkIndexerItem{item("create", "plain", "e1", `{"n":1}`)})
	if res.errs["0"] == nil || !strings.Contains(res.errs["0"].Error(), "cluster_block_exception") {
		t.Errorf("whole-request 503: %v", res.errs["0"])
	}
}

func TestBulkFraming(t *testing.T) {
	s := newServer(t, Options{})
	tests := []struct {
		name, body string
		status     int
		errType    string
		reason     string
	}{
		{"no trailing newline", "{\"index\":{\"_index\":\"x\"}}\n{\"a\":1}", 400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]"},
		{"empty", "", 400, "parse_exception", "request body is required"},
		{"bad action json", "{nope\n{}\n", 400, "x_content_parse_exception", ""},
		{"unknown action", "{\"upsert\":{\"_index\":\"x\"}}\n{}\n", 400, "illegal_argument_exception", "expected field [create], [delete], [index] or [update] but found [upsert]"},
		{"unknown parameter", "{\"index\":{\"_index\":\"x\",\"_type\":\"doc\"}}\n{}\n", 400, "illegal_argument_exception", "contains an unknown parameter [_type]"},
		{"missing index", "{\"index\":{}}\n{}\n", 400, "action_request_validation_exception", "index is missing"},
		{"create with cas", "{\"create\":{\"_index\":\"x\",\"_id\":\"1\",\"if_seq_no\":1,\"if_primary_term\":1}}\n{}\n", 400, "action_request_validation_exception", "create operations do not support compare and set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, "POST", "/_bulk", tc.body, "Content-Type", "application/x-ndjson")
			if r.status != tc.status || r.errType() != tc.errType || !strings.Contains(r.errReason(), tc.reason) {
				t.Errorf("%d %s, want %d %s %q", r.status, r.raw, tc.status, tc.errType, tc.reason)
			}
		})
	}
	r := mustDo(t, s, 200, "POST", "/target/_bulk", "{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n{\"index\":{\"_id\":\"2\"}}\n{bad json\n", "Content-Type", "application/x-ndjson")
	items := bulkItems(t, r)
	if r.body["errors"] != true || num(items[0]["status"]) != 201 || items[0]["_index"] != "target" || num(items[1]["status"]) != 400 || itemErrType(items[1]) != "document_parsing_exception" {
		t.Errorf("per-item parse error: %s", r.raw)
	}
	sh := items[0]["_shards"].(map[string]any)
	if items[0]["result"] != "created" || num(sh["total"]) != 2 || num(sh["successful"]) != 1 || num(items[0]["_seq_no"]) != 0 || num(items[0]["_primary_term"]) != 1 || num(items[0]["_version"]) != 1 {
		t.Errorf("item shape: %v", items[0])
	}
}

func TestTSDS(t *testing.T) {
	now := fixedNow
	s := newServer(t, Options{Now: func() time.Time { return now }})
	dsTemplate(t, s, "tsds", "metrics-tsds-*", 500, `{"settings":{"index":{"mode":"time_series","look_ahead_time":"30m"}},
		"mappings":{"properties":{"host.name":{"type":"keyword","time_series_dimension":true},"cpu":{"type":"double","time_series_metric":"gauge"}},
		"dynamic_templates":[{"labels":{"path_match":"labels.*","match_mapping_type":"string","mapping":{"type":"keyword","time_series_dimension":true}}}]}}`)
	ts := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339Nano) }
	body := func(ts, host, extra string) string {
		return fmt.Sprintf(`{"@timestamp":%s,"host":{"name":"%s"},"cpu":0.5%s}`, ts, host, extra)
	}
	bulk := func(lines ...string) []map[string]any {
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		return bulkItems(t, mustDo(t, s, 200, "POST", "/_bulk", b.String(), "Content-Type", "application/x-ndjson"))
	}
	create := `{"create":{"_index":"metrics-tsds-default"}}`
	items := bulk(
		create, body(`"`+ts(-time.Minute)+`"`, "h1", ""),
		create, body(`"`+ts(-time.Minute)+`"`, "h1", ""), // same series and time
		create, body(fmt.Sprint(now.Add(-time.Minute).UnixMilli()), "h1", `,"labels":{"env":"prod"}`), // epoch millis, extra dimension
		create, body(`"`+ts(-3*time.Hour)+`"`, "h1", ""),
		create, body(`"`+ts(time.Hour)+`"`, "h1", ""),
		create, `{"@timestamp":"`+ts(-time.Minute)+`","cpu":1}`,
		`{"create":{"_index":"metrics-tsds-default","_id":"mine"}}`, body(`"`+ts(-2*time.Minute)+`"`, "h2", ""),
	)
	want := []struct {
		status  int
		errType string
		reason  string
	}{
		{201, "", ""},
		{409, "version_conflict_engine_exception", "version conflict, document already exists"},
		{201, "", ""},
		{400, "illegal_argument_exception", "is outside of ranges of currently writable indices [[2025-03-14T10:00:00.000Z,2025-03-14T12:30:00.000Z]]"},
		{400, "illegal_argument_exception", "the document timestamp [2025-03-14T13:00:00.000Z] is outside of ranges"},
		{400, "document_parsing_exception", "Error extracting routing: source didn't contain any routing fields"},
		{400, "illegal_argument_exception", "_id must be unset or set to ["},
	}
	for i, w := range want {
		it := items[i]
		if num(it["status"]) != w.status || itemErrType(it) != w.errType || !strings.Contains(itemErrReason(it), w.reason) {
			t.Errorf("item %d: %v, want %d %s %q", i, it, w.status, w.errType, w.reason)
		}
	}
	if items[0]["_id"] == items[2]["_id"] || items[0]["_id"] != items[1]["_id"] {
		t.Errorf("ids not derived from dimensions: %v %v %v", items[0]["_id"], items[1]["_id"], items[2]["_id"])
	}
	// Setting _id to the derived value is allowed (and here a duplicate).
	derived := items[0]["_id"].(string)
	items = bulk(`{"create":{"_index":"metrics-tsds-default","_id":"`+derived+`"}}`, body(`"`+ts(-time.Minute)+`"`, "h1", ""))
	if num(items[0]["status"]) != 409 {
		t.Errorf("derived id: %v", items[0])
	}
	r := mustDo(t, s, 200, "GET", "/_data_stream/metrics-tsds-default", "")
	if ds := r.body["data_streams"].([]any)[0].(map[string]any); ds["index_mode"] != "time_series" {
		t.Errorf("index_mode: %s", r.raw)
	}
	// The window moves with the cluster clock.
	now = now.Add(3 * time.Hour)
	items = bulk(create, body(`"`+ts(-time.Minute)+`"`, "h3", ""))
	if num(items[0]["status"]) != 201 {
		t.Errorf("after clock moved: %v", items[0])
	}
}

func TestMappingConflicts(t *testing.T) {
	s := newServer(t, Options{})
	mustDo(t, s, 200, "PUT", "/m", `{"mappings":{"properties":{"load":{"type":"double"},"tags":{"type":"keyword"},
		"raw":{"type":"object","enabled":false},"labels":{"type":"flattened"},"obj":{"properties":{"a":{"type":"long"}}},
		"seen":{"type":"date"},"ok":{"type":"boolean"},"addr":{"type":"ip"}}}}`)
	tests := []struct {
		name, doc string
		status    int
		reason    string
		cause     string
	}{
		{"string into double", `{"load":"abc"}`, 400, "[1:9] failed to parse field [load] of type [double] in document with id 'x'. Preview of field's value: 'abc'", "number_format_exception"},
		{"numeric string coerced", `{"load":"1.5"}`, 201, "", ""},
		{"object into keyword", `{"tags":{"a":1}}`, 400, "failed to parse field [tags] of type [keyword] in document with id 'x'. Preview of field's value: '{a=1}'", "illegal_state_exception"},
		{"number into object", `{"obj":5}`, 400, "object mapping for [obj] tried to parse field [obj] as object, but found a concrete value", ""},
		{"dotted key addresses the same field", `{"obj.a":"zz"}`, 400, "failed to parse field [obj.a] of type [long]", "illegal_argument_exception"},
		{"nested key addresses the same field", `{"obj":{"a":"zz"}}`, 400, "failed to parse field [obj.a] of type [long]", "illegal_argument_exception"},
		{"disabled object takes anything", `{"raw":{"x":[1,"a",{"b":true}]}}`, 201, "", ""},
		{"flattened takes anything", `{"labels":{"x":{"y":"z"},"n":1}}`, 201, "", ""},
		{"bad date", `{"seen":"yesterday"}`, 400, "failed to parse field [seen] of type [date]", "illegal_argument_exception"},
		{"epoch millis date", `{"seen":1700000000000}`, 201, "", ""},
		{"bad boolean", `{"ok":"yes"}`, 400, "failed to parse field [ok] of type [boolean]", "illegal_argument_exception"},
		{"bad ip", `{"addr":"1.2.3"}`, 400, "failed to parse field [addr] of type [ip]", "illegal_argument_exception"},
		{"array element checked", `{"load":[1,"x"]}`, 400, "failed to parse field [load] of type [double]", "number_format_exception"},
		{"dynamic long", `{"count":3}`, 201, "", ""},
		{"dynamic long then text", `{"count":"many"}`, 400, "failed to parse field [count] of type [long]", "illegal_argument_exception"},
		{"dynamic object then value", `{"dyn":{"x":1}}`, 201, "", ""},
		{"value into dynamic object", `{"dyn":"flat"}`, 400, "object mapping for [dyn] tried to parse field [dyn] as object", ""},
		{"dotted key under keyword", `{"tags.sub":"x"}`, 400, "Could not dynamically add mapping for field [tags.sub]. Existing mapping for [tags] must be of type object but found [keyword].", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, "PUT", "/m/_doc/x", tc.doc)
			if r.status != tc.status && !(tc.status == 201 && r.status == 200) {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.status != 400 {
				return
			}
			cause, _ := r.body["error"].(map[string]any)["caused_by"].(map[string]any)
			ct, _ := cause["type"].(string)
			if r.errType() != "document_parsing_exception" || !strings.Contains(r.errReason(), tc.reason) || ct != tc.cause {
				t.Errorf("error %s, want %q caused by %q", r.raw, tc.reason, tc.cause)
			}
		})
	}
	r := mustDo(t, s, 200, "GET", "/m/_mapping", "")
	props := r.body["m"].(map[string]any)["mappings"].(map[string]any)["properties"].(map[string]any)
	if props["count"].(map[string]any)["type"] != "long" || props["dyn"].(map[string]any)["properties"] == nil {
		t.Errorf("dynamic mappings: %s", r.raw)
	}

	os := newServer(t, Options{Flavor: OpenSearch})
	mustDo(t, os, 201, "PUT", "/m/_doc/1", `{"n":1}`)
	if r := do(t, os, "PUT", "/m/_doc/2", `{"n":"x"}`); r.errType() != "mapper_parsing_exception" || strings.HasPrefix(r.errReason(), "[") {
		t.Errorf("OpenSearch mapping error: %s", r.raw)
	}
}

func TestDynamicDefaultsAndLimits(t *testing.T) {
	s := newServer(t, Options{})
	mustDo(t, s, 201, "PUT", "/d/_doc/1", `{"msg":"Hello World","when":"2025-03-14T10:00:00Z","f":1.5,"b":true}`)
	r := mustDo(t, s, 200, "GET", "/d/_mapping", "")
	props := r.body["d"].(map[string]any)["mappings"].(map[string]any)["properties"].(map[string]any)
	typ := func(f string) any { return props[f].(map[string]any)["type"] }
	if typ("msg") != "text" || props["msg"].(map[string]any)["fields"].(map[string]any)["keyword"] == nil || typ("when") != "date" || typ("f") != "float" || typ("b") != "boolean" {
		t.Errorf("dynamic defaults: %s", r.raw)
	}
	mustDo(t, s, 200, "PUT", "/lim", `{"settings":{"index.mapping.total_fields.limit":3}}`)
	r = do(t, s, "PUT", "/lim/_doc/1", `{"a":1,"b":2,"c":3,"d":4}`)
	if r.status != 400 || r.errType() != "illegal_argument_exception" || !strings.Contains(r.errReason(), "Limit of total fields [3] has been exceeded") {
		t.Errorf("field limit: %d %s", r.status, r.raw)
	}
	mustDo(t, s, 200, "PUT", "/strict", `{"mappings":{"dynamic":"strict","properties":{"a":{"type":"long"}}}}`)
	if r := do(t, s, "PUT", "/strict/_doc/1", `{"a":1,"b":2}`); r.status != 400 || r.errType() != "strict_dynamic_mapping_exception" {
		t.Errorf("strict: %d %s", r.status, r.raw)
	}
}

package fakees

import (
	"context"
	"strings"
	"testing"

	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/plugins/ism"
)

func TestTemplates(t *testing.T) {
	s := newServer(t, Options{})
	mustDo(t, s, 200, "PUT", "/_component_template/vigil-settings",
		`{"template":{"settings":{"index.lifecycle.name":"vigil","number_of_shards":1}},"_meta":{"managed_by":"vigil"},"version":3}`)
	mustDo(t, s, 200, "PUT", "/_component_template/vigil-mappings",
		`{"template":{"mappings":{"properties":{"host":{"properties":{"name":{"type":"keyword"}}}}}}}`)

	r := mustDo(t, s, 200, "GET", "/_component_template/vigil-settings", "")
	ct := r.body["component_templates"].([]any)[0].(map[string]any)
	settings := ct["component_template"].(map[string]any)["template"].(map[string]any)["settings"].(map[string]any)["index"].(map[string]any)
	if ct["name"] != "vigil-settings" || settings["number_of_shards"] != "1" || settings["lifecycle"].(map[string]any)["name"] != "vigil" {
		t.Errorf("component template as stored: %s", r.raw)
	}
	if num(ct["component_template"].(map[string]any)["version"]) != 3 {
		t.Errorf("version lost: %s", r.raw)
	}

	tests := []struct {
		name, path, body string
		status           int
		errType, reason  string
	}{
		{"missing component", "/_index_template/bad", `{"index_patterns":["x-*"],"composed_of":["nope"]}`, 400,
			"invalid_index_template_exception", "index_template [bad] invalid, cause [index template [bad] specifies component templates [nope] that do not exist]"},
		{"ok", "/_index_template/vigil", `{"index_patterns":["metrics-vigil.*"],"priority":500,"composed_of":["vigil-settings","vigil-mappings"],"data_stream":{},"_meta":{"v":1}}`, 200, "", ""},
		{"same priority overlap", "/_index_template/clash", `{"index_patterns":["metrics-vigil.cpu*"],"priority":500}`, 400,
			"illegal_argument_exception", "have the same priority [500]"},
		{"overlaps built-in metrics-*-*", "/_index_template/builtin-clash", `{"index_patterns":["metrics-vigil-*"],"priority":100,"data_stream":{}}`, 400,
			"illegal_argument_exception", "existing templates [metrics]"},
		{"different priority is fine", "/_index_template/low", `{"index_patterns":["metrics-vigil.cpu*"],"priority":400}`, 200, "", ""},
		{"unknown key", "/_index_template/typo", `{"index_pattern":["a-*"]}`, 400, "x_content_parse_exception", "unknown field [index_pattern]"},
		{"dotted and nested settings", "/_index_template/set", `{"index_patterns":["set-*"],"template":{"settings":{"index":{"number_of_replicas":0},"index.refresh_interval":"5s"}}}`, 200, "", ""},
		{"tsds needs dimensions", "/_index_template/tsds", `{"index_patterns":["tsds-*"],"data_stream":{},"template":{"settings":{"index.mode":"time_series"}}}`, 400,
			"invalid_index_template_exception", "requires a non-empty [index.routing_path]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, "PUT", tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.status == 200 && r.body["acknowledged"] != true {
				t.Errorf("body %s", r.raw)
			}
			if tc.errType != "" && (r.errType() != tc.errType || !strings.Contains(r.errReason(), tc.reason)) {
				t.Errorf("error %s, want %s %q", r.raw, tc.errType, tc.reason)
			}
		})
	}

	r = mustDo(t, s, 200, "GET", "/_index_template/vigil", "")
	it := r.body["index_templates"].([]any)[0].(map[string]any)["index_template"].(map[string]any)
	if num(it["priority"]) != 500 || it["data_stream"] == nil || len(it["composed_of"].([]any)) != 2 {
		t.Errorf("index template: %s", r.raw)
	}
	if r := do(t, s, "GET", "/_index_template/nope", ""); r.status != 404 || r.errType() != "resource_not_found_exception" {
		t.Errorf("missing template: %d %s", r.status, r.raw)
	}
	if r := do(t, s, "GET", "/_component_template/nope", ""); r.status != 404 || r.errType() != "resource_not_found_exception" {
		t.Errorf("missing component: %d %s", r.status, r.raw)
	}
	if r := do(t, s, "DELETE", "/_component_template/vigil-mappings", ""); r.status != 400 || !strings.Contains(r.errReason(), "still in use by index templates [vigil]") {
		t.Errorf("delete in-use component: %d %s", r.status, r.raw)
	}
	mustDo(t, s, 200, "DELETE", "/_index_template/vigil", "")
	mustDo(t, s, 200, "DELETE", "/_component_template/vigil-mappings", "")
	if r := do(t, s, "DELETE", "/_index_template/vigil", ""); r.status != 404 {
		t.Errorf("delete twice: %d", r.status)
	}
}

func TestILM(t *testing.T) {
	s := newServer(t, Options{})
	es := esClient(t, s, nil)
	policy := `{"policy":{"_meta":{"owner":"vigil"},"phases":{"hot":{"actions":{"rollover":{"max_age":"1d","max_primary_shard_size":"50gb"}}},"delete":{"min_age":"30d","actions":{"delete":{}}}}}}`
	for i := 0; i < 2; i++ {
		res, err := es.ILM.PutLifecycle("vigil", es.ILM.PutLifecycle.WithBody(strings.NewReader(policy)))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("put: %s", res)
		}
	}
	r := mustDo(t, s, 200, "GET", "/_ilm/policy/vigil", "")
	p := r.body["vigil"].(map[string]any)
	if num(p["version"]) != 2 || p["modified_date"] != "2025-03-14T12:00:00.000Z" || p["policy"].(map[string]any)["_meta"].(map[string]any)["owner"] != "vigil" {
		t.Errorf("policy: %s", r.raw)
	}
	bad := []struct{ name, body, errType string }{
		{"unknown phase", `{"policy":{"phases":{"lukewarm":{"actions":{}}}}}`, "illegal_argument_exception"},
		{"unknown action", `{"policy":{"phases":{"hot":{"actions":{"explode":{}}}}}}`, "x_content_parse_exception"},
		{"no policy", `{"phases":{}}`, "x_content_parse_exception"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if r := do(t, s, "PUT", "/_ilm/policy/bad", tc.body); r.status != 400 || r.errType() != tc.errType {
				t.Errorf("%d %s", r.status, r.raw)
			}
		})
	}
	if r := do(t, s, "GET", "/_ilm/policy/nope", ""); r.status != 404 || r.errType() != "resource_not_found_exception" {
		t.Errorf("missing: %d %s", r.status, r.raw)
	}
	mustDo(t, s, 200, "DELETE", "/_ilm/policy/vigil", "")
	mustDo(t, s, 404, "DELETE", "/_ilm/policy/vigil", "")

	os := newServer(t, Options{Flavor: OpenSearch})
	if r := do(t, os, "PUT", "/_ilm/policy/vigil", policy); r.status != 400 || !strings.Contains(r.body["error"].(string), "no handler found") {
		t.Errorf("ILM on OpenSearch: %d %s", r.status, r.raw)
	}
}

func TestISM(t *testing.T) {
	s := newServer(t, Options{Flavor: OpenSearch})
	client, err := ism.NewClient(ism.Config{Client: opensearch.Config{Addresses: []string{s.URL()}, Transport: transport(t), DisableRetry: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Client.Close() })
	ctx := context.Background()
	body := ism.PoliciesPutBody{Policy: ism.PolicyBody{Description: "vigil", DefaultState: "hot",
		States: []ism.PolicyState{{Name: "hot", Actions: []ism.PolicyStateAction{}, Transitions: &[]ism.PolicyStateTransition{}}}}}
	created, err := client.Policies.Put(ctx, ism.PoliciesPutReq{Policy: "vigil", Body: body})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.Inspect().Response.StatusCode != 201 || created.Version != 1 || created.Policy.Policy.DefaultState != "hot" {
		t.Fatalf("create: %+v", created)
	}

	// Updating needs the current seq_no and primary term.
	_, err = client.Policies.Put(ctx, ism.PoliciesPutReq{Policy: "vigil", Body: body})
	if err == nil || !strings.Contains(err.Error(), "version_conflict_engine_exception") {
		t.Fatalf("put existing without seq_no: %v", err)
	}
	stale := created.SeqNo + 7
	_, err = client.Policies.Put(ctx, ism.PoliciesPutReq{Policy: "vigil", Body: body, Params: ism.PoliciesPutParams{IfSeqNo: &stale, IfPrimaryTerm: &created.PrimaryTerm}})
	if err == nil || !strings.Contains(err.Error(), "version_conflict_engine_exception") {
		t.Fatalf("put with stale seq_no: %v", err)
	}
	updated, err := client.Policies.Put(ctx, ism.PoliciesPutReq{Policy: "vigil", Body: body, Params: ism.PoliciesPutParams{IfSeqNo: &created.SeqNo, IfPrimaryTerm: &created.PrimaryTerm}})
	if err != nil {
		t.Fatalf("put with seq_no: %v", err)
	}
	if updated.Inspect().Response.StatusCode != 200 || updated.Version != 2 || updated.SeqNo <= created.SeqNo {
		t.Errorf("update: %+v", updated)
	}

	got, err := client.Policies.Get(ctx, &ism.PoliciesGetReq{Policy: "vigil"})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if *got.ID != "vigil" || *got.SeqNo != updated.SeqNo || *got.Version != 2 || got.Policy.PolicyID != "vigil" {
		t.Errorf("get: %+v", got)
	}
	if r := do(t, s, "GET", "/_plugins/_ism/policies/nope", ""); r.status != 404 {
		t.Errorf("missing policy: %d %s", r.status, r.raw)
	}
	if r := do(t, s, "PUT", "/_plugins/_ism/policies/bad", `{"policy":{"description":"x","default_state":"warm","states":[{"name":"hot","actions":[],"transitions":[]}]}}`); r.status != 400 {
		t.Errorf("bad default_state: %d %s", r.status, r.raw)
	}
}

func TestOpenSearchRefusesElasticsearchSettings(t *testing.T) {
	s := newServer(t, Options{Flavor: OpenSearch})
	tests := []struct{ name, method, path, body string }{
		{"tsds template", "PUT", "/_index_template/t", `{"index_patterns":["m-*"],"data_stream":{},"template":{"settings":{"index.mode":"time_series"}}}`},
		{"nested tsds setting", "PUT", "/_component_template/c", `{"template":{"settings":{"index":{"mode":"time_series"}}}}`},
		{"ilm setting", "PUT", "/_index_template/t2", `{"index_patterns":["n-*"],"template":{"settings":{"index.lifecycle.name":"p"}}}`},
		{"create index", "PUT", "/plain", `{"settings":{"index.mode":"time_series"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, tc.method, tc.path, tc.body)
			if r.status != 400 || r.errType() != "illegal_argument_exception" || !strings.Contains(r.errReason(), "unknown setting [index.") {
				t.Errorf("%d %s", r.status, r.raw)
			}
		})
	}
}

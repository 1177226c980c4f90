package fakees

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
)

func TestProductCheck(t *testing.T) {
	tests := []struct {
		name    string
		flavor  Flavor
		wantErr string
	}{
		{"elasticsearch passes", Elasticsearch, ""},
		{"opensearch is refused by go-elasticsearch", OpenSearch, "not Elasticsearch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, Options{Flavor: tc.flavor})
			es := esClient(t, s, nil)
			res, err := es.Info()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Info: err %v, want %q", err, tc.wantErr)
				}
				r := mustDo(t, s, 200, "GET", "/", "")
				if r.header.Get("X-Elastic-Product") != "" {
					t.Errorf("OpenSearch sent X-Elastic-Product")
				}
				v := r.body["version"].(map[string]any)
				if v["distribution"] != "opensearch" || v["number"] != "2.15.0" || !strings.Contains(r.body["tagline"].(string), "OpenSearch") {
					t.Errorf("GET / = %s", r.raw)
				}
				return
			}
			if err != nil {
				t.Fatalf("Info: %v", err)
			}
			defer res.Body.Close()
			if res.StatusCode != 200 || res.Header.Get("X-Elastic-Product") != "Elasticsearch" {
				t.Fatalf("Info: %s", res)
			}
			r := mustDo(t, s, 200, "GET", "/", "")
			v := r.body["version"].(map[string]any)
			if v["number"] != "8.15.0" || v["build_flavor"] != "default" || v["lucene_version"] != "9.11.1" || r.body["tagline"] != "You Know, for Search" || r.body["name"] != "fake-node" {
				t.Errorf("GET / = %s", r.raw)
			}
			// Error answers carry the product header too.
			if r := do(t, s, "GET", "/nope/_doc/1", ""); r.status != 404 || r.header.Get("X-Elastic-Product") != "Elasticsearch" {
				t.Errorf("404 without product header: %d %v", r.status, r.header)
			}
		})
	}
}

func TestMediaTypes(t *testing.T) {
	const compat = "application/vnd.elasticsearch+json; compatible-with=8"
	const compatND = "application/vnd.elasticsearch+x-ndjson; compatible-with=8"
	bulk := "{\"index\":{\"_index\":\"m\",\"_id\":\"1\"}}\n{\"a\":1}\n"
	tests := []struct {
		name       string
		flavor     Flavor
		method     string
		path, body string
		headers    []string
		status     int
		respType   string
		wantErr    string
	}{
		{"es json", Elasticsearch, "PUT", "/m/_doc/1", `{"a":1}`, nil, 201, "application/json", ""},
		{"es compat json", Elasticsearch, "PUT", "/m/_doc/1", `{"a":1}`, []string{"Content-Type", compat, "Accept", compat}, 201, "application/vnd.elasticsearch+json;compatible-with=8", ""},
		{"es compat ndjson bulk", Elasticsearch, "POST", "/_bulk", bulk, []string{"Content-Type", compatND, "Accept", compat}, 200, "application/vnd.elasticsearch+json;compatible-with=8", ""},
		{"es ndjson bulk", Elasticsearch, "POST", "/_bulk", bulk, []string{"Content-Type", "application/x-ndjson"}, 200, "application/json", ""},
		{"es text/plain refused", Elasticsearch, "PUT", "/m/_doc/1", `{"a":1}`, []string{"Content-Type", "text/plain"}, 406, "", "Content-Type header [text/plain] is not supported"},
		{"es missing content type", Elasticsearch, "PUT", "/m/_doc/1", `{"a":1}`, []string{"Content-Type", ""}, 406, "", "Content-Type header is missing"},
		{"es compatible-with=9 refused", Elasticsearch, "PUT", "/m/_doc/1", `{"a":1}`, []string{"Content-Type", "application/vnd.elasticsearch+json; compatible-with=9", "Accept", "application/vnd.elasticsearch+json; compatible-with=9"}, 400, "", ""},
		{"os json", OpenSearch, "PUT", "/m/_doc/1", `{"a":1}`, nil, 201, "application/json; charset=UTF-8", ""},
		{"os compat refused", OpenSearch, "PUT", "/m/_doc/1", `{"a":1}`, []string{"Content-Type", compat, "Accept", compat}, 406, "", "Content-Type header [" + compat + "] is not supported"},
		{"os compat bulk refused", OpenSearch, "POST", "/_bulk", bulk, []string{"Content-Type", compatND}, 406, "", "Content-Type header [" + compatND + "] is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, Options{Flavor: tc.flavor})
			r := do(t, s, tc.method, tc.path, tc.body, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.respType != "" && r.header.Get("Content-Type") != tc.respType {
				t.Errorf("Content-Type %q, want %q", r.header.Get("Content-Type"), tc.respType)
			}
			if tc.wantErr != "" && (r.body["error"] != tc.wantErr || num(r.body["status"]) != tc.status) {
				t.Errorf("body %s, want error %q", r.raw, tc.wantErr)
			}
			if tc.status == 400 && r.errType() != "media_type_header_exception" {
				t.Errorf("error type %q", r.errType())
			}
		})
	}
}

func TestCompatibilityModeClient(t *testing.T) {
	s := newServer(t, Options{})
	es := esClient(t, s, func(c *elasticsearch.Config) { c.EnableCompatibilityMode = true; c.CompressRequestBody = true })
	res, err := es.Index("compat", strings.NewReader(`{"msg":"hello"}`), es.Index.WithDocumentID("1"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 || !strings.Contains(res.Header.Get("Content-Type"), "compatible-with=8") {
		t.Fatalf("index: %s %v", res, res.Header)
	}
	reqs := s.Requests()
	last := reqs[len(reqs)-1]
	if last.Header.Get("Content-Encoding") != "gzip" || string(last.Body) != `{"msg":"hello"}` {
		t.Errorf("logged request: %v %q", last.Header, last.Body)
	}
	if docs := s.Docs("compat"); len(docs) != 1 || docs[0].Source["msg"] != "hello" {
		t.Errorf("docs %+v", docs)
	}
}

func TestAuth(t *testing.T) {
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	tests := []struct {
		name   string
		opts   Options
		auth   string
		status int
		reason string
	}{
		{"no auth configured", Options{}, "", 200, ""},
		{"basic ok", Options{BasicUser: "elastic", BasicPass: "pw"}, basic("elastic", "pw"), 200, ""},
		{"basic missing", Options{BasicUser: "elastic", BasicPass: "pw"}, "", 401, "missing authentication credentials for REST request [/_cluster/health]"},
		{"basic wrong", Options{BasicUser: "elastic", BasicPass: "pw"}, basic("elastic", "nope"), 401, "unable to authenticate user [elastic] for REST request [/_cluster/health]"},
		{"api key ok", Options{APIKey: "aWQ6a2V5"}, "ApiKey aWQ6a2V5", 200, ""},
		{"api key wrong", Options{APIKey: "aWQ6a2V5"}, "ApiKey bm9wZQ==", 401, "unable to authenticate with provided credentials"},
		{"api key as basic", Options{APIKey: "aWQ6a2V5"}, basic("id", "key"), 401, "unable to authenticate user [id]"},
		{"opensearch basic missing", Options{Flavor: OpenSearch, BasicUser: "admin", BasicPass: "pw"}, "", 401, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, tc.opts)
			r := do(t, s, "GET", "/_cluster/health", "", "Authorization", tc.auth)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.status != 401 {
				return
			}
			if r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("no WWW-Authenticate header")
			}
			if tc.opts.Flavor == OpenSearch {
				if string(r.raw) != "Unauthorized" {
					t.Errorf("body %q", r.raw)
				}
				return
			}
			if r.errType() != "security_exception" || !strings.Contains(r.errReason(), tc.reason) {
				t.Errorf("error %s, want security_exception %q", r.raw, tc.reason)
			}
		})
	}

	t.Run("go-elasticsearch credentials", func(t *testing.T) {
		s := newServer(t, Options{BasicUser: "elastic", BasicPass: "pw"})
		for _, c := range []struct {
			user, pass string
			status     int
		}{{"elastic", "pw", 200}, {"elastic", "bad", 401}} {
			es := esClient(t, s, func(cfg *elasticsearch.Config) { cfg.Username, cfg.Password = c.user, c.pass })
			res, err := es.Cluster.Health()
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != c.status {
				t.Errorf("%s/%s: %d, want %d", c.user, c.pass, res.StatusCode, c.status)
			}
		}
		k := newServer(t, Options{APIKey: "aWQ6a2V5"})
		es := esClient(t, k, func(cfg *elasticsearch.Config) { cfg.APIKey = "aWQ6a2V5" })
		res, err := es.Info()
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("api key: %d", res.StatusCode)
		}
	})
}

func TestRouting(t *testing.T) {
	s := newServer(t, Options{})
	tests := []struct {
		name, method, path string
		status             int
		want               string
	}{
		{"unknown endpoint", "GET", "/_nodes/stats/foo", 400, "no handler found for uri [/_nodes/stats/foo] and method [GET]"},
		{"wrong method", "DELETE", "/_cluster/health", 405, "Incorrect HTTP method for uri [/_cluster/health] and method [DELETE], allowed: [GET]"},
		{"ism on elasticsearch", "GET", "/_plugins/_ism/policies/p", 400, "no handler found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, tc.method, tc.path, "")
			msg, _ := r.body["error"].(string)
			if r.status != tc.status || !strings.Contains(msg, tc.want) {
				t.Errorf("%d %s, want %d %q", r.status, r.raw, tc.status, tc.want)
			}
		})
	}
}

func TestStopStartKeepsDataAndPort(t *testing.T) {
	s := newServer(t, Options{})
	es := esClient(t, s, nil)
	url := s.URL()
	mustDo(t, s, 201, "PUT", "/keep/_doc/1", `{"v":1}`)
	s.Stop()
	s.Stop() // idempotent
	if _, err := es.Get("keep", "1"); err == nil {
		t.Fatal("request succeeded while the cluster was stopped")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if s.URL() != url {
		t.Fatalf("URL changed: %s -> %s", url, s.URL())
	}
	r := mustDo(t, s, 200, "GET", "/keep/_doc/1", "")
	if r.body["found"] != true {
		t.Errorf("doc lost: %s", r.raw)
	}
	s.Close()
	if err := s.Start(); err == nil {
		t.Error("Start after Close succeeded")
	}
}

func TestFailRequests(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		path    string
		errType string
	}{
		{"429 rejected", 429, "/_bulk", "es_rejected_execution_exception"},
		{"503 write", 503, "/_bulk", "cluster_block_exception"},
		{"502 from load balancer", 502, "/_bulk", ""},
		{"504 from load balancer", 504, "/_bulk", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, Options{})
			s.FailRequests(tc.status, 2)
			mustDo(t, s, 200, "GET", "/", "") // health checks are not affected
			body := "{\"create\":{\"_index\":\"f\"}}\n{\"a\":1}\n"
			for i := 0; i < 2; i++ {
				r := do(t, s, "POST", tc.path, body)
				if r.status != tc.status {
					t.Fatalf("attempt %d: status %d: %s", i, r.status, r.raw)
				}
				if tc.errType != "" && (r.errType() != tc.errType || r.header.Get("X-Elastic-Product") != "Elasticsearch") {
					t.Errorf("error %s %v", r.raw, r.header)
				}
				if tc.errType == "" && (r.header.Get("X-Elastic-Product") != "" || !strings.Contains(string(r.raw), "<html>")) {
					t.Errorf("gateway error %s %v", r.raw, r.header)
				}
			}
			mustDo(t, s, 200, "POST", tc.path, body)
			if n := len(s.Docs("f")); n != 1 {
				t.Errorf("%d docs, want only the successful one", n)
			}
		})
	}
}

func TestLatency(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	inFlight := make(chan struct{}, 4)
	s.onLogged = func(*http.Request) { inFlight <- struct{}{} }
	s.SetLatency(time.Hour)
	es := esClient(t, s, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := es.Info(es.Info.WithContext(ctx)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Info with latency: %v", err)
	}
	<-inFlight
	// Stop must not wait out the latency of requests still in flight.
	done := make(chan error, 1)
	go func() {
		_, err := es.Info()
		done <- err
	}()
	<-inFlight
	s.Stop()
	if err := <-done; err == nil {
		t.Error("in-flight request succeeded although the cluster stopped")
	}
	s.SetLatency(0)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	mustDo(t, s, 200, "GET", "/", "")
}

func TestRequestLog(t *testing.T) {
	s := newServer(t, Options{})
	mustDo(t, s, 201, "PUT", "/log/_doc/1", `{"a":1}`)
	req, _ := http.NewRequest("POST", s.URL()+"/_bulk?refresh=true", bytes.NewReader(gz(t, "{\"index\":{\"_index\":\"log\",\"_id\":\"2\"}}\n{\"a\":2}\n")))
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Content-Encoding", "gzip")
	if r := send(t, req); r.status != 200 || r.body["errors"] != false {
		t.Fatalf("gzip bulk: %d %s", r.status, r.raw)
	}
	if got := s.Count("POST", "/_bulk"); got != 1 {
		t.Errorf("Count POST /_bulk = %d", got)
	}
	if got := s.Count("", "/log"); got != 1 {
		t.Errorf("Count any /log = %d", got)
	}
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[1].Query.Get("refresh") != "true" || !strings.Contains(string(reqs[1].Body), `"_id":"2"`) {
		t.Errorf("requests %+v", reqs)
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 {
		t.Error("ResetRequests kept entries")
	}
}

func TestFilterPath(t *testing.T) {
	s := newServer(t, Options{})
	body := "{\"create\":{\"_index\":\"fp\",\"_id\":\"1\"}}\n{\"a\":1}\n{\"create\":{\"_index\":\"fp\",\"_id\":\"1\"}}\n{\"a\":1}\n"
	r := mustDo(t, s, 200, "POST", "/_bulk?filter_path=items.*.error,items.*.status,errors", body, "Content-Type", "application/x-ndjson")
	items := bulkItems(t, r)
	if r.body["errors"] != true || r.body["took"] != nil || len(items) != 2 || items[0]["_id"] != nil || num(items[1]["status"]) != 409 || itemErrType(items[1]) != "version_conflict_engine_exception" {
		t.Errorf("filtered: %s", r.raw)
	}
	r = mustDo(t, s, 200, "GET", "/fp/_search?filter_path=hits.hits._id,-hits.hits._index,nope", "")
	if string(r.raw) != `{"hits":{"hits":[{"_id":"1"}]}}` {
		t.Errorf("filtered search: %s", r.raw)
	}
	if r := mustDo(t, s, 200, "GET", "/?filter_path=nothing.here", ""); string(r.raw) != "{}" {
		t.Errorf("no match: %s", r.raw)
	}
}

var _ = esapi.Response{}

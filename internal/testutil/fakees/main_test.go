package fakees

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixedNow is the cluster clock of most tests, so backing index names and
// TSDS windows are predictable.
var fixedNow = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

func newServer(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return fixedNow }
	}
	s := New(o)
	t.Cleanup(s.Close)
	return s
}

// transport is a private client transport whose idle connections are
// closed when the test ends, so goleak sees no lingering conn goroutines.
func transport(t testing.TB) *http.Transport {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func esClient(t testing.TB, s *Server, mod func(*elasticsearch.Config)) *elasticsearch.Client {
	t.Helper()
	cfg := elasticsearch.Config{Addresses: []string{s.URL()}, Transport: transport(t), DisableRetry: true}
	if mod != nil {
		mod(&cfg)
	}
	es, err := elasticsearch.NewClient(cfg)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return es
}

// resp is a raw HTTP answer with its JSON body decoded.
type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// errType is error.type of an ES error body ("" if none).
func (r resp) errType() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["type"].(string)
	return s
}

func (r resp) errReason() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["reason"].(string)
	return s
}

// do sends one raw request. Headers come in pairs; a JSON body gets
// Content-Type application/json unless one is given.
func do(t testing.TB, s *Server, method, path, body string, headers ...string) resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	return send(t, req)
}

func send(t testing.TB, req *http.Request) resp {
	t.Helper()
	c := &http.Client{Transport: transport(t)}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// mustDo is do that fails the test unless the status matches.
func mustDo(t testing.TB, s *Server, want int, method, path, body string, headers ...string) resp {
	t.Helper()
	r := do(t, s, method, path, body, headers...)
	if r.status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.raw)
	}
	return r
}

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bulkItems decodes the items of a bulk response as action -> item.
func bulkItems(t testing.TB, r resp) []map[string]any {
	t.Helper()
	list, _ := r.body["items"].([]any)
	out := make([]map[string]any, len(list))
	for i, it := range list {
		for _, v := range it.(map[string]any) {
			out[i] = v.(map[string]any)
		}
	}
	return out
}

func itemErrType(it map[string]any) string {
	e, _ := it["error"].(map[string]any)
	s, _ := e["type"].(string)
	return s
}

func itemErrReason(it map[string]any) string {
	e, _ := it["error"].(map[string]any)
	s, _ := e["reason"].(string)
	return s
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// dsTemplate installs an index template with data_stream for pattern.
func dsTemplate(t testing.TB, s *Server, name, pattern string, priority int, template string) {
	t.Helper()
	if template == "" {
		template = "{}"
	}
	mustDo(t, s, 200, "PUT", "/_index_template/"+name, `{"index_patterns":["`+pattern+`"],"priority":`+itoa(priority)+`,"data_stream":{},"template":`+template+`}`)
}

func itoa(n int) string { return strings.TrimSpace(string(must(json.Marshal(n)))) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

package elastic

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/model"
)

// agentBatch is a batch a real vigil-agent spooled (testdata/agent-batch.json).
func agentBatch(t testing.TB) *model.Batch {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "agent-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var batch model.Batch
	if err := json.Unmarshal(b, &batch); err != nil {
		t.Fatal(err)
	}
	return &batch
}

func TestMetricDocs(t *testing.T) {
	b := agentBatch(t)
	received := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tsds := range []bool{false, true} {
		enc := encoder{names: NamesFor("default"), tsds: tsds, collector: "c1"}
		items := enc.metricDocs(nil, b, received)
		if len(items) != len(b.Events) {
			t.Fatalf("%d docs for %d events", len(items), len(b.Events))
		}
		ids := map[string]bool{}
		for i, it := range items {
			if it.action != "create" || it.index != "metrics-vigil.host-default" {
				t.Errorf("doc %d: %s into %s, want create into the metrics data stream", i, it.action, it.index)
			}
			if tsds != (it.id == "") {
				t.Errorf("tsds=%v: doc %d has id %q (a time series index derives its own)", tsds, i, it.id)
			}
			ids[it.id] = true
			var doc map[string]any
			if err := json.Unmarshal(it.body, &doc); err != nil {
				t.Fatalf("doc %d is not JSON: %v\n%s", i, err, it.body)
			}
			ev := b.Events[i]
			if doc["host.name"] != b.Host.Name || doc["event.dataset"] != ev.Dataset || doc["vigil.collector"] != "c1" {
				t.Errorf("doc %d: identity fields wrong: %s", i, it.body)
			}
			if ts, _ := time.Parse(time.RFC3339Nano, doc["@timestamp"].(string)); ts.UnixMilli() != ev.Timestamp {
				t.Errorf("doc %d: @timestamp %v, want %d ms", i, doc["@timestamp"], ev.Timestamp)
			}
			for k, v := range ev.Values {
				if doc[k] != v {
					t.Errorf("doc %d: %s = %v, want %v", i, k, doc[k], v)
				}
			}
			for k, v := range ev.Dims {
				if doc[k] != v {
					t.Errorf("doc %d: dimension %s = %v, want %q", i, k, doc[k], v)
				}
			}
			back, ok := metricEvent(it.body)
			if !ok || len(back.Values) != len(ev.Values) || len(back.Dims) != len(ev.Dims) {
				t.Errorf("doc %d reads back as %+v, want %+v", i, back, ev)
			}
		}
		if !tsds {
			if len(ids) != len(items) {
				t.Errorf("%d distinct ids for %d docs", len(ids), len(items))
			}
			again := enc.metricDocs(nil, b, received.Add(time.Hour))
			if again[0].id != items[0].id {
				t.Error("a resent batch gets new document IDs: duplicates would be stored")
			}
		}
	}
}

func TestAppendStringIsJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "nl\n tab\t cr\r", "\x00\x1f", "é ü 日本", "bad \xff utf8", "\u2028"} {
		var got string
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if got != want {
			t.Errorf("%q reads back as %q, want %q", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "\u00e9\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got string
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil {
			t.Fatalf("%q: invalid JSON: %v", s, err)
		}
		// encoding/json is the reference for what invalid UTF-8 becomes.
		var ref string
		raw, _ := json.Marshal(s)
		_ = json.Unmarshal(raw, &ref)
		if got != ref {
			t.Fatalf("%q reads back as %q, want %q", s, got, ref)
		}
	})
}

// FuzzMetricEvent: whatever a cluster answers, reading a hit never panics and
// what it returns is consistent.
func FuzzMetricEvent(f *testing.F) {
	f.Add([]byte(`{"@timestamp":"2026-12-01T00:00:00.000Z","event.dataset":"system.cpu","system.cpu.total.pct":0.5}`))
	f.Add([]byte(`{"@timestamp":1,"event":{"dataset":"system.filesystem"},"system":{"filesystem":{"mount_point":"/","used":{"pct":0.1}}}}`))
	f.Add([]byte(`{"@timestamp":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, ok := metricEvent(b)
		if !ok {
			return
		}
		for k := range ev.Dims {
			if !strings.HasPrefix(k, ev.Dataset+".") {
				t.Fatalf("dimension %q outside dataset %q", k, ev.Dataset)
			}
		}
	})
}

// Every field the shipped dashboards use (configs/dashboards/fields.txt) is one
// Vigil writes: in the mappings it installs, or in the documents it makes of
// a real agent batch.
func TestDashboardFieldsAreWritten(t *testing.T) {
	written := map[string]bool{}
	for _, info := range []ClusterInfo{{Flavor: Elasticsearch, TSDS: true}, {Flavor: OpenSearch}} {
		for _, s := range Plan(info, DefaultCommon()) {
			collectProperties(s.Body, written)
		}
	}
	enc := encoder{names: NamesFor("default"), collector: "c"}
	for _, it := range enc.metricDocs(nil, agentBatch(t), time.Now()) {
		var doc map[string]any
		if err := json.Unmarshal(it.body, &doc); err != nil {
			t.Fatal(err)
		}
		for k := range doc {
			written[k] = true
		}
	}
	f, err := os.Open(filepath.Join("..", "..", "..", "configs", "dashboards", "fields.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		field := strings.TrimSpace(sc.Text())
		if field == "" {
			continue
		}
		n++
		if !written[field] {
			t.Errorf("dashboards use %s, which Vigil never writes", field)
		}
	}
	if n == 0 {
		t.Fatal("fields.txt is empty")
	}
}

// collectProperties adds every field named under a "properties" key.
func collectProperties(v any, out map[string]bool) {
	switch x := v.(type) {
	case obj:
		for k, sub := range x {
			if k == "properties" {
				if props, ok := sub.(obj); ok {
					for name := range props {
						out[name] = true
					}
				}
			}
			collectProperties(sub, out)
		}
	case []any:
		for _, e := range x {
			collectProperties(e, out)
		}
	}
}

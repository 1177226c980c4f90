package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/collector/store/sqlite"
	"github.com/vigilmon/vigil/internal/model"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Options{Path: t.TempDir() + "/v.db"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var batches []*model.Batch
	for i := range 3 {
		ts := t0.Add(time.Duration(i) * 10 * time.Second).UnixMilli()
		batches = append(batches, &model.Batch{AgentID: "a1", Seq: uint64(i + 1), Agent: model.Agent{Version: "1.0", IntervalMS: 10000},
			Host: model.Host{Name: "web-1", ID: "mid"},
			Events: []model.Event{
				{Timestamp: ts, Dataset: "system.cpu", Values: map[string]float64{"system.cpu.total.norm.pct": float64(i) / 10}},
				{Timestamp: ts, Dataset: "system.filesystem", Dims: map[string]string{"system.filesystem.mount_point": "/"},
					Values: map[string]float64{"system.filesystem.used.pct": 0.5}},
			}})
	}
	if _, err := st.WriteBatches(context.Background(), batches, t0); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Store: st, Ingest: http.NotFoundHandler(), Gatherer: prometheus.NewRegistry(),
		Version: "test", Now: func() time.Time { return t0.Add(time.Minute) }}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, into any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if into != nil {
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("GET %s: body %q is not the expected JSON: %v", url, body, err)
		}
	}
	return resp.StatusCode
}

func TestHostsAndHostDetail(t *testing.T) {
	srv := newServer(t)
	var hosts []store.HostSummary
	if code := get(t, srv.URL+"/api/v1/hosts", &hosts); code != 200 || len(hosts) != 1 || hosts[0].Name != "web-1" ||
		!hosts[0].LastSeen.Equal(t0) {
		t.Fatalf("hosts: %d %+v", code, hosts)
	}
	var h store.HostDetail
	if code := get(t, srv.URL+"/api/v1/hosts/web-1", &h); code != 200 || h.Identity.ID != "mid" {
		t.Fatalf("host: %d %+v", code, h)
	}
	latest := map[string]float64{}
	for _, m := range h.Metrics {
		latest[m.Field] = m.Value
	}
	if latest["system.cpu.total.norm.pct"] != 0.2 || latest["system.filesystem.used.pct"] != 0.5 {
		t.Errorf("latest values = %v, want cpu 0.2 (the newest) and fs 0.5", latest)
	}
	var e model.ErrorResponse
	if code := get(t, srv.URL+"/api/v1/hosts/nope", &e); code != 404 || e.Reason != "not_found" {
		t.Errorf("unknown host: %d %+v", code, e)
	}
}

func TestMetricsQuery(t *testing.T) {
	srv := newServer(t)
	var series []store.Series
	url := srv.URL + "/api/v1/metrics?host=web-1&field=system.cpu.total.norm.pct&from=" + t0.Format(time.RFC3339) + "&to=-45s"
	if code := get(t, url, &series); code != 200 || len(series) != 1 || len(series[0].Points) != 2 {
		t.Fatalf("series: %d %+v, want the 2 points up to now-45s", code, series)
	}
	for _, tc := range []struct{ query, want string }{
		{"field=x", "host and field"},
		{"host=web-1&field=x&from=yesterday", "from"},
		{"host=web-1&field=x&from=-1m&to=-2m", "before"},
		{"host=web-1&field=x&limit=-1", "limit"},
	} {
		var e model.ErrorResponse
		if code := get(t, srv.URL+"/api/v1/metrics?"+tc.query, &e); code != 400 || !strings.Contains(e.Error, tc.want) {
			t.Errorf("?%s: %d %+v, want 400 mentioning %q", tc.query, code, e, tc.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", now.Add(-time.Hour)},
		{"-15m", now.Add(-15 * time.Minute)},
		{"1700000000", time.Unix(1_700_000_000, 0)},
		{"1700000000123", time.UnixMilli(1_700_000_000_123)},
		{"2026-11-22T10:00:00Z", t0},
	} {
		got, err := parseTime(tc.in, now, now.Add(-time.Hour))
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestStatusPageAndHealth(t *testing.T) {
	srv := newServer(t)
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "web-1") || !strings.Contains(string(body), "1m0s ago") {
		t.Errorf("status page lacks the host and its age:\n%s", body)
	}
	var health map[string]string
	if code := get(t, srv.URL+"/healthz", &health); code != 200 || health["status"] != "ok" {
		t.Errorf("healthz: %d %v", code, health)
	}
	if code := get(t, srv.URL+"/nope", nil); code != 404 {
		t.Errorf("unknown path: %d, want 404", code)
	}
}

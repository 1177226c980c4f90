package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/silence"
	"github.com/vigilmon/vigil/internal/model"
)

// alertsNow is the clock of the alert tests: the server and the silence
// Manager share it, so statuses and expiry times are exact.
var alertsNow = t0.Add(time.Hour)

func firingAlert() alert.Alert {
	l := alert.Labels{"alertname": "DiskFull", "host": "web-1", "severity": "warning"}
	return alert.Alert{ID: l.Fingerprint(), Rule: "DiskFull", Labels: l, State: alert.Firing, Severity: alert.Warning,
		Value: 0.93, ActiveAt: t0, FiredAt: t0.Add(time.Minute)}
}

func pendingAlert() alert.Alert {
	l := alert.Labels{"alertname": "HighLoad", "host": "db-1"}
	return alert.Alert{ID: l.Fingerprint(), Rule: "HighLoad", Labels: l, State: alert.Pending, ActiveAt: t0}
}

type alertsFixture struct {
	h   http.Handler
	mgr *silence.Manager
	st  *alert.MemStore
}

// newAlertsFixture serves a real silence.Manager on a MemStore and a fixed
// set of alerts. checkToken nil means loopback-only writes.
func newAlertsFixture(t *testing.T, checkToken func(string) (string, bool)) *alertsFixture {
	t.Helper()
	st := alert.NewMemStore()
	now := func() time.Time { return alertsNow }
	mgr, err := silence.New(context.Background(), st, now, nil, silence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := New(Options{Ingest: http.NotFoundHandler(), Gatherer: prometheus.NewRegistry(), Version: "test", Now: now,
		Alerting: &Alerting{
			Alerts:     func() []alert.Alert { return []alert.Alert{firingAlert(), pendingAlert()} },
			History:    st,
			Silences:   mgr,
			CheckToken: checkToken,
		}})
	return &alertsFixture{h: h, mgr: mgr, st: st}
}

// request is one call to the handler; remote defaults to a loopback client.
type request struct {
	method, path, body string
	remote, auth       string
}

func (f *alertsFixture) do(t *testing.T, r request, into any) (int, http.Header) {
	t.Helper()
	req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	req.RemoteAddr = "127.0.0.1:40000"
	if r.remote != "" {
		req.RemoteAddr = r.remote
	}
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if into != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), into); err != nil {
			t.Fatalf("%s %s: answer %d %q is not the expected JSON: %v", r.method, r.path, rec.Code, rec.Body, err)
		}
	}
	return rec.Code, rec.Result().Header
}

type silenceJSON struct {
	silence.Silence
	Status string `json:"status"`
}

type alertJSON struct {
	alert.Alert
	SilencedBy []string     `json:"silenced_by"`
	Ack        *silence.Ack `json:"ack"`
}

func (f *alertsFixture) alerts(t *testing.T) map[string]alertJSON {
	t.Helper()
	var list []alertJSON
	if code, _ := f.do(t, request{method: "GET", path: "/api/v1/alerts"}, &list); code != 200 {
		t.Fatalf("GET /api/v1/alerts: %d", code)
	}
	out := map[string]alertJSON{}
	for _, a := range list {
		out[a.Name()] = a
	}
	return out
}

func TestSilenceLifecycle(t *testing.T) {
	f := newAlertsFixture(t, nil)
	var created silenceJSON
	code, _ := f.do(t, request{method: "POST", path: "/api/v1/silences",
		body: `{"matchers": ["host=~\"web-.*\""], "duration": "2h", "created_by": "alice", "comment": "disk swap"}`}, &created)
	if code != 201 || created.ID == "" || created.Status != silence.StatusActive || !created.EndsAt.Equal(alertsNow.Add(2*time.Hour)) {
		t.Fatalf("create: %d %+v, want 201, an ID, active until now+2h", code, created)
	}
	var pending silenceJSON
	code, _ = f.do(t, request{method: "POST", path: "/api/v1/silences",
		body: `{"matchers": ["host=\"db-1\""], "starts_at": "` + alertsNow.Add(time.Hour).Format(time.RFC3339) +
			`", "ends_at": "` + alertsNow.Add(3*time.Hour).Format(time.RFC3339) + `", "created_by": "bob", "comment": "tonight"}`}, &pending)
	if code != 201 || pending.Status != silence.StatusPending {
		t.Fatalf("create pending: %d %+v", code, pending)
	}

	var list []silenceJSON
	if code, _ := f.do(t, request{method: "GET", path: "/api/v1/silences"}, &list); code != 200 || len(list) != 2 ||
		list[0].ID != created.ID || list[0].Status != silence.StatusActive || list[1].Status != silence.StatusPending {
		t.Fatalf("list: %d %+v, want the active silence, then the pending one", code, list)
	}
	alerts := f.alerts(t)
	if got := alerts["DiskFull"].SilencedBy; !slices.Equal(got, []string{created.ID}) {
		t.Errorf("DiskFull on web-1 silenced_by = %v, want [%s]", got, created.ID)
	}
	if got := alerts["HighLoad"].SilencedBy; got != nil {
		t.Errorf("HighLoad on db-1 silenced_by = %v: a pending silence holds nothing yet", got)
	}

	var one silenceJSON
	if code, _ := f.do(t, request{method: "GET", path: "/api/v1/silences/" + created.ID}, &one); code != 200 || one.CreatedBy != "alice" {
		t.Errorf("get: %d %+v", code, one)
	}
	var expired silenceJSON
	if code, _ := f.do(t, request{method: "DELETE", path: "/api/v1/silences/" + created.ID + "?by=carol"}, &expired); code != 200 ||
		expired.Status != silence.StatusExpired {
		t.Fatalf("expire: %d %+v, want 200 and status expired", code, expired)
	}
	if got := f.alerts(t)["DiskFull"].SilencedBy; got != nil {
		t.Errorf("silenced_by after expiry = %v", got)
	}
	var e model.ErrorResponse
	if code, _ := f.do(t, request{method: "DELETE", path: "/api/v1/silences/" + created.ID}, &e); code != 409 || e.Reason != "expired" {
		t.Errorf("expire twice: %d %+v, want 409 expired", code, e)
	}
	for _, r := range []request{
		{method: "GET", path: "/api/v1/silences/no-such-id"},
		{method: "DELETE", path: "/api/v1/silences/no-such-id"},
	} {
		var e model.ErrorResponse
		if code, _ := f.do(t, r, &e); code != 404 || e.Reason != "not_found" {
			t.Errorf("%s %s: %d %+v, want 404 not_found", r.method, r.path, code, e)
		}
	}
}

func TestInvalidSilence(t *testing.T) {
	f := newAlertsFixture(t, nil)
	for _, tc := range []struct {
		name, body string
		reason     string
		want       []string
	}{
		{"empty", `{}`, "invalid", []string{"at least one matcher", "ends_at is required", "created_by is required", "comment is required"}},
		{"matches everything", `{"matchers": ["host=~\".*\""], "duration": "1h", "created_by": "a", "comment": "c"}`, "invalid",
			[]string{"must not match an empty label value"}},
		{"end in the past", `{"matchers": ["host=\"a\""], "ends_at": "` + t0.Format(time.RFC3339) + `", "created_by": "a", "comment": "c"}`,
			"invalid", []string{"ends_at must be in the future"}},
		{"bad duration", `{"matchers": ["host=\"a\""], "duration": "-1h", "created_by": "a", "comment": "c"}`, "invalid",
			[]string{"positive duration"}},
		{"bad matcher", `{"matchers": ["host~web"]}`, "bad_json", []string{"host~web"}},
		{"unknown field", `{"matchers": ["host=\"a\""], "ends": "soon"}`, "bad_json", []string{"ends"}},
		{"given id", `{"id": "x"}`, "bad_json", []string{"id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e model.ErrorResponse
			code, _ := f.do(t, request{method: "POST", path: "/api/v1/silences", body: tc.body}, &e)
			if code != 400 || e.Reason != tc.reason {
				t.Fatalf("%d %+v, want 400 %s", code, e, tc.reason)
			}
			for _, w := range tc.want {
				if !strings.Contains(e.Error, w) {
					t.Errorf("error %q does not mention %q", e.Error, w)
				}
			}
		})
	}
	var list []silenceJSON
	if f.do(t, request{method: "GET", path: "/api/v1/silences"}, &list); len(list) != 0 {
		t.Errorf("invalid requests created silences: %+v", list)
	}
}

func TestAckEndpoints(t *testing.T) {
	f := newAlertsFixture(t, nil)
	firing, pending := firingAlert(), pendingAlert()
	var ack silence.Ack
	code, _ := f.do(t, request{method: "POST", path: "/api/v1/alerts/" + firing.ID + "/ack",
		body: `{"author": "alice", "comment": "replacing the disk", "duration": "4h"}`}, &ack)
	if code != 201 || ack.AlertID != firing.ID || ack.Severity != alert.Warning || !ack.ExpiresAt.Equal(alertsNow.Add(4*time.Hour)) ||
		ack.Labels["host"] != "web-1" {
		t.Fatalf("ack: %d %+v, want 201 at warning until now+4h with the alert's labels", code, ack)
	}
	got := f.alerts(t)
	if a := got["DiskFull"].Ack; a == nil || a.Author != "alice" || a.Comment != "replacing the disk" {
		t.Errorf("GET /alerts shows ack %+v on the acknowledged alert", a)
	}
	if a := got["HighLoad"].Ack; a != nil {
		t.Errorf("GET /alerts shows ack %+v on an alert nobody acknowledged", a)
	}

	for _, tc := range []struct {
		name   string
		r      request
		code   int
		reason string
	}{
		{"pending alert", request{method: "POST", path: "/api/v1/alerts/" + pending.ID + "/ack", body: `{"author": "a", "comment": "c"}`}, 404, "not_found"},
		{"unknown alert", request{method: "POST", path: "/api/v1/alerts/0123456789abcdef/ack", body: `{"author": "a", "comment": "c"}`}, 404, "not_found"},
		{"no comment", request{method: "POST", path: "/api/v1/alerts/" + firing.ID + "/ack", body: `{"author": "a"}`}, 400, "invalid"},
		{"bad duration", request{method: "POST", path: "/api/v1/alerts/" + firing.ID + "/ack", body: `{"author": "a", "comment": "c", "duration": "soon"}`}, 400, "invalid"},
		{"unack unknown", request{method: "DELETE", path: "/api/v1/alerts/0123456789abcdef/ack"}, 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e model.ErrorResponse
			if code, _ := f.do(t, tc.r, &e); code != tc.code || e.Reason != tc.reason {
				t.Errorf("%d %+v, want %d %s", code, e, tc.code, tc.reason)
			}
		})
	}
	if a := f.alerts(t)["DiskFull"].Ack; a == nil || a.Author != "alice" {
		t.Errorf("a failed request changed the ack: %+v", a)
	}

	if code, _ := f.do(t, request{method: "DELETE", path: "/api/v1/alerts/" + firing.ID + "/ack?by=bob"}, nil); code != 204 {
		t.Fatalf("unack: %d, want 204", code)
	}
	if a := f.alerts(t)["DiskFull"].Ack; a != nil {
		t.Errorf("ack still shown after unack: %+v", a)
	}
	evs, err := f.st.Events(context.Background(), alert.EventQuery{AlertID: firing.ID, Kind: silence.EventAck})
	if err != nil || len(evs) != 2 || !strings.Contains(evs[0].Message, "removed by bob") {
		t.Errorf("ack history = %+v, %v; want the ack and its removal by bob", evs, err)
	}
}

func TestWriteAuthorization(t *testing.T) {
	tokens := func(tok string) (string, bool) { return "ops-cli", tok == "s3cret" }
	for _, tc := range []struct {
		name       string
		checkToken func(string) (string, bool)
		remote     string
		auth       string
		author     string // created_by in the request
		code       int
		wantBy     string // created_by of the silence when created
	}{
		{"tokens: none given", tokens, "", "", "", 401, ""},
		{"tokens: wrong token", tokens, "", "Bearer nope", "", 401, ""},
		{"tokens: not bearer", tokens, "", "Basic czNjcmV0", "", 401, ""},
		{"tokens: empty bearer", tokens, "", "Bearer ", "", 401, ""},
		{"tokens: good token", tokens, "", "Bearer s3cret", "", 201, "ops-cli"},
		{"tokens: good token names an author", tokens, "192.0.2.7:5000", "Bearer s3cret", "alice", 201, "alice"},
		{"no tokens: remote client", nil, "192.0.2.7:5000", "", "alice", 403, ""},
		{"no tokens: remote client with a token", nil, "192.0.2.7:5000", "Bearer s3cret", "alice", 403, ""},
		{"no tokens: ipv6 loopback", nil, "[::1]:5000", "", "alice", 201, "alice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAlertsFixture(t, tc.checkToken)
			var got struct {
				silenceJSON
				model.ErrorResponse
			}
			body := `{"matchers": ["host=\"web-1\""], "duration": "1h", "comment": "c", "created_by": "` + tc.author + `"}`
			code, hdr := f.do(t, request{method: "POST", path: "/api/v1/silences", body: body, remote: tc.remote, auth: tc.auth}, &got)
			if code != tc.code {
				t.Fatalf("POST /api/v1/silences: %d %+v, want %d", code, got, tc.code)
			}
			switch code {
			case 401:
				if hdr.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			case 201:
				if got.CreatedBy != tc.wantBy {
					t.Errorf("created_by = %q, want %q (the token's name when the request names nobody)", got.CreatedBy, tc.wantBy)
				}
			}
			if code == 401 || code == 403 {
				if list := f.mgr.List(alertsNow); len(list) != 0 {
					t.Errorf("a refused request created %+v", list)
				}
				for _, r := range []request{
					{method: "DELETE", path: "/api/v1/silences/x"},
					{method: "POST", path: "/api/v1/alerts/x/ack", body: `{}`},
					{method: "DELETE", path: "/api/v1/alerts/x/ack"},
				} {
					r.remote, r.auth = tc.remote, tc.auth
					if c, _ := f.do(t, r, nil); c != code {
						t.Errorf("%s %s: %d, want %d like every write", r.method, r.path, c, code)
					}
				}
				if c, _ := f.do(t, request{method: "GET", path: "/api/v1/silences", remote: tc.remote}, nil); c != 200 {
					t.Errorf("GET /api/v1/silences: %d; reading needs no token", c)
				}
			}
		})
	}
}

func TestHistoryFilters(t *testing.T) {
	f := newAlertsFixture(t, nil)
	ev := func(min int, kind alert.EventKind, id, host string) alert.Event {
		return alert.Event{Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, AlertID: id, Labels: alert.Labels{"host": host}}
	}
	err := f.st.SaveState(context.Background(), alert.BucketRules, nil, nil, []alert.Event{
		ev(1, alert.EventState, "a1", "web-1"),
		ev(2, alert.EventNotify, "a1", "web-1"),
		ev(3, alert.EventState, "a2", "db-1"),
		ev(4, alert.EventState, "a1", "web-1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query string
		want  []int // minutes of the events, newest first
	}{
		{"", []int{4, 3, 2, 1}},
		{"alert_id=a1", []int{4, 2, 1}},
		{"host=db-1", []int{3}},
		{"kind=notify", []int{2}},
		{"alert_id=a1&kind=state", []int{4, 1}},
		{"from=" + t0.Add(2*time.Minute).Format(time.RFC3339) + "&to=" + t0.Add(4*time.Minute).Format(time.RFC3339), []int{3, 2}},
		{"limit=2", []int{4, 3}},
		{"alert_id=nope", []int{}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var evs []alert.Event
			code, _ := f.do(t, request{method: "GET", path: "/api/v1/alerts/history?" + tc.query}, &evs)
			got := []int{}
			for _, e := range evs {
				got = append(got, int(e.Time.Sub(t0)/time.Minute))
			}
			if code != 200 || !slices.Equal(got, tc.want) {
				t.Errorf("%d, events at minutes %v, want 200 and %v", code, got, tc.want)
			}
		})
	}
	for _, q := range []string{"from=yesterday", "to=soon", "limit=-1", "limit=x"} {
		var e model.ErrorResponse
		if code, _ := f.do(t, request{method: "GET", path: "/api/v1/alerts/history?" + q}, &e); code != 400 || e.Reason != "invalid" {
			t.Errorf("?%s: %d %+v, want 400 invalid", q, code, e)
		}
	}
}

package pagerduty

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakePD is an in-process Events API v2 that checks events the way the real
// one does (openapiv3.json of PagerDuty/api-schema) and answers with its real
// bodies: 202 success, 400 invalid event.
type fakePD struct {
	*httptest.Server
	// status, when set, answers instead of checking the event (429, 5xx).
	status func(ev map[string]any) int

	mu     sync.Mutex
	events []map[string]any
}

func newFakePD(t *testing.T) *fakePD {
	t.Helper()
	f := &fakePD{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakePD) received() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.events...)
}

func (f *fakePD) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	var ev map[string]any
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		invalid(w, "Could not parse the request body as JSON")
		return
	}
	if f.status != nil {
		if code := f.status(ev); code != 0 {
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"status":"error","message":"%s"}`, http.StatusText(code))
			return
		}
	}
	if errs := checkEvent(ev); len(errs) > 0 {
		invalid(w, errs...)
		return
	}
	f.mu.Lock()
	f.events = append(f.events, ev)
	f.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"status": "success", "message": "Event processed", "dedup_key": fmt.Sprint(ev["dedup_key"]),
	})
}

func invalid(w http.ResponseWriter, errs ...string) {
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"status": "invalid event", "message": "Event object is invalid", "errors": errs,
	})
}

// checkEvent applies the API's rules for the fields Vigil sends.
func checkEvent(ev map[string]any) []string {
	var errs []string
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	if key := str(ev, "routing_key"); len(key) != 32 {
		errs = append(errs, "Length of 'routing_key' is incorrect (should be 32 characters)")
	}
	action := str(ev, "event_action")
	switch action {
	case "trigger", "acknowledge", "resolve":
	default:
		errs = append(errs, "'event_action' is missing or blank")
	}
	if dk := str(ev, "dedup_key"); len(dk) > 255 {
		errs = append(errs, "'dedup_key' is too long")
	} else if dk == "" && action != "trigger" {
		errs = append(errs, "'dedup_key' is missing or blank")
	}
	if action != "trigger" {
		return errs
	}
	p, ok := ev["payload"].(map[string]any)
	if !ok {
		return append(errs, "'payload' is missing or blank")
	}
	switch s := str(p, "summary"); {
	case s == "":
		errs = append(errs, "'payload.summary' is missing or blank")
	case len([]rune(s)) > 1024:
		errs = append(errs, "'payload.summary' is too long")
	}
	if str(p, "source") == "" {
		errs = append(errs, "'payload.source' is missing or blank")
	}
	switch str(p, "severity") {
	case "critical", "error", "warning", "info":
	default:
		errs = append(errs, "'payload.severity' is invalid (must be one of: critical, error, warning, info)")
	}
	if ts, ok := p["timestamp"]; ok {
		if s, _ := ts.(string); s == "" {
			errs = append(errs, "'payload.timestamp' is invalid")
		} else if _, err := time.Parse(time.RFC3339, s); err != nil {
			errs = append(errs, "'payload.timestamp' is invalid")
		}
	}
	if cd, ok := p["custom_details"]; ok {
		if _, isObj := cd.(map[string]any); !isObj {
			errs = append(errs, "'payload.custom_details' must be an object")
		}
	}
	return errs
}

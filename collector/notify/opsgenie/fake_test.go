package opsgenie

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// fakeOpsgenie is an in-process Alert API v2 that checks requests the way the
// real one does and answers with its bodies: 202 "Request will be processed",
// 401 and 422 for keys, 422 for invalid alerts. Unlike the real API, which
// processes closes asynchronously and answers 202 to every well-formed one,
// it answers 404 to a close of an alias that is not open, as the JSM API does,
// so the notifier's handling of that answer is exercised.
type fakeOpsgenie struct {
	*httptest.Server
	key string
	// status, when set, answers instead of processing the request.
	status func(r *http.Request) int

	mu       sync.Mutex
	open     map[string]bool
	requests []fakeRequest
}

type fakeRequest struct {
	Path, Query string
	Body        map[string]any
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func newFakeOpsgenie(t *testing.T, key string) *fakeOpsgenie {
	t.Helper()
	f := &fakeOpsgenie{key: key, open: map[string]bool{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeOpsgenie) received() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func answer(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	body := map[string]any{"took": 0.1, "requestId": "5bd5d3c4-6b8a-4f6e-9d0f-1a2b3c4d5e6f"}
	if code == http.StatusAccepted {
		body["result"] = msg
	} else {
		body["message"] = msg
	}
	_ = json.NewEncoder(w).Encode(body)
}

func (f *fakeOpsgenie) serve(w http.ResponseWriter, r *http.Request) {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "GenieKey ")
	switch {
	case !ok:
		answer(w, http.StatusUnauthorized, "Could not authenticate")
		return
	case !uuidRE.MatchString(key):
		answer(w, http.StatusUnprocessableEntity, "Key format is not valid!")
		return
	case key != f.key:
		answer(w, http.StatusUnauthorized, "Could not authenticate")
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		answer(w, http.StatusBadRequest, "Could not read request body")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if f.status != nil {
		if code := f.status(r); code != 0 {
			answer(w, code, http.StatusText(code))
			return
		}
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		answer(w, http.StatusUnsupportedMediaType, "Unsupported media type")
		return
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		answer(w, http.StatusBadRequest, "Could not parse request body")
		return
	}
	req := fakeRequest{Path: r.URL.Path, Query: r.URL.RawQuery, Body: body}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/v2/alerts" {
		if msg := checkCreate(body); msg != "" {
			answer(w, http.StatusUnprocessableEntity, msg)
			return
		}
		f.open[body["alias"].(string)] = true
		f.requests = append(f.requests, req)
		answer(w, http.StatusAccepted, "Request will be processed")
		return
	}
	// The alias is one path segment, escaped; read it from the raw path so
	// that an escaped slash stays part of it.
	escaped, ok := strings.CutPrefix(r.URL.EscapedPath(), "/v2/alerts/")
	escaped, ok2 := strings.CutSuffix(escaped, "/close")
	alias, err := url.PathUnescape(escaped)
	if !ok || !ok2 || strings.Contains(escaped, "/") || err != nil {
		answer(w, http.StatusNotFound, "No handler found")
		return
	}
	if r.URL.Query().Get("identifierType") != "alias" {
		// An alias read as an alert id matches nothing.
		answer(w, http.StatusNotFound, "Alert does not exist")
		return
	}
	if !f.open[alias] {
		answer(w, http.StatusNotFound, "Alert does not exist")
		return
	}
	delete(f.open, alias)
	f.requests = append(f.requests, req)
	answer(w, http.StatusAccepted, "Request will be processed")
}

// checkCreate applies the API's limits to a create request.
func checkCreate(b map[string]any) string {
	str := func(k string) string { s, _ := b[k].(string); return s }
	n := utf8.RuneCountInString
	switch {
	case str("message") == "":
		return "Message can not be empty."
	case n(str("message")) > 130:
		return "Message can not be longer than 130 characters."
	case n(str("alias")) > 512:
		return "Alias can not be longer than 512 characters."
	case n(str("description")) > 15000:
		return "Description can not be longer than 15000 characters."
	case n(str("entity")) > 512:
		return "Entity can not be longer than 512 characters."
	}
	if p, ok := b["priority"]; ok && !slices.Contains([]any{"P1", "P2", "P3", "P4", "P5"}, p) {
		return fmt.Sprintf("Priority should be one of [P1, P2, P3, P4, P5], got %v", p)
	}
	if tags, ok := b["tags"].([]any); ok {
		if len(tags) > 20 {
			return "Tags can not be more than 20."
		}
		for _, t := range tags {
			if s, _ := t.(string); n(s) > 50 {
				return "Tag can not be longer than 50 characters."
			}
		}
	}
	if d, ok := b["details"]; ok {
		m, isMap := d.(map[string]any)
		if !isMap {
			return "Details should be a map of strings."
		}
		total := 0
		for k, v := range m {
			s, isStr := v.(string)
			if !isStr {
				return "Details should be a map of strings."
			}
			total += n(k) + n(s)
		}
		if total > 8000 {
			return "Details can not be longer than 8000 characters."
		}
	}
	if rs, ok := b["responders"].([]any); ok {
		for _, r := range rs {
			m, _ := r.(map[string]any)
			if !slices.Contains([]any{"team", "user", "escalation", "schedule"}, m["type"]) {
				return "Responder type is not valid."
			}
			if m["id"] == nil && m["name"] == nil && m["username"] == nil {
				return "Responder should have one of id, name, username."
			}
		}
	}
	return ""
}

package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/silence"
)

// Alerting is what the alert endpoints serve. All fields are required when
// the struct is given.
type Alerting struct {
	// Alerts returns the engine's pending, firing and retained resolved alerts.
	Alerts   func() []alert.Alert
	History  alert.StateStore
	Silences *silence.Manager
	// CheckToken validates an API bearer token for state-changing requests;
	// nil means only loopback clients may change state.
	CheckToken func(token string) (name string, ok bool)
}

// apiAlert is an alert with what holds its notifications.
type apiAlert struct {
	alert.Alert
	SilencedBy []string     `json:"silenced_by,omitempty"`
	Ack        *silence.Ack `json:"ack,omitempty"`
}

func (s *server) routeAlerting(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/alerts", s.alerts)
	mux.HandleFunc("GET /api/v1/alerts/history", s.history)
	mux.HandleFunc("POST /api/v1/alerts/{id}/ack", s.writer(s.ack))
	mux.HandleFunc("DELETE /api/v1/alerts/{id}/ack", s.writer(s.unack))
	mux.HandleFunc("GET /api/v1/silences", s.silences)
	mux.HandleFunc("GET /api/v1/silences/{id}", s.silence)
	mux.HandleFunc("POST /api/v1/silences", s.writer(s.createSilence))
	mux.HandleFunc("DELETE /api/v1/silences/{id}", s.writer(s.expireSilence))
}

// writer guards state-changing endpoints: a valid API token, or a loopback
// client when no tokens are configured. The caller's name goes to the
// history as the author when the request names none.
func (s *server) writer(h func(w http.ResponseWriter, r *http.Request, who string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := s.o.Alerting
		if a.CheckToken == nil {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				s.fail(w, http.StatusForbidden, "forbidden", errors.New("no api_tokens_file is configured: only loopback clients may change alert state"))
				return
			}
			h(w, r, "")
			return
		}
		token, ok := bearer(r)
		name, valid := "", false
		if ok {
			name, valid = a.CheckToken(token)
		}
		if !valid {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigil-api"`)
			s.fail(w, http.StatusUnauthorized, "unauthorized", errors.New("a valid API token is required (Authorization: Bearer TOKEN)"))
			return
		}
		h(w, r, name)
	}
}

func bearer(r *http.Request) (string, bool) {
	const p = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(p) || h[:len(p)] != p {
		return "", false
	}
	return h[len(p):], true
}

func (s *server) alerts(w http.ResponseWriter, r *http.Request) {
	now := s.o.Now()
	q := r.URL.Query()
	out := []apiAlert{}
	for _, a := range s.o.Alerting.Alerts() {
		if st := q.Get("state"); st != "" && string(a.State) != st {
			continue
		}
		if h := q.Get("host"); h != "" && a.Host() != h {
			continue
		}
		v := apiAlert{Alert: a, SilencedBy: s.o.Alerting.Silences.Silenced(a.Labels, now)}
		if ack, ok := s.o.Alerting.Silences.Acked(a.ID, a.Severity, now); ok && a.State == alert.Firing {
			v.Ack = &ack
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) history(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := s.o.Now()
	eq := alert.EventQuery{AlertID: q.Get("alert_id"), Host: q.Get("host"), Kind: alert.EventKind(q.Get("kind"))}
	var err error
	if eq.From, err = parseTime(q.Get("from"), now, time.Time{}); err != nil {
		s.fail(w, http.StatusBadRequest, "invalid", fmt.Errorf("from: %w", err))
		return
	}
	if eq.To, err = parseTime(q.Get("to"), now, time.Time{}); err != nil {
		s.fail(w, http.StatusBadRequest, "invalid", fmt.Errorf("to: %w", err))
		return
	}
	if l := q.Get("limit"); l != "" {
		if eq.Limit, err = strconv.Atoi(l); err != nil || eq.Limit < 0 {
			s.fail(w, http.StatusBadRequest, "invalid", fmt.Errorf("limit %q is not a non-negative integer", l))
			return
		}
	}
	evs, err := s.o.Alerting.History.Events(r.Context(), eq)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "store_error", fmt.Errorf("read alert history: %w", err))
		return
	}
	if evs == nil {
		evs = []alert.Event{}
	}
	writeJSON(w, http.StatusOK, evs)
}

// ackRequest is the body of POST /api/v1/alerts/{id}/ack.
type ackRequest struct {
	Author  string `json:"author"`
	Comment string `json:"comment"`
	// Duration ("4h") or ExpiresAt bounds the acknowledgement; neither means
	// until the severity changes or the alert resolves.
	Duration  string    `json:"duration"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *server) ack(w http.ResponseWriter, r *http.Request, who string) {
	var req ackRequest
	if !s.decode(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	var target *alert.Alert
	for _, a := range s.o.Alerting.Alerts() {
		if a.ID == id && a.State == alert.Firing {
			target = &a
			break
		}
	}
	if target == nil {
		s.fail(w, http.StatusNotFound, "not_found", fmt.Errorf("no firing alert with id %q", id))
		return
	}
	ack := silence.Ack{AlertID: id, Severity: target.Severity, Labels: target.Labels, Author: firstNonEmpty(req.Author, who),
		Comment: req.Comment, ExpiresAt: req.ExpiresAt}
	if req.Duration != "" {
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			s.fail(w, http.StatusBadRequest, "invalid", fmt.Errorf("duration %q: want a positive duration such as 4h", req.Duration))
			return
		}
		ack.ExpiresAt = s.o.Now().Add(d)
	}
	saved, err := s.o.Alerting.Silences.Acknowledge(r.Context(), ack)
	if s.managerError(w, err) {
		return
	}
	writeJSON(w, http.StatusCreated, saved)
}

func (s *server) unack(w http.ResponseWriter, r *http.Request, who string) {
	err := s.o.Alerting.Silences.Unacknowledge(r.Context(), r.PathValue("id"), firstNonEmpty(r.URL.Query().Get("by"), who))
	if s.managerError(w, err) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// silenceView adds the status to a silence.
type silenceView struct {
	silence.Silence
	Status string `json:"status"`
}

func (s *server) silences(w http.ResponseWriter, r *http.Request) {
	now := s.o.Now()
	out := []silenceView{}
	for _, sl := range s.o.Alerting.Silences.List(now) {
		out = append(out, silenceView{Silence: sl, Status: sl.Status(now)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) silence(w http.ResponseWriter, r *http.Request) {
	sl, err := s.o.Alerting.Silences.Get(r.PathValue("id"))
	if s.managerError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, silenceView{Silence: sl, Status: sl.Status(s.o.Now())})
}

// silenceRequest is the body of POST /api/v1/silences.
type silenceRequest struct {
	Matchers  alert.Matchers `json:"matchers"`
	StartsAt  time.Time      `json:"starts_at"`
	EndsAt    time.Time      `json:"ends_at"`
	Duration  string         `json:"duration"` // instead of ends_at: "2h" from starts_at (or now)
	CreatedBy string         `json:"created_by"`
	Comment   string         `json:"comment"`
}

func (s *server) createSilence(w http.ResponseWriter, r *http.Request, who string) {
	var req silenceRequest
	if !s.decode(w, r, &req) {
		return
	}
	sl := silence.Silence{Matchers: req.Matchers, StartsAt: req.StartsAt, EndsAt: req.EndsAt,
		CreatedBy: firstNonEmpty(req.CreatedBy, who), Comment: req.Comment}
	if req.Duration != "" {
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			s.fail(w, http.StatusBadRequest, "invalid", fmt.Errorf("duration %q: want a positive duration such as 2h", req.Duration))
			return
		}
		start := req.StartsAt
		if start.IsZero() {
			start = s.o.Now()
		}
		sl.EndsAt = start.Add(d)
	}
	saved, err := s.o.Alerting.Silences.Create(r.Context(), sl)
	if s.managerError(w, err) {
		return
	}
	writeJSON(w, http.StatusCreated, silenceView{Silence: saved, Status: saved.Status(s.o.Now())})
}

func (s *server) expireSilence(w http.ResponseWriter, r *http.Request, who string) {
	id := r.PathValue("id")
	if s.managerError(w, s.o.Alerting.Silences.Expire(r.Context(), id, firstNonEmpty(r.URL.Query().Get("by"), who))) {
		return
	}
	sl, err := s.o.Alerting.Silences.Get(id)
	if s.managerError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, silenceView{Silence: sl, Status: sl.Status(s.o.Now())})
}

// managerError answers a silence.Manager error; it reports whether there was one.
func (s *server) managerError(w http.ResponseWriter, err error) bool {
	var inv *silence.InvalidError
	switch {
	case err == nil:
		return false
	case errors.Is(err, silence.ErrNotFound):
		s.fail(w, http.StatusNotFound, "not_found", err)
	case errors.Is(err, silence.ErrExpired):
		s.fail(w, http.StatusConflict, "expired", err)
	case errors.As(err, &inv):
		s.fail(w, http.StatusBadRequest, "invalid", err)
	default:
		s.fail(w, http.StatusInternalServerError, "store_error", err)
	}
	return true
}

func (s *server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		s.fail(w, http.StatusBadRequest, "bad_json", fmt.Errorf("decode request body: %w", err))
		return false
	}
	return true
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Package web serves the collector's HTTP interface: the JSON API, the status page,
// /metrics and /healthz. Ingest is mounted here but implemented in package ingest.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
)

// Options configures the HTTP interface.
type Options struct {
	Store    store.Store
	Ingest   http.Handler
	Gatherer prometheus.Gatherer
	Version  string
	Now      func() time.Time
	Logger   *slog.Logger
	// Alerting serves the alert, history, silence and ack endpoints; nil
	// leaves them out.
	Alerting *Alerting
}

type server struct {
	o Options
}

// New returns the collector's HTTP handler.
func New(o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{o: o}
	mux := http.NewServeMux()
	mux.Handle("/api/v1/ingest", o.Ingest)
	mux.HandleFunc("GET /api/v1/hosts", s.hosts)
	mux.HandleFunc("GET /api/v1/hosts/{name}", s.host)
	mux.HandleFunc("GET /api/v1/metrics", s.metrics)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /{$}", s.status)
	if o.Alerting != nil {
		s.routeAlerting(mux)
	}
	return mux
}

func (s *server) hosts(w http.ResponseWriter, r *http.Request) {
	hosts, err := s.o.Store.Hosts(r.Context())
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "store_error", fmt.Errorf("list hosts: %w", err))
		return
	}
	if hosts == nil {
		hosts = []store.HostSummary{}
	}
	writeJSON(w, http.StatusOK, hosts)
}

func (s *server) host(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	h, err := s.o.Store.Host(r.Context(), name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, http.StatusNotFound, "not_found", fmt.Errorf("host %q is not known", name))
		return
	case err != nil:
		s.fail(w, http.StatusInternalServerError, "store_error", fmt.Errorf("read host %q: %w", name, err))
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *server) metrics(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := s.o.Now()
	sq := store.SeriesQuery{Host: q.Get("host"), Field: q.Get("field")}
	if sq.Host == "" || sq.Field == "" {
		s.fail(w, http.StatusBadRequest, "invalid", errors.New("host and field are required, e.g. ?host=web-1&field=system.cpu.total.norm.pct"))
		return
	}
	var err error
	if sq.From, err = parseTime(q.Get("from"), now, now.Add(-time.Hour)); err != nil {
		s.fail(w, http.StatusBadRequest, "invalid", fmt.Errorf("from: %w", err))
		return
	}
	if sq.To, err = parseTime(q.Get("to"), now, now); err != nil {
		s.fail(w, http.StatusBadRequest, "invalid", fmt.Errorf("to: %w", err))
		return
	}
	if sq.To.Before(sq.From) {
		s.fail(w, http.StatusBadRequest, "invalid", fmt.Errorf("to (%s) is before from (%s)", sq.To.Format(time.RFC3339), sq.From.Format(time.RFC3339)))
		return
	}
	if l := q.Get("limit"); l != "" {
		if sq.Limit, err = strconv.Atoi(l); err != nil || sq.Limit < 0 {
			s.fail(w, http.StatusBadRequest, "invalid", fmt.Errorf("limit %q is not a non-negative integer", l))
			return
		}
	}
	series, err := s.o.Store.Series(r.Context(), sq)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "store_error", fmt.Errorf("read series: %w", err))
		return
	}
	if series == nil {
		series = []store.Series{}
	}
	writeJSON(w, http.StatusOK, series)
}

// parseTime accepts RFC 3339, Unix seconds or milliseconds, or a negative duration
// relative to now ("-15m").
func parseTime(v string, now, def time.Time) (time.Time, error) {
	if v == "" {
		return def, nil
	}
	if strings.HasPrefix(v, "-") {
		if d, err := time.ParseDuration(v); err == nil {
			return now.Add(d), nil
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n > 1e11 { // beyond year 5000 in seconds: must be milliseconds
			return time.UnixMilli(n), nil
		}
		return time.Unix(n, 0), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not RFC 3339, Unix seconds/milliseconds or a duration like -1h", v)
	}
	return t, nil
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.o.Version})
}

var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Vigil collector</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}.stale{color:#b00}</style>
</head><body><h1>Vigil collector {{.Version}}</h1>
<p>{{len .Hosts}} host(s). JSON: <a href="/api/v1/hosts">/api/v1/hosts</a> · <a href="/metrics">/metrics</a></p>
<table><tr><th>host</th><th>agent</th><th>last seen</th><th>first seen</th></tr>
{{range .Hosts}}<tr><td><a href="/api/v1/hosts/{{.Name}}">{{.Name}}</a></td><td>{{.AgentVersion}}</td>
<td{{if call $.Stale .}} class="stale"{{end}}>{{call $.Ago .LastSeen}} ago</td><td>{{.FirstSeen.UTC.Format "2006-01-02 15:04:05"}} UTC</td></tr>
{{end}}</table></body></html>`))

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	hosts, err := s.o.Store.Hosts(r.Context())
	if err != nil {
		http.Error(w, "list hosts: "+err.Error(), http.StatusInternalServerError)
		return
	}
	now := s.o.Now()
	data := struct {
		Version string
		Hosts   []store.HostSummary
		Ago     func(time.Time) string
		Stale   func(store.HostSummary) bool
	}{
		Version: s.o.Version, Hosts: hosts,
		Ago: func(t time.Time) string { return now.Sub(t).Truncate(time.Second).String() },
		// Three missed intervals is when an operator should look.
		Stale: func(h store.HostSummary) bool {
			return h.IntervalMS > 0 && now.Sub(h.LastSeen) > 3*time.Duration(h.IntervalMS)*time.Millisecond
		},
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := statusPage.Execute(w, data); err != nil {
		s.o.Logger.Error("render status page", "err", err)
	}
}

func (s *server) fail(w http.ResponseWriter, status int, reason string, err error) {
	if status >= 500 {
		s.o.Logger.Error("api error", "err", err)
	}
	writeJSON(w, status, model.ErrorResponse{Error: err.Error(), Reason: reason})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

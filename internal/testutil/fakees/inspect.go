package fakees

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Doc is one stored document as tests inspect it.
type Doc struct {
	Index       string // concrete index (the backing index for a data stream)
	ID          string
	Version     int64
	SeqNo       int64
	PrimaryTerm int64
	Source      map[string]any // Raw decoded with encoding/json (numbers are float64)
	Raw         []byte
}

// Request is one received request. Body is decompressed.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// Docs returns every live document of a data stream, index or wildcard
// pattern (all backing indices), in insertion order. An update keeps the
// document's place.
func (s *Server) Docs(target string) []Doc {
	type item struct {
		ix string
		e  *docEntry
	}
	var items []item
	s.mu.RLock()
	for _, ix := range s.c.resolveLoose(target) {
		for _, e := range ix.order {
			if e != nil {
				items = append(items, item{ix.name, e})
			}
		}
	}
	s.mu.RUnlock()
	sort.SliceStable(items, func(i, j int) bool { return items[i].e.ord < items[j].e.ord })
	out := make([]Doc, len(items))
	for i, it := range items {
		var src map[string]any
		_ = json.Unmarshal(it.e.raw, &src)
		out[i] = Doc{Index: it.ix, ID: it.e.id, Version: it.e.version, SeqNo: it.e.seqNo,
			PrimaryTerm: it.e.primaryTerm, Source: src, Raw: append([]byte(nil), it.e.raw...)}
	}
	return out
}

// RejectItems makes the next n bulk items fail with a per-item 429
// es_rejected_execution_exception, as when the write thread pool or
// indexing pressure limit is exhausted. The items are not written.
func (s *Server) RejectItems(n int) {
	s.faults.mu.Lock()
	s.faults.rejectItems = n
	s.faults.mu.Unlock()
}

// FailRequests makes the next n requests (except GET / and HEAD /) fail
// with status: 429 and 503 with an ES error body, 502 and 504 with a load
// balancer's HTML page, anything else with a generic ES error.
func (s *Server) FailRequests(status, n int) {
	s.faults.mu.Lock()
	s.faults.failStatus, s.faults.failN = status, n
	s.faults.mu.Unlock()
}

// SetLatency delays every request by d before it is handled.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

type faults struct {
	mu          sync.Mutex
	rejectItems int
	failStatus  int
	failN       int
}

// takeFailure consumes one injected whole-request failure.
func (f *faults) takeFailure() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failN <= 0 {
		return 0
	}
	f.failN--
	return f.failStatus
}

// takeRejections consumes up to n injected item rejections.
func (f *faults) takeRejections(n int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := min(n, f.rejectItems)
	f.rejectItems -= k
	return k
}

// Requests returns the logged requests, oldest first (at most the last
// 10000; bodies of the oldest are dropped beyond 256 MiB in total so long
// benchmarks do not exhaust memory).
func (s *Server) Requests() []Request {
	l := &s.reqlog
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, 0, len(l.entries))
	for i := range len(l.entries) {
		r := l.entries[(l.start+i)%len(l.entries)]
		r.Query = cloneValues(r.Query)
		r.Header = r.Header.Clone()
		r.Body = append([]byte(nil), r.Body...)
		out = append(out, r)
	}
	return out
}

// Count is the number of logged requests with the method ("" for any)
// whose path starts with pathPrefix.
func (s *Server) Count(method, pathPrefix string) int {
	l := &s.reqlog
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.entries {
		if (method == "" || r.Method == method) && strings.HasPrefix(r.Path, pathPrefix) {
			n++
		}
	}
	return n
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	l := &s.reqlog
	l.mu.Lock()
	l.entries, l.start, l.bodyBytes, l.trimmed = nil, 0, 0, 0
	l.mu.Unlock()
}

const (
	maxLogged          = 10000
	maxLoggedBodyBytes = 256 << 20
)

// reqLog is a ring of the last maxLogged requests.
type reqLog struct {
	mu        sync.Mutex
	entries   []Request
	start     int // oldest entry once the ring is full
	bodyBytes int
	trimmed   int // how many of the oldest entries had their body dropped
}

func (l *reqLog) add(r *http.Request, body []byte) {
	e := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) < maxLogged {
		l.entries = append(l.entries, e)
	} else {
		l.bodyBytes -= len(l.entries[l.start].Body)
		l.entries[l.start] = e
		l.start = (l.start + 1) % maxLogged
		if l.trimmed > 0 {
			l.trimmed--
		}
	}
	l.bodyBytes += len(body)
	for l.bodyBytes > maxLoggedBodyBytes && l.trimmed < len(l.entries)-1 {
		i := (l.start + l.trimmed) % len(l.entries)
		l.bodyBytes -= len(l.entries[i].Body)
		l.entries[i].Body = nil
		l.trimmed++
	}
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// resolveLoose expands names, comma lists and wildcards to concrete
// indices without failing on missing names (for inspection helpers).
func (c *cluster) resolveLoose(target string) []*index {
	seen := map[*index]bool{}
	var out []*index
	add := func(ix *index) {
		if !seen[ix] {
			seen[ix] = true
			out = append(out, ix)
		}
	}
	for _, name := range splitComma(target) {
		if ds := c.dataStreams[name]; ds != nil {
			for _, ix := range ds.indices {
				add(ix)
			}
			continue
		}
		if ix := c.indices[name]; ix != nil {
			add(ix)
			continue
		}
		if !strings.Contains(name, "*") {
			continue
		}
		for _, dn := range sortedKeys(c.dataStreams) {
			if globMatch(name, dn) {
				for _, ix := range c.dataStreams[dn].indices {
					add(ix)
				}
			}
		}
		for _, in := range sortedKeys(c.indices) {
			if globMatch(name, in) && (c.indices[in].ds == nil || strings.HasPrefix(name, ".")) {
				add(c.indices[in])
			}
		}
	}
	return out
}

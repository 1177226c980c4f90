package fakees

import (
	"sort"
	"strings"
	"time"
)

// resolveTargets expands a search/index target (comma list of names and
// wildcards; empty, "_all" or "*" for everything) to concrete indices.
func (c *cluster) resolveTargets(target string, ignoreUnavailable, allowNoIndices bool) ([]*index, *esError) {
	if target == "" || target == "_all" {
		target = "*"
	}
	var out []*index
	seen := map[*index]bool{}
	add := func(ix *index) {
		if !seen[ix] {
			seen[ix] = true
			out = append(out, ix)
		}
	}
	for _, name := range splitComma(target) {
		if strings.HasPrefix(name, "-") && len(out) > 0 {
			keep := out[:0]
			for _, ix := range out {
				if !globMatch(name[1:], ix.name) && (ix.ds == nil || !globMatch(name[1:], ix.ds.name)) {
					keep = append(keep, ix)
				}
			}
			out = keep
			continue
		}
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
			if ignoreUnavailable {
				continue
			}
			return nil, indexNotFound(name)
		}
		matched := false
		for _, dn := range sortedKeys(c.dataStreams) {
			if globMatch(name, dn) {
				matched = true
				for _, ix := range c.dataStreams[dn].indices {
					add(ix)
				}
			}
		}
		for _, in := range sortedKeys(c.indices) {
			ix := c.indices[in]
			hidden := ix.ds != nil || ix.settings["index.hidden"] == "true"
			if globMatch(name, in) && (!hidden || strings.HasPrefix(name, ".")) {
				matched = true
				add(ix)
			}
		}
		if !matched && !allowNoIndices {
			return nil, indexNotFound(name)
		}
	}
	return out, nil
}

type searchReq struct {
	query      matcher
	size, from int
	sorts      []sortSpec
	after      []any
	src        *srcFilter
	keepSource bool
	seqNo      bool
	version    bool
	trackTotal int // -1 exact, 0 no total, n cap
}

var searchKeys = map[string]bool{"query": true, "size": true, "from": true, "sort": true, "search_after": true,
	"_source": true, "seq_no_primary_term": true, "version": true, "track_total_hits": true, "timeout": true,
	"track_scores": true, "explain": true, "profile": true, "stats": true, "terminate_after": true}

func (s *Server) parseSearch(rc *reqCtx, body map[string]any) (*searchReq, *esError) {
	for _, k := range sortedKeys(body) {
		if k == "aggs" || k == "aggregations" {
			return nil, newErr("illegal_argument_exception", "fakees does not implement aggregations; request [%s] refused", k)
		}
		if !searchKeys[k] {
			return nil, parsingErr("Unknown key for a START_OBJECT in [%s].", k)
		}
	}
	if rc.q.Has("q") {
		return nil, newErr("illegal_argument_exception", "fakees does not implement query_string searches (q=)")
	}
	req := &searchReq{size: 10, keepSource: true, trackTotal: 10000}
	var e *esError
	now := s.opts.Now()
	q := body["query"]
	if q == nil {
		q = map[string]any{"match_all": map[string]any{}}
	}
	if req.query, e = compileQuery(q, now); e != nil {
		return nil, e
	}
	num := func(name string, dst *int) *esError {
		v, ok := body[name]
		if p := rc.q.Get(name); p != "" {
			v, ok = p, true
		}
		if !ok {
			return nil
		}
		n, ok := asInt64(v)
		if !ok || n < 0 {
			return newErr("illegal_argument_exception", "[%s] parameter cannot be negative, found [%v]", name, v)
		}
		*dst = int(n)
		return nil
	}
	if e = num("size", &req.size); e == nil {
		e = num("from", &req.from)
	}
	if e != nil {
		return nil, e
	}
	if p := rc.q.Get("sort"); p != "" {
		var list []any
		for _, part := range splitComma(p) {
			f, order, _ := strings.Cut(part, ":")
			list = append(list, map[string]any{f: order})
		}
		body["sort"] = list
	}
	if req.sorts, e = parseSorts(body["sort"]); e != nil {
		return nil, e
	}
	if sa, ok := body["search_after"]; ok {
		req.after, _ = sa.([]any)
		if len(req.after) != len(req.sorts) {
			return nil, newErr("illegal_argument_exception", "search_after has %d value(s) but sort has %d.", len(req.after), len(req.sorts))
		}
		if req.from > 0 {
			return nil, newErr("illegal_argument_exception", "[from] parameter must be set to 0 when [search_after] is used")
		}
	}
	req.src, req.keepSource = sourceFilter(rc.q, body["_source"])
	req.seqNo, _ = asBool(body["seq_no_primary_term"])
	req.version, _ = asBool(body["version"])
	if rc.flag("seq_no_primary_term") {
		req.seqNo = true
	}
	if rc.flag("version") {
		req.version = true
	}
	tt, ok := body["track_total_hits"]
	if p := rc.q.Get("track_total_hits"); p != "" {
		tt, ok = p, true
	}
	if ok {
		if b, isBool := asBool(tt); isBool {
			req.trackTotal = map[bool]int{true: -1, false: 0}[b]
		} else if n, isNum := asInt64(tt); isNum {
			req.trackTotal = int(n)
		}
	}
	if req.from+req.size > 10000 {
		return nil, shardFailure(newErr("illegal_argument_exception", "Result window is too large, from + size must be less than or equal to: [10000] but was [%d]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.", req.from+req.size))
	}
	return req, nil
}

type candidate struct {
	h    hit
	keys []sortKey
}

// handleSearch serves GET|POST /_search and /{target}/_search.
func (s *Server) handleSearch(rc *reqCtx) {
	start := time.Now()
	req, cands, indices, e := s.runQuery(rc)
	if e != nil {
		rc.fail(400, e)
		return
	}
	if req == nil {
		return
	}
	// Mappings are replaced, not changed, by writes: reading the current
	// one needs the lock, using it afterwards does not.
	s.mu.RLock()
	e = s.checkSortable(req, indices)
	s.mu.RUnlock()
	if e != nil {
		rc.fail(400, e)
		return
	}
	for i := range cands {
		cands[i].keys = sortKeys(&cands[i].h, req.sorts)
	}
	if len(req.sorts) > 0 {
		sort.SliceStable(cands, func(i, j int) bool { return compareKeys(cands[i].keys, cands[j].keys, req.sorts) < 0 })
	}
	total := len(cands)
	if req.after != nil {
		after := afterKeys(req.after)
		kept := cands[:0]
		for _, c := range cands {
			if compareKeys(c.keys, after, req.sorts) > 0 {
				kept = append(kept, c)
			}
		}
		cands = kept
	}
	page := cands[min(req.from, len(cands)):min(req.from+req.size, len(cands))]
	hits := make([]any, 0, len(page))
	var maxScore any
	if len(req.sorts) == 0 && len(page) > 0 {
		maxScore = 1.0
	}
	for _, c := range page {
		hits = append(hits, renderHit(req, c))
	}
	hitsObj := map[string]any{"max_score": maxScore, "hits": hits}
	switch {
	case rc.flag("rest_total_hits_as_int"):
		hitsObj["total"] = total
	case req.trackTotal == 0:
	case req.trackTotal < 0 || total <= req.trackTotal:
		hitsObj["total"] = map[string]any{"value": total, "relation": "eq"}
	default:
		hitsObj["total"] = map[string]any{"value": req.trackTotal, "relation": "gte"}
	}
	rc.json(200, map[string]any{"took": time.Since(start).Milliseconds(), "timed_out": false,
		"_shards": map[string]any{"total": len(indices), "successful": len(indices), "skipped": 0, "failed": 0}, "hits": hitsObj})
}

// handleCount serves /_count and /{target}/_count.
func (s *Server) handleCount(rc *reqCtx) {
	_, cands, indices, e := s.runQuery(rc)
	if e != nil {
		rc.fail(400, e)
		return
	}
	if cands == nil && indices == nil {
		return
	}
	rc.json(200, map[string]any{"count": len(cands), "_shards": map[string]any{"total": len(indices), "successful": len(indices), "skipped": 0, "failed": 0}})
}

// runQuery resolves the target and evaluates the query on a snapshot taken
// under the read lock; documents are decoded outside it.
func (s *Server) runQuery(rc *reqCtx) (*searchReq, []candidate, []*index, *esError) {
	body, e := decodeBody(rc.body)
	if e != nil {
		return nil, nil, nil, e
	}
	if len(rc.segs) > 0 && strings.HasSuffix(rc.segs[len(rc.segs)-1], "_count") {
		for k := range body {
			if k != "query" {
				return nil, nil, nil, parsingErr("request does not support [%s]", k)
			}
		}
	}
	req, e := s.parseSearch(rc, body)
	if e != nil {
		return nil, nil, nil, e
	}
	target := ""
	if len(rc.segs) == 2 {
		target = rc.segs[0]
	}
	allowNo := !rc.q.Has("allow_no_indices") || rc.flag("allow_no_indices")
	type snap struct {
		ix      *index
		m       *mapping
		entries []*docEntry
	}
	s.mu.RLock()
	indices, e := s.c.resolveTargets(target, rc.flag("ignore_unavailable"), allowNo)
	if e != nil {
		s.mu.RUnlock()
		rc.fail(404, e)
		return nil, nil, nil, nil
	}
	snaps := make([]snap, len(indices))
	for i, ix := range indices {
		entries := make([]*docEntry, 0, len(ix.order)-ix.dead)
		for _, d := range ix.order {
			if d != nil {
				entries = append(entries, d)
			}
		}
		snaps[i] = snap{ix, ix.mapping, entries}
	}
	s.mu.RUnlock()
	var cands []candidate
	for _, sn := range snaps {
		for _, d := range sn.entries {
			h := hit{m: sn.m, e: d, index: sn.ix.name}
			var err error
			if h.src, err = parseSource(d.raw); err != nil {
				continue
			}
			if req.query(&h) {
				cands = append(cands, candidate{h: h})
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].h.e.ord < cands[j].h.e.ord })
	if cands == nil {
		cands = []candidate{}
	}
	return req, cands, indices, nil
}

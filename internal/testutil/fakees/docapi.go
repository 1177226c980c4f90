package fakees

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// handleDoc serves the single-document APIs: /{index}/_doc[/{id}],
// /{index}/_create/{id}, /{index}/_update/{id} and /{index}/_source/{id}.
func (s *Server) handleDoc(rc *reqCtx) {
	name, kind, id := rc.segs[0], rc.segs[1], nameParam(rc, 2)
	m := rc.r.Method
	if (m == http.MethodGet || m == http.MethodHead) && id != "" {
		s.getDoc(rc, name, id, kind == "_source")
		return
	}
	op := &writeOp{index: name, id: id}
	switch {
	case m == http.MethodDelete:
		op.action = "delete"
	case kind == "_update":
		op.action = "update"
	case kind == "_create" || rc.q.Get("op_type") == "create":
		op.action = "create"
	case id == "":
		op.action = "create" // an auto-generated id implies op_type=create
	default:
		op.action = "index"
	}
	if seq, term := rc.q.Get("if_seq_no"), rc.q.Get("if_primary_term"); seq != "" || term != "" {
		op.hasCAS = true
		op.ifSeqNo, op.ifTerm = -1, 0
		if n, ok := parseInt64(seq); ok {
			op.ifSeqNo = n
		}
		if n, ok := parseInt64(term); ok {
			op.ifTerm = n
		}
	}
	var meta *bulkMeta
	if v := rc.q.Get("version"); v != "" {
		n, _ := strconv.ParseInt(v, 10, 64)
		meta = &bulkMeta{Version: &n}
		if vt := rc.q.Get("version_type"); vt != "" {
			meta.VersionType = &vt
		}
	}
	if p := validateOp(op, meta); len(p) > 0 {
		rc.fail(400, validation(p...))
		return
	}
	switch op.action {
	case "update":
		u, e := s.parseUpdate(rc.body)
		if e != nil {
			rc.fail(400, e)
			return
		}
		op.upd = u
	case "create", "index":
		if len(rc.body) == 0 {
			rc.fail(400, newErr("parse_exception", "request body is required"))
			return
		}
		op.raw = rc.body
		var err error
		if op.src, err = parseSource(rc.body); err != nil {
			op.parseErr = s.sourceError(rc.body, err)
		}
		if op.id == "" {
			op.id, op.autoID = newID(), true
		}
	}
	s.mu.Lock()
	r := s.c.apply(op, s.opts.Now())
	s.mu.Unlock()
	if r.err != nil {
		rc.fail(r.status, r.err)
		return
	}
	refresh := rc.q.Get("refresh") == "true" || (rc.q.Has("refresh") && rc.q.Get("refresh") == "")
	body := map[string]any{"_index": r.index, "_id": r.id, "_version": r.version, "result": r.result,
		"_shards": shardsWritten, "_seq_no": r.seqNo, "_primary_term": 1}
	if r.result == "noop" {
		body["_shards"] = shardsNoop
	} else if refresh {
		body["forced_refresh"] = true
	}
	rc.json(r.status, body)
}

func (s *Server) getDoc(rc *reqCtx, name, id string, sourceOnly bool) {
	s.mu.RLock()
	var indices []*index
	if ds := s.c.dataStreams[name]; ds != nil {
		indices = ds.indices
	} else if ix := s.c.indices[name]; ix != nil {
		indices = []*index{ix}
	}
	var found *docEntry
	var in string
	for i := len(indices) - 1; i >= 0 && found == nil; i-- {
		if e := indices[i].docs[id]; e.live() {
			found, in = e, indices[i].name
		}
	}
	s.mu.RUnlock()
	if indices == nil {
		rc.fail(404, indexNotFound(name))
		return
	}
	if found == nil {
		if sourceOnly {
			rc.fail(404, newErr("resource_not_found_exception", "Document not found [%s]/[%s]", name, id))
			return
		}
		rc.json(404, map[string]any{"_index": name, "_id": id, "found": false})
		return
	}
	src, keep := sourceFilter(rc.q, nil)
	var source any = json.RawMessage(found.raw)
	if src != nil {
		var m map[string]any
		_ = decodeJSON(found.raw, &m)
		source = src.apply(m)
	}
	if sourceOnly {
		rc.json(200, source)
		return
	}
	body := map[string]any{"_index": in, "_id": id, "_version": found.version, "_seq_no": found.seqNo,
		"_primary_term": found.primaryTerm, "found": true}
	if keep {
		body["_source"] = source
	}
	rc.json(200, body)
}

// handleIndex serves PUT, GET, HEAD and DELETE /{index}.
func (s *Server) handleIndex(rc *reqCtx) {
	name := rc.segs[0]
	c := s.c
	switch rc.r.Method {
	case http.MethodPut:
		body, e := decodeBody(rc.body)
		if e == nil {
			for _, k := range sortedKeys(body) {
				if k != "settings" && k != "mappings" && k != "aliases" {
					e = newErr("parse_exception", "unknown key [%s] for create index", k)
					break
				}
			}
		}
		if e != nil {
			rc.fail(400, e)
			return
		}
		settings, _ := asMap(body["settings"])
		mraw, _ := asMap(body["mappings"])
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, e := c.createIndex(name, flattenSettings(settings), mraw, s.opts.Now()); e != nil {
			rc.fail(400, e)
			return
		}
		rc.json(200, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": name})
	case http.MethodGet, http.MethodHead:
		s.mu.RLock()
		defer s.mu.RUnlock()
		indices, e := c.resolveTargets(name, rc.flag("ignore_unavailable"), !rc.q.Has("allow_no_indices") || rc.flag("allow_no_indices"))
		if e != nil {
			if rc.r.Method == http.MethodHead {
				rc.raw(404, rc.respType, nil)
				return
			}
			rc.fail(404, e)
			return
		}
		out := map[string]any{}
		for _, ix := range indices {
			d := map[string]any{"aliases": map[string]any{}, "mappings": ix.mapping.definition(), "settings": nestSettings(ix.settings)}
			if ix.ds != nil {
				d["data_stream"] = ix.ds.name
			}
			out[ix.name] = d
		}
		if rc.r.Method == http.MethodHead {
			rc.raw(200, rc.respType, nil)
			return
		}
		rc.json(200, out)
	case http.MethodDelete:
		s.mu.Lock()
		defer s.mu.Unlock()
		s.deleteIndices(rc, name)
	}
}

func (s *Server) deleteIndices(rc *reqCtx, target string) {
	c := s.c
	var victims []*index
	for _, name := range splitComma(target) {
		if ds := c.dataStreams[name]; ds != nil {
			rc.fail(400, newErr("illegal_argument_exception", "The provided expression [%s] matches a data stream, specify the corresponding concrete indices instead.", name))
			return
		}
		if ix := c.indices[name]; ix != nil {
			victims = append(victims, ix)
			continue
		}
		if !containsWildcard(name) {
			if rc.flag("ignore_unavailable") {
				continue
			}
			rc.fail(404, indexNotFound(name))
			return
		}
		if s.opts.Flavor == Elasticsearch {
			// action.destructive_requires_name defaults to true in ES 8.
			rc.fail(400, newErr("illegal_argument_exception", "Wildcard expressions or all indices are not allowed"))
			return
		}
		for _, n := range sortedKeys(c.indices) {
			if globMatch(name, n) && c.indices[n].ds == nil {
				victims = append(victims, c.indices[n])
			}
		}
	}
	for _, ix := range victims {
		if ix.ds != nil && ix.ds.writeIndex() == ix {
			rc.fail(400, newErr("illegal_argument_exception", "index [%s] is the write index for data stream [%s] and cannot be deleted", ix.name, ix.ds.name))
			return
		}
	}
	for _, ix := range victims {
		delete(c.indices, ix.name)
		if ix.ds != nil {
			for i, b := range ix.ds.indices {
				if b == ix {
					ix.ds.indices = append(ix.ds.indices[:i:i], ix.ds.indices[i+1:]...)
					break
				}
			}
		}
	}
	rc.json(200, map[string]any{"acknowledged": true})
}

// handleRefresh serves /_refresh and /{target}/_refresh. Every write is
// visible at once in the fake, so there is nothing to do but answer.
func (s *Server) handleRefresh(rc *reqCtx) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	target := ""
	if len(rc.segs) == 2 {
		target = rc.segs[0]
	}
	indices, e := s.c.resolveTargets(target, rc.flag("ignore_unavailable"), true)
	if e != nil {
		rc.fail(404, e)
		return
	}
	rc.json(200, map[string]any{"_shards": shardsInfo{Total: 2 * len(indices), Successful: len(indices)}})
}

// handleMapping serves GET /_mapping, GET|PUT /{target}/_mapping.
func (s *Server) handleMapping(rc *reqCtx) {
	target := ""
	if len(rc.segs) == 2 {
		target = rc.segs[0]
	}
	if rc.r.Method == http.MethodGet {
		s.mu.RLock()
		defer s.mu.RUnlock()
		indices, e := s.c.resolveTargets(target, rc.flag("ignore_unavailable"), true)
		if e != nil {
			rc.fail(404, e)
			return
		}
		out := map[string]any{}
		for _, ix := range indices {
			out[ix.name] = map[string]any{"mappings": ix.mapping.definition()}
		}
		rc.json(200, out)
		return
	}
	body, e := decodeBody(rc.body)
	if e != nil {
		rc.fail(400, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	indices, e := s.c.resolveTargets(target, false, true)
	if e != nil {
		rc.fail(404, e)
		return
	}
	if rc.flag("write_index_only") {
		for i, ix := range indices {
			if ix.ds != nil && ix.ds.writeIndex() != ix {
				indices[i] = nil
			}
		}
	}
	updated := map[*index]*mapping{}
	for _, ix := range indices {
		if ix == nil {
			continue
		}
		m, e := mergeIntoMapping(ix.mapping, body)
		if e != nil {
			rc.fail(400, e)
			return
		}
		updated[ix] = m
	}
	for ix, m := range updated {
		ix.mapping = m
	}
	rc.json(200, map[string]any{"acknowledged": true})
}

// mergeIntoMapping applies a put-mapping body to an existing mapping; a
// field may gain parameters but never change type, as in ES.
func mergeIntoMapping(m *mapping, body map[string]any) (*mapping, *esError) {
	add, e := parseMapping(body)
	if e != nil {
		return nil, e
	}
	for p, f := range add.fields {
		if old := m.fields[p]; old != nil && old.typ != f.typ {
			return nil, newErr("illegal_argument_exception", "mapper [%s] cannot be changed from type [%s] to [%s]", p, old.typ, f.typ)
		}
	}
	out := m.with(add.fields)
	if len(add.dynTemplates) > 0 {
		c := *out
		c.dynTemplates = add.dynTemplates
		out = &c
	}
	if _, ok := body["dynamic"]; ok {
		c := *out
		c.dynamic = add.dynamic
		c.root = mergeFlat(mergeFlat(map[string]any{}, out.root), add.root)
		out = &c
	}
	return out, nil
}

func containsWildcard(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '*' {
			return true
		}
	}
	return false
}

package fakees

import (
	"net/http"
	"strconv"
	"time"
)

type ilmPolicy struct {
	version  int64
	modified time.Time
	policy   map[string]any
}

var ilmActions = map[string]bool{
	"rollover": true, "delete": true, "forcemerge": true, "shrink": true, "readonly": true, "set_priority": true,
	"allocate": true, "migrate": true, "searchable_snapshot": true, "freeze": true, "unfollow": true,
	"wait_for_snapshot": true, "downsample": true,
}

// handleILM serves PUT/GET/DELETE /_ilm/policy[/{name}] (Elasticsearch only).
func (s *Server) handleILM(rc *reqCtx) {
	c := s.c
	switch rc.r.Method {
	case http.MethodGet:
		s.mu.RLock()
		defer s.mu.RUnlock()
		names, e := pickNames(sortedKeys(c.ilm), nameParam(rc, 2), "Lifecycle policy not found: [%s]")
		if e != nil {
			rc.fail(404, e)
			return
		}
		out := map[string]any{}
		for _, n := range names {
			p := c.ilm[n]
			out[n] = map[string]any{"version": p.version, "modified_date": isoMillis(p.modified), "policy": p.policy,
				"in_use_by": map[string]any{"indices": c.ilmIndices(n), "data_streams": c.ilmStreams(n), "composable_templates": c.ilmTemplates(n)}}
		}
		rc.json(200, out)
	case http.MethodPut:
		name := rc.segs[2]
		body, e := decodeBody(rc.body)
		if e == nil {
			e = checkKeys(body, "put_lifecycle_request", "policy")
		}
		if e != nil {
			rc.fail(400, e)
			return
		}
		policy, ok := asMap(body["policy"])
		if !ok {
			rc.fail(400, newErr("x_content_parse_exception", "[1:2] [put_lifecycle_request] Required [policy]"))
			return
		}
		if e := validateILM(policy); e != nil {
			rc.fail(400, e)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		p := c.ilm[name]
		if p == nil {
			p = &ilmPolicy{}
			c.ilm[name] = p
		}
		p.version++
		p.modified = s.opts.Now()
		p.policy = deepCopy(policy).(map[string]any)
		rc.json(200, map[string]any{"acknowledged": true})
	case http.MethodDelete:
		s.mu.Lock()
		defer s.mu.Unlock()
		name := rc.segs[2]
		if c.ilm[name] == nil {
			rc.fail(404, newErr("resource_not_found_exception", "Lifecycle policy not found: %s", name))
			return
		}
		if used := c.ilmIndices(name); len(used) > 0 {
			rc.fail(400, newErr("illegal_argument_exception", "Cannot delete policy [%s]. It is in use by one or more indices: %v", name, used))
			return
		}
		delete(c.ilm, name)
		rc.json(200, map[string]any{"acknowledged": true})
	}
}

func validateILM(policy map[string]any) *esError {
	if e := checkKeys(policy, "lifecycle_policy", "phases", "_meta", "deprecated"); e != nil {
		return e
	}
	phases, _ := asMap(policy["phases"])
	for _, name := range sortedKeys(phases) {
		switch name {
		case "hot", "warm", "cold", "frozen", "delete":
		default:
			return newErr("illegal_argument_exception", "Timeseries lifecycle does not support phase [%s]", name)
		}
		ph, ok := asMap(phases[name])
		if !ok {
			return newErr("x_content_parse_exception", "[1:2] [phase] failed to parse phase [%s]", name)
		}
		if e := checkKeys(ph, "phase", "min_age", "actions"); e != nil {
			return e
		}
		if s, ok := ph["min_age"].(string); ok {
			if _, ok := parseTimeValue(s); !ok && s != "0" {
				return newErr("illegal_argument_exception", "failed to parse setting [min_age] with value [%s] as a time value: unit is missing or unrecognized", s)
			}
		}
		actions, _ := asMap(ph["actions"])
		for _, a := range sortedKeys(actions) {
			if !ilmActions[a] {
				return newErr("x_content_parse_exception", "[1:2] [actions] unknown field [%s]", a)
			}
		}
	}
	return nil
}

func (c *cluster) ilmIndices(name string) []string {
	out := []string{}
	for _, n := range sortedKeys(c.indices) {
		if c.indices[n].settings["index.lifecycle.name"] == name {
			out = append(out, n)
		}
	}
	return out
}

func (c *cluster) ilmStreams(name string) []string {
	out := []string{}
	for _, n := range sortedKeys(c.dataStreams) {
		if c.dataStreams[n].writeIndex().settings["index.lifecycle.name"] == name {
			out = append(out, n)
		}
	}
	return out
}

func (c *cluster) ilmTemplates(name string) []string {
	out := []string{}
	for _, n := range sortedKeys(c.indexTemplates) {
		if settings, _ := c.resolve(c.indexTemplates[n]); settings["index.lifecycle.name"] == name {
			out = append(out, n)
		}
	}
	return out
}

// ismPolicy is an OpenSearch ISM policy, stored like a document of the
// .opendistro-ism-config index with its own seq_no and version.
type ismPolicy struct {
	version int64
	seqNo   int64
	policy  map[string]any
}

const ismIndex = ".opendistro-ism-config"

// handleISM serves /_plugins/_ism/policies[/{id}] (OpenSearch only). A PUT
// of an existing policy must carry the if_seq_no and if_primary_term of the
// stored one, which is how ISM prevents lost updates.
func (s *Server) handleISM(rc *reqCtx) {
	c := s.c
	id := nameParam(rc, 3)
	switch {
	case rc.r.Method == http.MethodGet && id == "":
		s.mu.RLock()
		defer s.mu.RUnlock()
		list := []any{}
		for _, n := range sortedKeys(c.ism) {
			p := c.ism[n]
			list = append(list, map[string]any{"_id": n, "_seq_no": p.seqNo, "_primary_term": 1, "policy": p.policy})
		}
		rc.json(200, map[string]any{"policies": list, "total_policies": len(list)})
	case rc.r.Method == http.MethodGet:
		s.mu.RLock()
		defer s.mu.RUnlock()
		p := c.ism[id]
		if p == nil {
			rc.fail(404, newErr("status_exception", "Policy not found"))
			return
		}
		rc.json(200, map[string]any{"_id": id, "_version": p.version, "_seq_no": p.seqNo, "_primary_term": 1, "policy": p.policy})
	case rc.r.Method == http.MethodPut:
		s.putISM(rc, id)
	case rc.r.Method == http.MethodDelete:
		s.mu.Lock()
		defer s.mu.Unlock()
		p := c.ism[id]
		c.ismSeq++
		shards := map[string]any{"total": 2, "successful": 1, "failed": 0}
		if p == nil {
			rc.json(404, map[string]any{"_index": ismIndex, "_id": id, "_version": 1, "result": "not_found", "forced_refresh": true, "_shards": shards, "_seq_no": c.ismSeq, "_primary_term": 1})
			return
		}
		delete(c.ism, id)
		rc.json(200, map[string]any{"_index": ismIndex, "_id": id, "_version": p.version + 1, "result": "deleted", "forced_refresh": true, "_shards": shards, "_seq_no": c.ismSeq, "_primary_term": 1})
	}
}

func (s *Server) putISM(rc *reqCtx, id string) {
	body, e := decodeBody(rc.body)
	if e == nil {
		e = checkKeys(body, "policy", "policy")
	}
	if e != nil {
		rc.fail(400, e)
		return
	}
	policy, ok := asMap(body["policy"])
	if !ok {
		rc.fail(400, newErr("illegal_argument_exception", "Required [policy]"))
		return
	}
	if e := validateISM(policy); e != nil {
		rc.fail(400, e)
		return
	}
	seqStr, termStr := rc.q.Get("if_seq_no"), rc.q.Get("if_primary_term")
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.c
	cur := c.ism[id]
	if seqStr != "" || termStr != "" {
		seq, err1 := strconv.ParseInt(seqStr, 10, 64)
		term, err2 := strconv.ParseInt(termStr, 10, 64)
		switch {
		case err1 != nil || err2 != nil:
			rc.fail(400, validation("ifSeqNo is set, but primary term is [0]"))
			return
		case cur == nil:
			rc.fail(409, newErr("version_conflict_engine_exception", "[%s]: version conflict, required seqNo [%d], primary term [%d]. but no document was found", id, seq, term).with("index_uuid", "ism").with("shard", "0").with("index", ismIndex))
			return
		case cur.seqNo != seq || term != 1:
			rc.fail(409, newErr("version_conflict_engine_exception", "[%s]: version conflict, required seqNo [%d], primary term [%d]. current document has seqNo [%d] and primary term [1]", id, seq, term, cur.seqNo).with("index_uuid", "ism").with("shard", "0").with("index", ismIndex))
			return
		}
	} else if cur != nil {
		rc.fail(409, newErr("version_conflict_engine_exception", "[%s]: version conflict, document already exists (current version [%d])", id, cur.version).with("index_uuid", "ism").with("shard", "0").with("index", ismIndex))
		return
	}
	stored := deepCopy(policy).(map[string]any)
	stored["policy_id"] = id
	stored["last_updated_time"] = s.opts.Now().UnixMilli()
	stored["schema_version"] = 21
	for _, k := range []string{"error_notification", "ism_template"} {
		if _, ok := stored[k]; !ok {
			stored[k] = nil
		}
	}
	c.ismSeq++
	status := 201
	p := &ismPolicy{version: 1, seqNo: c.ismSeq, policy: stored}
	if cur != nil {
		status, p.version = 200, cur.version+1
	}
	c.ism[id] = p
	rc.json(status, map[string]any{"_id": id, "_version": p.version, "_primary_term": 1, "_seq_no": p.seqNo, "policy": map[string]any{"policy": stored}})
}

func validateISM(policy map[string]any) *esError {
	if e := checkKeys(policy, "policy", "policy_id", "description", "default_state", "states", "ism_template",
		"error_notification", "last_updated_time", "schema_version", "user"); e != nil {
		return e
	}
	states, ok := policy["states"].([]any)
	def, _ := asString(policy["default_state"])
	if !ok || len(states) == 0 || def == "" {
		return newErr("illegal_argument_exception", "Policy must have default_state and at least one state")
	}
	found := false
	for _, st := range states {
		m, _ := asMap(st)
		if name, _ := asString(m["name"]); name == def {
			found = true
		}
	}
	if !found {
		return newErr("illegal_argument_exception", "Policy default_state [%s] does not exist in states", def)
	}
	return nil
}

package fakees

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

type dataStream struct {
	name       string
	template   string
	indices    []*index // backing indices, the last is the write index
	generation int
	tsField    string
	created    time.Time
	meta       map[string]any
}

func (ds *dataStream) writeIndex() *index { return ds.indices[len(ds.indices)-1] }

// createDataStream creates a data stream from the highest-priority matching
// template, as the first write or PUT _data_stream does.
func (c *cluster) createDataStream(name string, now time.Time) (*dataStream, *esError) {
	if e := validateIndexName(name); e != nil {
		return nil, e
	}
	if strings.HasPrefix(name, ".ds-") {
		return nil, newErr("illegal_argument_exception", "data_stream [%s] must not start with '.ds-'", name)
	}
	if c.dataStreams[name] != nil {
		return nil, newErr("resource_already_exists_exception", "data_stream [%s] already exists", name)
	}
	if ix := c.indices[name]; ix != nil {
		return nil, newErr("resource_already_exists_exception", "index [%s/%s] already exists", name, ix.uuid).with("index_uuid", ix.uuid).with("index", name)
	}
	t := c.matchTemplate(name)
	if t == nil {
		return nil, newErr("illegal_argument_exception", "no matching index template found for data stream [%s]", name)
	}
	if t.dataStream == nil {
		return nil, newErr("illegal_argument_exception", "matching index template [%s] for data stream [%s] has no data stream template", t.name, name)
	}
	ds := &dataStream{name: name, template: t.name, tsField: "@timestamp", created: now}
	if tf, ok := asMap(t.dataStream["timestamp_field"]); ok {
		if n, ok := asString(tf["name"]); ok && n != "" {
			ds.tsField = n
		}
	}
	ds.meta, _ = asMap(t.body["_meta"])
	if _, e := c.rollover(ds, now); e != nil {
		return nil, e
	}
	c.dataStreams[name] = ds
	return ds, nil
}

// rollover adds the next backing index, built from the template as it is
// now, and makes it the write index.
func (c *cluster) rollover(ds *dataStream, now time.Time) (*index, *esError) {
	t := c.indexTemplates[ds.template]
	if t == nil {
		if t = c.matchTemplate(ds.name); t == nil {
			return nil, newErr("illegal_argument_exception", "no matching index template found for data stream [%s]", ds.name)
		}
	}
	settings, mraw := c.resolve(t)
	settings = mergeFlat(map[string]any{"index.hidden": "true"}, settings)
	m, e := parseMapping(mraw)
	if e != nil {
		return nil, e
	}
	if f := m.fields[ds.tsField]; f == nil {
		m.fields[ds.tsField] = &field{typ: "date", enabled: true, def: map[string]any{"type": "date"}}
	} else if f.typ != "date" && f.typ != "date_nanos" {
		return nil, newErr("illegal_argument_exception", "data stream timestamp field [%s] is of type [%s], but [date,date_nanos] is expected", ds.tsField, f.typ)
	}
	if c.s.opts.Flavor == Elasticsearch {
		m.root["_data_stream_timestamp"] = map[string]any{"enabled": true}
	}
	gen := ds.generation + 1
	name := fmt.Sprintf(".ds-%s-%s-%06d", ds.name, now.UTC().Format("2006.01.02"), gen)
	if c.s.opts.Flavor == OpenSearch {
		name = fmt.Sprintf(".ds-%s-%06d", ds.name, gen)
	}
	ix := newIndex(c, name, settings, m, now)
	ix.ds = ds
	if c.s.opts.Flavor == Elasticsearch {
		ix.tsds = tsdsFromSettings(ix.settings)
	}
	ds.generation = gen
	ds.indices = append(ds.indices, ix)
	c.indices[name] = ix
	return ix, nil
}

// createIndex creates a plain index from a matching non-data-stream
// template plus explicit settings and mappings, which win.
func (c *cluster) createIndex(name string, flat, mraw map[string]any, now time.Time) (*index, *esError) {
	if e := validateIndexName(name); e != nil {
		return nil, e
	}
	if ix := c.indices[name]; ix != nil {
		return nil, newErr("resource_already_exists_exception", "index [%s/%s] already exists", name, ix.uuid).with("index_uuid", ix.uuid).with("index", name)
	}
	if c.dataStreams[name] != nil {
		return nil, newErr("resource_already_exists_exception", "data stream [%s] already exists", name)
	}
	settings, merged := map[string]any{}, map[string]any{}
	if t := c.matchTemplate(name); t != nil {
		if t.dataStream != nil {
			return nil, newErr("illegal_argument_exception", "cannot create index with name [%s], because it matches with template [%s] that creates data streams only, use create data stream api instead", name, t.name)
		}
		settings, merged = c.resolve(t)
	}
	settings = mergeFlat(settings, flat)
	if e := c.s.checkSettings(settings); e != nil {
		return nil, e
	}
	m, e := parseMapping(mergeMappings(merged, mraw))
	if e != nil {
		return nil, e
	}
	ix := newIndex(c, name, settings, m, now)
	c.indices[name] = ix
	return ix, nil
}

// handleDataStream serves GET/PUT/DELETE /_data_stream[/{name}].
func (s *Server) handleDataStream(rc *reqCtx) {
	c := s.c
	param := nameParam(rc, 1)
	switch rc.r.Method {
	case http.MethodGet:
		s.mu.RLock()
		defer s.mu.RUnlock()
		var names []string
		for _, p := range splitComma(param) {
			if !strings.Contains(p, "*") && c.dataStreams[p] == nil {
				rc.fail(404, indexNotFound(p))
				return
			}
		}
		for _, n := range sortedKeys(c.dataStreams) {
			if param == "" || param == "_all" || anyGlob(splitComma(param), n) {
				names = append(names, n)
			}
		}
		list := make([]any, 0, len(names))
		for _, n := range names {
			list = append(list, s.describeStream(c.dataStreams[n]))
		}
		rc.json(200, map[string]any{"data_streams": list})
	case http.MethodPut:
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, e := c.createDataStream(param, s.opts.Now()); e != nil {
			rc.fail(400, e)
			return
		}
		rc.json(200, map[string]any{"acknowledged": true})
	case http.MethodDelete:
		s.mu.Lock()
		defer s.mu.Unlock()
		var names []string
		for _, p := range splitComma(param) {
			found := false
			for _, n := range sortedKeys(c.dataStreams) {
				if globMatch(p, n) {
					names, found = append(names, n), true
				}
			}
			if !found && !strings.Contains(p, "*") {
				rc.fail(404, newErr("resource_not_found_exception", "data_stream matching [%s] not found", p))
				return
			}
		}
		for _, n := range names {
			for _, ix := range c.dataStreams[n].indices {
				delete(c.indices, ix.name)
			}
			delete(c.dataStreams, n)
		}
		rc.json(200, map[string]any{"acknowledged": true})
	}
}

func (s *Server) describeStream(ds *dataStream) map[string]any {
	w := ds.writeIndex()
	policy, _ := w.settings["index.lifecycle.name"].(string)
	indices := make([]any, len(ds.indices))
	for i, ix := range ds.indices {
		e := map[string]any{"index_name": ix.name, "index_uuid": ix.uuid}
		if s.opts.Flavor == Elasticsearch {
			e["prefer_ilm"] = true
			e["managed_by"] = "Unmanaged"
			if p, ok := ix.settings["index.lifecycle.name"].(string); ok {
				e["ilm_policy"] = p
				e["managed_by"] = "Index Lifecycle Management"
			}
		}
		indices[i] = e
	}
	out := map[string]any{"name": ds.name, "timestamp_field": map[string]any{"name": ds.tsField},
		"indices": indices, "generation": ds.generation, "status": "GREEN", "template": ds.template}
	if s.opts.Flavor == OpenSearch {
		return out
	}
	if ds.meta != nil {
		out["_meta"] = ds.meta
	}
	if policy != "" {
		out["ilm_policy"] = policy
	}
	out["next_generation_managed_by"] = indices[len(indices)-1].(map[string]any)["managed_by"]
	out["prefer_ilm"] = true
	out["hidden"], out["system"], out["allow_custom_routing"], out["replicated"], out["rollover_on_write"] = false, false, false, false, false
	out["index_mode"] = "standard"
	if w.tsds != nil {
		out["index_mode"] = "time_series"
		start, end := w.tsds.window(s.opts.Now())
		out["time_series"] = map[string]any{"temporal_ranges": []any{map[string]any{"start": isoMillis(start), "end": isoMillis(end)}}}
	}
	return out
}

// handleRollover serves POST /{data stream}/_rollover (conditions are
// ignored: the rollover always happens, like a forced one).
func (s *Server) handleRollover(rc *reqCtx) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ds := s.c.dataStreams[rc.segs[0]]
	if ds == nil {
		rc.fail(400, newErr("illegal_argument_exception", "rollover target [%s] does not exist", rc.segs[0]))
		return
	}
	old := ds.writeIndex().name
	if rc.flag("dry_run") {
		rc.json(200, map[string]any{"acknowledged": false, "shards_acknowledged": false, "old_index": old, "new_index": old, "rolled_over": false, "dry_run": true, "conditions": map[string]any{}})
		return
	}
	ix, e := s.c.rollover(ds, s.opts.Now())
	if e != nil {
		rc.fail(400, e)
		return
	}
	rc.json(200, map[string]any{"acknowledged": true, "shards_acknowledged": true, "old_index": old, "new_index": ix.name, "rolled_over": true, "dry_run": false, "lazy": false, "conditions": map[string]any{}})
}

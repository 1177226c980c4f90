package fakees

import (
	"net/http"
	"strings"
)

type componentTemplate struct {
	name     string
	settings map[string]any // flat
	mappings map[string]any
	body     map[string]any // as GET returns it
}

type indexTemplate struct {
	name       string
	patterns   []string
	priority   int64
	composedOf []string
	dataStream map[string]any // nil: not a data stream template
	settings   map[string]any // flat
	mappings   map[string]any
	body       map[string]any
}

func newCluster(s *Server) *cluster {
	c := &cluster{s: s, componentTemplates: map[string]*componentTemplate{}, indexTemplates: map[string]*indexTemplate{},
		ilm: map[string]*ilmPolicy{}, ism: map[string]*ismPolicy{}, indices: map[string]*index{}, dataStreams: map[string]*dataStream{}}
	if s.opts.Flavor == Elasticsearch {
		c.addBuiltins()
	}
	return c
}

// addBuiltins installs the index templates every ES 8 cluster ships at
// priority 100, so a user template that overlaps them at the same priority
// is refused and one at a lower priority loses, exactly as on a real cluster.
func (c *cluster) addBuiltins() {
	for _, kind := range []string{"logs", "metrics", "synthetics"} {
		body := map[string]any{
			"index_patterns": []any{kind + "-*-*"}, "priority": jsonInt(100), "data_stream": map[string]any{"hidden": false, "allow_custom_routing": false},
			"composed_of": []any{}, "allow_auto_create": true,
			"_meta":   map[string]any{"description": "default " + kind + " template installed by x-pack", "managed": true},
			"version": jsonInt(14),
			"template": map[string]any{"mappings": map[string]any{
				"dynamic_templates": []any{map[string]any{"strings_as_keyword": map[string]any{"match_mapping_type": "string", "mapping": map[string]any{"type": "keyword", "ignore_above": jsonInt(1024)}}}},
				"properties":        map[string]any{"@timestamp": map[string]any{"type": "date"}}},
			},
		}
		t, _ := c.buildIndexTemplate(kind, body)
		c.indexTemplates[kind] = t
	}
}

func (s *Server) handleComponentTemplate(rc *reqCtx) {
	c := s.c
	switch rc.r.Method {
	case http.MethodGet, http.MethodHead:
		s.mu.RLock()
		defer s.mu.RUnlock()
		names, e := pickNames(sortedKeys(c.componentTemplates), nameParam(rc, 1), "component template matching [%s] not found")
		if e != nil {
			rc.fail(404, e)
			return
		}
		list := make([]any, 0, len(names))
		for _, n := range names {
			list = append(list, map[string]any{"name": n, "component_template": c.componentTemplates[n].body})
		}
		rc.json(200, map[string]any{"component_templates": list})
	case http.MethodPut, http.MethodPost:
		name := rc.segs[1]
		body, e := decodeBody(rc.body)
		if e == nil {
			e = checkKeys(body, "component_template", "template", "version", "_meta", "deprecated")
		}
		if e != nil {
			rc.fail(400, e)
			return
		}
		tmpl, ok := asMap(body["template"])
		if !ok {
			rc.fail(400, newErr("x_content_parse_exception", "[1:2] Required [template]"))
			return
		}
		ct := &componentTemplate{name: name}
		if ct.settings, ct.mappings, e = s.templateBlock(tmpl); e != nil {
			rc.fail(400, e)
			return
		}
		ct.body = normalizedBody(body, ct.settings)
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, exists := c.componentTemplates[name]; exists && rc.flag("create") {
			rc.fail(400, newErr("illegal_argument_exception", "component template [%s] already exists", name))
			return
		}
		c.componentTemplates[name] = ct
		rc.json(200, map[string]any{"acknowledged": true})
	case http.MethodDelete:
		s.mu.Lock()
		defer s.mu.Unlock()
		name := rc.segs[1]
		if c.componentTemplates[name] == nil {
			rc.fail(404, newErr("resource_not_found_exception", "%s", name))
			return
		}
		var users []string
		for _, tn := range sortedKeys(c.indexTemplates) {
			for _, cn := range c.indexTemplates[tn].composedOf {
				if cn == name {
					users = append(users, tn)
				}
			}
		}
		if len(users) > 0 {
			rc.fail(400, newErr("illegal_argument_exception", "component templates [%s] cannot be removed as they are still in use by index templates [%s]", name, strings.Join(users, ", ")))
			return
		}
		delete(c.componentTemplates, name)
		rc.json(200, map[string]any{"acknowledged": true})
	}
}

func (s *Server) handleIndexTemplate(rc *reqCtx) {
	c := s.c
	switch rc.r.Method {
	case http.MethodGet, http.MethodHead:
		s.mu.RLock()
		defer s.mu.RUnlock()
		names, e := pickNames(sortedKeys(c.indexTemplates), nameParam(rc, 1), "index template matching [%s] not found")
		if e != nil {
			rc.fail(404, e)
			return
		}
		list := make([]any, 0, len(names))
		for _, n := range names {
			list = append(list, map[string]any{"name": n, "index_template": c.indexTemplates[n].body})
		}
		rc.json(200, map[string]any{"index_templates": list})
	case http.MethodPut, http.MethodPost:
		s.putIndexTemplate(rc)
	case http.MethodDelete:
		s.mu.Lock()
		defer s.mu.Unlock()
		name := rc.segs[1]
		if c.indexTemplates[name] == nil {
			rc.fail(404, newErr("resource_not_found_exception", "index_template [%s] missing", name))
			return
		}
		for _, dn := range sortedKeys(c.dataStreams) {
			if c.dataStreams[dn].template == name {
				rc.fail(400, newErr("illegal_argument_exception", "unable to remove composable templates [%s] as they are in use by a data streams [%s]", name, dn))
				return
			}
		}
		delete(c.indexTemplates, name)
		rc.json(200, map[string]any{"acknowledged": true})
	}
}

func (s *Server) putIndexTemplate(rc *reqCtx) {
	name := rc.segs[1]
	body, e := decodeBody(rc.body)
	if e == nil {
		e = checkKeys(body, "index_template", "index_patterns", "composed_of", "template", "priority", "version",
			"_meta", "data_stream", "allow_auto_create", "ignore_missing_component_templates", "deprecated")
	}
	if e != nil {
		rc.fail(400, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.c
	t, e := c.buildIndexTemplate(name, body)
	if e != nil {
		rc.fail(400, e)
		return
	}
	if _, exists := c.indexTemplates[name]; exists && rc.flag("create") {
		rc.fail(400, newErr("illegal_argument_exception", "index template [%s] already exists", name))
		return
	}
	ignore := stringList(body["ignore_missing_component_templates"])
	var missing []string
	for _, cn := range t.composedOf {
		if c.componentTemplates[cn] == nil && !contains(ignore, cn) {
			missing = append(missing, cn)
		}
	}
	if len(missing) > 0 {
		rc.fail(400, newErr("invalid_index_template_exception", "index_template [%s] invalid, cause [index template [%s] specifies component templates %s that do not exist]", name, name, "["+strings.Join(missing, ", ")+"]"))
		return
	}
	for _, on := range sortedKeys(c.indexTemplates) {
		o := c.indexTemplates[on]
		if on == name || o.priority != t.priority {
			continue
		}
		if overlap(o.patterns, t.patterns) {
			rc.fail(400, newErr("illegal_argument_exception", "index template [%s] has index patterns %s matching patterns from existing templates [%s] with patterns (%s => %s) that have the same priority [%d], multiple index templates may not match during index creation, please use a different priority",
				name, listString(t.patterns), on, on, listString(o.patterns), t.priority))
			return
		}
	}
	// The merged result must be a valid index, as ES validates it on PUT.
	settings, mraw := c.resolve(t)
	if e := s.checkSettings(settings); e != nil {
		rc.fail(400, e)
		return
	}
	m, e := parseMapping(mraw)
	if e == nil && t.dataStream != nil {
		if f := m.fields["@timestamp"]; f != nil && f.typ != "date" && f.typ != "date_nanos" {
			e = newErr("illegal_argument_exception", "data stream timestamp field [@timestamp] is of type [%s], but [date,date_nanos] is expected", f.typ)
		}
	}
	if e == nil && settings["index.mode"] == "time_series" && settings["index.routing_path"] == nil && !hasDimensions(m) {
		e = newErr("illegal_argument_exception", "[index.mode=time_series] requires a non-empty [index.routing_path]")
	}
	if e != nil {
		rc.fail(400, newErr("invalid_index_template_exception", "index_template [%s] invalid, cause [%s]", name, e.Reason).cause(e))
		return
	}
	c.indexTemplates[name] = t
	rc.json(200, map[string]any{"acknowledged": true})
}

func (c *cluster) buildIndexTemplate(name string, body map[string]any) (*indexTemplate, *esError) {
	t := &indexTemplate{name: name, patterns: stringList(body["index_patterns"]), composedOf: stringList(body["composed_of"])}
	if len(t.patterns) == 0 {
		return nil, validation("index patterns are missing")
	}
	if v, ok := body["priority"]; ok {
		n, ok := asInt64(v)
		if !ok || n < 0 {
			return nil, validation("index template priority requires a value greater than or equal to zero")
		}
		t.priority = n
	}
	if ds, ok := body["data_stream"]; ok {
		m, _ := asMap(ds)
		t.dataStream = map[string]any{}
		for k, v := range m {
			t.dataStream[k] = v
		}
		if c.s.opts.Flavor == OpenSearch {
			if t.dataStream["timestamp_field"] == nil {
				t.dataStream["timestamp_field"] = map[string]any{"name": "@timestamp"}
			}
		} else {
			for _, k := range []string{"hidden", "allow_custom_routing"} {
				if t.dataStream[k] == nil {
					t.dataStream[k] = false
				}
			}
		}
	}
	tmpl, _ := asMap(body["template"])
	var e *esError
	if t.settings, t.mappings, e = c.s.templateBlock(tmpl); e != nil {
		return nil, e
	}
	t.body = normalizedBody(body, t.settings)
	if t.dataStream != nil {
		t.body["data_stream"] = t.dataStream
	}
	if t.body["composed_of"] == nil {
		t.body["composed_of"] = []any{}
	}
	return t, nil
}

// templateBlock validates a template's "template" object and returns its
// flat settings and raw mappings.
func (s *Server) templateBlock(tmpl map[string]any) (map[string]any, map[string]any, *esError) {
	if e := checkKeys(tmpl, "template", "settings", "mappings", "aliases", "lifecycle", "data_stream_options"); e != nil {
		return nil, nil, e
	}
	if _, ok := tmpl["lifecycle"]; ok && s.opts.Flavor == OpenSearch {
		return nil, nil, newErr("x_content_parse_exception", "[1:2] [template] unknown field [lifecycle]")
	}
	sm, _ := asMap(tmpl["settings"])
	flat := flattenSettings(sm)
	if e := s.checkSettings(flat); e != nil {
		return nil, nil, e
	}
	mraw, _ := asMap(tmpl["mappings"])
	if mraw != nil {
		if _, e := parseMapping(mraw); e != nil {
			return nil, nil, e
		}
	}
	return flat, mraw, nil
}

// normalizedBody is the stored template as GET shows it: settings nested
// with string values, the rest as given.
func normalizedBody(body, flat map[string]any) map[string]any {
	out := deepCopy(body).(map[string]any)
	if tmpl, ok := out["template"].(map[string]any); ok && tmpl["settings"] != nil {
		tmpl["settings"] = nestSettings(flat)
	}
	return out
}

// matchTemplate is the highest-priority index template matching name.
func (c *cluster) matchTemplate(name string) *indexTemplate {
	var best *indexTemplate
	for _, tn := range sortedKeys(c.indexTemplates) {
		t := c.indexTemplates[tn]
		for _, p := range t.patterns {
			if p == "*" && strings.HasPrefix(name, ".") {
				continue // global templates do not apply to hidden names
			}
			if globMatch(p, name) && (best == nil || t.priority > best.priority) {
				best = t
			}
		}
	}
	return best
}

// resolve composes a template: component templates in order, then its own
// template block, each later one winning.
func (c *cluster) resolve(t *indexTemplate) (map[string]any, map[string]any) {
	flat, mraw := map[string]any{}, map[string]any{}
	for _, cn := range t.composedOf {
		if ct := c.componentTemplates[cn]; ct != nil {
			flat = mergeFlat(flat, ct.settings)
			mraw = mergeMappings(mraw, ct.mappings)
		}
	}
	return mergeFlat(flat, t.settings), mergeMappings(mraw, t.mappings)
}

func hasDimensions(m *mapping) bool {
	for _, f := range m.fields {
		if f.dim {
			return true
		}
	}
	for _, dt := range m.dynTemplates {
		if d, _ := asBool(dt.mapping["time_series_dimension"]); d {
			return true
		}
	}
	return false
}

func overlap(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if globsOverlap(x, y) {
				return true
			}
		}
	}
	return false
}

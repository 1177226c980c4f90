package fakees

import (
	"net/http"
	"sort"
	"strings"
)

// flattenSettings normalises index settings the way ES stores them: nested
// objects and dotted keys become one flat map of "index.*" keys whose values
// are strings (lists stay lists of strings). {"index":{"mode":"x"}},
// {"index.mode":"x"} and {"mode":"x"} are all "index.mode" = "x".
func flattenSettings(in map[string]any) map[string]any {
	out := map[string]any{}
	var rec func(prefix string, m map[string]any)
	rec = func(prefix string, m map[string]any) {
		for k, v := range m {
			key := join(prefix, k)
			switch x := v.(type) {
			case map[string]any:
				rec(key, x)
			case nil:
			case []any:
				l := make([]any, 0, len(x))
				for _, e := range x {
					s, _ := asString(e)
					l = append(l, s)
				}
				out[normalizeSettingKey(key)] = l
			default:
				s, _ := asString(x)
				out[normalizeSettingKey(key)] = s
			}
		}
	}
	rec("", in)
	return out
}

func normalizeSettingKey(k string) string {
	if strings.HasPrefix(k, "index.") {
		return k
	}
	return "index." + k
}

// nestSettings turns flat settings back into the nested form GET APIs show.
func nestSettings(flat map[string]any) map[string]any {
	out := map[string]any{}
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts := strings.Split(k, ".")
		m := out
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = flat[k]
	}
	return out
}

// osUnknownSettings are Elasticsearch-only index settings; OpenSearch has
// no TSDS and no ILM and rejects them as unknown.
var osUnknownSettings = []string{
	"index.mode", "index.routing_path", "index.look_ahead_time", "index.look_back_time",
	"index.time_series.start_time", "index.time_series.end_time", "index.lifecycle.name",
	"index.lifecycle.rollover_alias", "index.lifecycle.origination_date", "index.lifecycle.parse_origination_date",
	"index.mapping.source.mode",
}

// checkSettings validates settings for the flavor.
func (s *Server) checkSettings(flat map[string]any) *esError {
	if s.opts.Flavor != OpenSearch {
		if m, ok := flat["index.mode"].(string); ok && m != "time_series" && m != "standard" && m != "logsdb" && m != "lookup" {
			return newErr("illegal_argument_exception", "failed to parse value [%s] for setting [index.mode], must be [standard, time_series, logsdb, lookup]", m)
		}
		return nil
	}
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, bad := range osUnknownSettings {
			if k == bad {
				return newErr("illegal_argument_exception", "unknown setting [%s] please check that any required plugins are installed, or check the breaking changes documentation for removed settings", k)
			}
		}
	}
	return nil
}

func mergeFlat(dst, src map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for k, v := range src {
		dst[k] = v
	}
	return dst
}

// handleSettings serves GET and PUT /{target}/_settings. A PUT merges the
// given settings into every index of the target (all backing indices of a
// data stream), as when a collector attaches a lifecycle policy later.
func (s *Server) handleSettings(rc *reqCtx) {
	target := rc.segs[0]
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
			out[ix.name] = map[string]any{"settings": nestSettings(ix.settings)}
		}
		rc.json(200, out)
		return
	}
	body, e := decodeBody(rc.body)
	if e != nil {
		rc.fail(400, e)
		return
	}
	if sm, ok := asMap(body["settings"]); ok && len(body) == 1 {
		body = sm
	}
	flat := flattenSettings(body)
	if e := s.checkSettings(flat); e != nil {
		rc.fail(400, e)
		return
	}
	for _, k := range []string{"index.number_of_shards", "index.mode", "index.uuid", "index.creation_date", "index.provided_name", "index.routing_path"} {
		if _, ok := flat[k]; ok {
			rc.fail(400, newErr("illegal_argument_exception", "final %s setting [%s], not updateable", target, k))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	indices, e := s.c.resolveTargets(target, false, true)
	if e != nil {
		rc.fail(404, e)
		return
	}
	for _, ix := range indices {
		ix.settings = mergeFlat(ix.settings, flat)
		ix.limit = totalFieldsLimit(ix.settings)
	}
	rc.json(200, map[string]any{"acknowledged": true})
}

package fakees

import (
	"sort"
	"strconv"
	"strings"
)

// field is one mapped field, addressed by its full dotted path; objects are
// fields too, so "host" and "host.name" are both entries.
type field struct {
	typ         string
	enabled     bool // objects: false keeps the subtree unparsed
	dim         bool // time_series_dimension
	format      string
	ignoreAbove int
	dynamic     string // objects: "", "true", "false", "strict", "runtime"
	multiOf     string // multi-field: the parent whose value it indexes
	def         map[string]any
}

func (f *field) isObject() bool { return f.typ == "object" || f.typ == "nested" }

// dynTemplate is one entry of mappings.dynamic_templates.
type dynTemplate struct {
	name                                   string
	matchTypes                             []string
	match, unmatch, pathMatch, pathUnmatch []string
	regex                                  bool
	mapping                                map[string]any
	raw                                    map[string]any
}

// mapping is an index's mapping. It is immutable once built: a document
// that adds fields produces a new mapping, so searches can use a snapshot
// without holding the cluster lock.
type mapping struct {
	fields           map[string]*field
	dynTemplates     []*dynTemplate
	dynamic          string
	dateDetection    bool
	numericDetection bool
	root             map[string]any // other root parameters, echoed by GET _mapping
}

var knownTypes = map[string]bool{
	"object": true, "nested": true, "flattened": true, "flat_object": true, "keyword": true, "constant_keyword": true,
	"wildcard": true, "text": true, "match_only_text": true, "search_as_you_type": true,
	"long": true, "integer": true, "short": true, "byte": true, "unsigned_long": true,
	"double": true, "float": true, "half_float": true, "scaled_float": true,
	"date": true, "date_nanos": true, "boolean": true, "ip": true, "binary": true,
	"geo_point": true, "geo_shape": true, "alias": true, "version": true, "histogram": true,
	"aggregate_metric_double": true, "dense_vector": true, "sparse_vector": true,
	"rank_feature": true, "rank_features": true, "completion": true, "token_count": true,
	"integer_range": true, "long_range": true, "float_range": true, "double_range": true,
	"date_range": true, "ip_range": true, "counted_keyword": true, "semantic_text": true,
}

var knownRootParams = map[string]bool{
	"properties": true, "dynamic_templates": true, "dynamic": true, "date_detection": true,
	"numeric_detection": true, "dynamic_date_formats": true, "_source": true, "_meta": true,
	"_routing": true, "runtime": true, "subobjects": true, "_data_stream_timestamp": true,
	"enabled": true, "_field_names": true, "_size": true,
}

// parseMapping builds a mapping from a mappings object as found in index
// templates and create-index bodies.
func parseMapping(raw map[string]any) (*mapping, *esError) {
	m := &mapping{fields: map[string]*field{}, dynamic: "true", dateDetection: true, root: map[string]any{}}
	var unknown []string
	for k, v := range raw {
		switch k {
		case "properties":
			props, ok := asMap(v)
			if !ok {
				return nil, newErr("mapper_parsing_exception", "Expected map for property [properties] but got [%v]", v)
			}
			if err := m.parseProps("", props); err != nil {
				return nil, err
			}
		case "dynamic_templates":
			if err := m.parseDynTemplates(v); err != nil {
				return nil, err
			}
		case "dynamic":
			m.dynamic, _ = asString(v)
			m.root[k] = v
		case "date_detection":
			m.dateDetection, _ = asBool(v)
			m.root[k] = v
		case "numeric_detection":
			m.numericDetection, _ = asBool(v)
			m.root[k] = v
		default:
			if !knownRootParams[k] {
				unknown = append(unknown, k+" : "+javaString(v))
				continue
			}
			m.root[k] = deepCopy(v)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, newErr("mapper_parsing_exception", "Root mapping definition has unsupported parameters:  [%s]", strings.Join(unknown, "] ["))
	}
	return m, nil
}

// parseProps adds the fields of a properties object below prefix. Dotted
// names ("host.name") are expanded into objects, as ES 8 does.
func (m *mapping) parseProps(prefix string, props map[string]any) *esError {
	for name, v := range props {
		def, ok := asMap(v)
		if !ok {
			return newErr("mapper_parsing_exception", "Expected map for property [fields] on field [%s] but got a class java.lang.String", name)
		}
		if name == "" || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") {
			return newErr("mapper_parsing_exception", "field name cannot be an empty string")
		}
		path := join(prefix, name)
		if strings.Contains(name, ".") {
			parts := strings.Split(name, ".")
			p := prefix
			for _, part := range parts[:len(parts)-1] {
				p = join(p, part)
				if _, ok := m.fields[p]; !ok {
					m.fields[p] = &field{typ: "object", enabled: true, def: map[string]any{}}
				}
			}
		}
		if err := m.addDef(path, def); err != nil {
			return err
		}
	}
	return nil
}

// addDef adds one field definition (and its properties or multi-fields).
func (m *mapping) addDef(path string, def map[string]any) *esError {
	f, err := fieldFromDef(path, def)
	if err != nil {
		return err
	}
	m.fields[path] = f
	if f.isObject() {
		if props, ok := asMap(def["properties"]); ok {
			if err := m.parseProps(path, props); err != nil {
				return err
			}
		}
		return nil
	}
	if subs, ok := asMap(def["fields"]); ok {
		for sub, sv := range subs {
			sdef, ok := asMap(sv)
			if !ok {
				continue
			}
			sf, err := fieldFromDef(path+"."+sub, sdef)
			if err != nil {
				return err
			}
			sf.multiOf = path
			m.fields[path+"."+sub] = sf
		}
	}
	return nil
}

func fieldFromDef(path string, def map[string]any) (*field, *esError) {
	typ, _ := asString(def["type"])
	if typ == "" {
		typ = "object"
	}
	if !knownTypes[typ] {
		return nil, newErr("mapper_parsing_exception", "No handler for type [%s] declared on field [%s]", typ, lastSegment(path))
	}
	f := &field{typ: typ, enabled: true, def: map[string]any{}}
	for k, v := range def {
		if k != "properties" && k != "fields" {
			f.def[k] = deepCopy(v)
		}
	}
	if b, ok := asBool(def["enabled"]); ok {
		f.enabled = b
	}
	f.dim, _ = asBool(def["time_series_dimension"])
	f.format, _ = asString(def["format"])
	if n, ok := asInt64(def["ignore_above"]); ok {
		f.ignoreAbove = int(n)
	}
	f.dynamic, _ = asString(def["dynamic"])
	return f, nil
}

func (m *mapping) parseDynTemplates(v any) *esError {
	list, ok := v.([]any)
	if !ok {
		return newErr("mapper_parsing_exception", "Dynamic template syntax error. An array of named objects is expected.")
	}
	for _, e := range list {
		obj, ok := asMap(e)
		if !ok || len(obj) != 1 {
			return newErr("mapper_parsing_exception", "Dynamic template syntax error. An array of named objects is expected.")
		}
		for name, body := range obj {
			b, ok := asMap(body)
			if !ok {
				return newErr("mapper_parsing_exception", "Dynamic template syntax error. An array of named objects is expected.")
			}
			dt := &dynTemplate{name: name, raw: obj,
				matchTypes: stringList(b["match_mapping_type"]), match: stringList(b["match"]),
				unmatch: stringList(b["unmatch"]), pathMatch: stringList(b["path_match"]),
				pathUnmatch: stringList(b["path_unmatch"])}
			mp, _ := asString(b["match_pattern"])
			dt.regex = mp == "regex"
			dt.mapping, _ = asMap(b["mapping"])
			if dt.mapping == nil {
				if _, rt := b["runtime"]; !rt {
					return newErr("mapper_parsing_exception", "template [%s] must have either mapping or runtime set", name)
				}
				dt.mapping = map[string]any{}
			}
			m.dynTemplates = append(m.dynTemplates, dt)
		}
	}
	return nil
}

// with returns a copy of m that also has the added fields.
func (m *mapping) with(added map[string]*field) *mapping {
	if len(added) == 0 {
		return m
	}
	c := *m
	c.fields = make(map[string]*field, len(m.fields)+len(added))
	for k, f := range m.fields {
		c.fields[k] = f
	}
	for k, f := range added {
		c.fields[k] = f
	}
	return &c
}

// definition rebuilds the nested mappings object GET _mapping returns.
func (m *mapping) definition() map[string]any {
	out := map[string]any{}
	for k, v := range m.root {
		out[k] = v
	}
	if len(m.dynTemplates) > 0 {
		dts := make([]any, len(m.dynTemplates))
		for i, dt := range m.dynTemplates {
			dts[i] = dt.raw
		}
		out["dynamic_templates"] = dts
	}
	paths := make([]string, 0, len(m.fields))
	for p := range m.fields {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	nodes := map[string]map[string]any{}
	props := map[string]any{}
	for _, p := range paths {
		f := m.fields[p]
		node := map[string]any{}
		for k, v := range f.def {
			node[k] = v
		}
		if f.typ != "object" || node["type"] != nil {
			node["type"] = f.typ
		}
		nodes[p] = node
		parent, leaf := splitLast(p)
		switch {
		case f.multiOf != "":
			pn := nodes[f.multiOf]
			subs, _ := pn["fields"].(map[string]any)
			if subs == nil {
				subs = map[string]any{}
				pn["fields"] = subs
			}
			subs[leaf] = node
		case parent == "":
			props[leaf] = node
		default:
			pn := nodes[parent]
			if pn == nil {
				props[p] = node
				continue
			}
			sub, _ := pn["properties"].(map[string]any)
			if sub == nil {
				sub = map[string]any{}
				pn["properties"] = sub
			}
			sub[leaf] = node
		}
	}
	if len(props) > 0 {
		out["properties"] = props
	}
	return out
}

// mergeMappings deep-merges src into dst (both raw mappings objects) the way
// composable templates combine: properties per field, dynamic templates by
// name, everything else replaced.
func mergeMappings(dst, src map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for k, v := range src {
		switch k {
		case "properties":
			dp, _ := dst[k].(map[string]any)
			sp, _ := v.(map[string]any)
			dst[k] = mergeProps(dp, sp)
		case "dynamic_templates":
			dl, _ := dst[k].([]any)
			sl, _ := v.([]any)
			dst[k] = mergeDynTemplates(dl, sl)
		default:
			dst[k] = deepCopy(v)
		}
	}
	return dst
}

func mergeProps(dst, src map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for name, v := range src {
		sv, _ := v.(map[string]any)
		dv, _ := dst[name].(map[string]any)
		if sv != nil && dv != nil && sv["properties"] != nil && dv["properties"] != nil {
			merged := deepCopy(sv).(map[string]any)
			merged["properties"] = mergeProps(deepCopy(dv["properties"]).(map[string]any), sv["properties"].(map[string]any))
			dst[name] = merged
			continue
		}
		dst[name] = deepCopy(v)
	}
	return dst
}

func mergeDynTemplates(dst, src []any) []any {
	nameOf := func(e any) string {
		if m, ok := e.(map[string]any); ok {
			for k := range m {
				return k
			}
		}
		return ""
	}
	out := make([]any, 0, len(dst)+len(src))
	for _, d := range dst {
		replaced := false
		for _, s := range src {
			if nameOf(s) == nameOf(d) {
				replaced = true
			}
		}
		if !replaced {
			out = append(out, d)
		}
	}
	for _, s := range src {
		out = append(out, deepCopy(s))
	}
	return out
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func splitLast(p string) (parent, leaf string) {
	i := strings.LastIndexByte(p, '.')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

func lastSegment(p string) string {
	_, l := splitLast(p)
	return l
}

// totalFieldsLimit reads index.mapping.total_fields.limit (default 1000).
func totalFieldsLimit(settings map[string]any) int {
	if s, ok := settings["index.mapping.total_fields.limit"].(string); ok {
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
	}
	return 1000
}

// isFlat: a field holding arbitrary keys as one value, Elasticsearch's
// flattened or OpenSearch's flat_object (accepted in either flavor here).
func isFlat(typ string) bool { return typ == "flattened" || typ == "flat_object" }

package fakees

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// fieldErr is a mapping failure found while walking a document. The
// position prefix ES 8 puts on the reason ("[1:23] ") is computed only when
// the document is rejected, so the success path stays cheap.
type fieldErr struct {
	path   string
	typ    string // "" = the flavor's document parsing exception
	reason string
	cause  *esError
	plain  bool // reason carries no position (illegal_argument_exception)
	// A value that does not fit its field type; the reason is rendered
	// late because a TSDS document's id is known only after the walk.
	fieldType, preview string
}

// dimValue is one time_series_dimension value of a document.
type dimValue struct{ path, value string }

// docCheck validates one document against a mapping, collecting the fields
// dynamic mapping would add and, for TSDS, the dimension values.
type docCheck struct {
	m           *mapping
	added       map[string]*field
	errs        []fieldErr
	dims        []dimValue
	collectDims bool
	id          string
	limit       int
}

func (c *docCheck) lookup(path string) *field {
	if f := c.added[path]; f != nil {
		return f
	}
	return c.m.fields[path]
}

func (c *docCheck) fail(e fieldErr) {
	if len(c.errs) < 16 {
		c.errs = append(c.errs, e)
	}
}

func (c *docCheck) walk(obj map[string]any, prefix, dyn string) {
	for k, v := range obj {
		if strings.TrimSpace(k) == "" {
			c.fail(fieldErr{path: join(prefix, k), reason: "field name cannot be an empty string"})
			continue
		}
		if strings.IndexByte(k, '.') < 0 {
			c.value(join(prefix, k), k, v, dyn)
			continue
		}
		parts := strings.Split(k, ".")
		p, d, stop := prefix, dyn, false
		for _, part := range parts[:len(parts)-1] {
			if part == "" {
				c.fail(fieldErr{path: join(prefix, k), reason: fmt.Sprintf("field name cannot contain only dots: [%s]", k)})
				stop = true
				break
			}
			p = join(p, part)
			f := c.lookup(p)
			if f == nil {
				switch d {
				case "strict":
					c.strict(p, part)
					stop = true
				case "false", "runtime":
					stop = true
				default:
					f = c.dynamicField(p, part, map[string]any{})
				}
				if f == nil {
					stop = true
					break
				}
			}
			if isFlat(f.typ) || (f.isObject() && !f.enabled) {
				stop = true
				break
			}
			if !f.isObject() {
				c.fail(fieldErr{path: join(prefix, k), reason: fmt.Sprintf("Could not dynamically add mapping for field [%s]. Existing mapping for [%s] must be of type object but found [%s].", join(prefix, k), p, f.typ)})
				stop = true
				break
			}
			if f.dynamic != "" {
				d = f.dynamic
			}
		}
		if !stop {
			c.value(join(prefix, k), parts[len(parts)-1], v, d)
		}
	}
}

func (c *docCheck) strict(path, leaf string) {
	parent, _ := splitLast(path)
	if parent == "" {
		parent = "_doc"
	}
	c.fail(fieldErr{path: path, typ: "strict_dynamic_mapping_exception",
		reason: fmt.Sprintf("mapping set to strict, dynamic introduction of [%s] within [%s] is not allowed", leaf, parent)})
}

func (c *docCheck) value(path, leaf string, v any, dyn string) {
	if v == nil {
		return
	}
	f := c.lookup(path)
	if f == nil {
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				c.value(path, leaf, e, dyn)
			}
			return
		}
		switch dyn {
		case "strict":
			c.strict(path, leaf)
			return
		case "false", "runtime":
			return
		}
		if f = c.dynamicField(path, leaf, v); f == nil {
			return
		}
	}
	c.checkValue(f, path, leaf, v, dyn)
}

func (c *docCheck) checkValue(f *field, path, leaf string, v any, dyn string) {
	switch {
	case v == nil:
	case f.isObject():
		if !f.enabled {
			return
		}
		if f.dynamic != "" {
			dyn = f.dynamic
		}
		switch x := v.(type) {
		case map[string]any:
			c.walk(x, path, dyn)
		case []any:
			for _, e := range x {
				if m, ok := e.(map[string]any); ok {
					c.walk(m, path, dyn)
				} else if e != nil {
					c.concreteIntoObject(path, leaf)
					return
				}
			}
		default:
			c.concreteIntoObject(path, leaf)
		}
	case isFlat(f.typ):
	default:
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				c.checkValue(f, path, leaf, e, dyn)
			}
			return
		}
		if cause := coerceCheck(f, v); cause != nil {
			c.fail(fieldErr{path: path, cause: cause, fieldType: f.typ, preview: javaString(v)})
			return
		}
		if c.collectDims && f.dim {
			s, _ := asString(v)
			c.dims = append(c.dims, dimValue{path, s})
		}
	}
}

func (c *docCheck) concreteIntoObject(path, leaf string) {
	c.fail(fieldErr{path: path, reason: fmt.Sprintf("object mapping for [%s] tried to parse field [%s] as object, but found a concrete value", path, leaf)})
}

// dynamicField maps a new field from its first value: dynamic templates
// first, then ES's defaults (strings become text with a keyword sub-field).
func (c *docCheck) dynamicField(path, leaf string, v any) *field {
	kind := c.kindOf(v)
	var def map[string]any
	for _, dt := range c.m.dynTemplates {
		if dt.matches(path, leaf, kind) {
			def = dt.instantiate(leaf, kind)
			break
		}
	}
	if def == nil {
		def = defaultDynamicDef(kind)
	}
	tmp := &mapping{fields: map[string]*field{}}
	if err := tmp.addDef(path, def); err != nil {
		c.fail(fieldErr{path: path, typ: "mapper_parsing_exception", reason: err.Reason, plain: true})
		return nil
	}
	if c.added == nil {
		c.added = map[string]*field{}
	}
	for p, f := range tmp.fields {
		c.added[p] = f
	}
	if len(c.m.fields)+len(c.added) > c.limit {
		c.fail(fieldErr{path: path, typ: "illegal_argument_exception", plain: true,
			reason: fmt.Sprintf("Limit of total fields [%d] has been exceeded while adding new fields [%d]", c.limit, len(c.added))})
		return nil
	}
	return tmp.fields[path]
}

// kindOf is the match_mapping_type of a new value.
func (c *docCheck) kindOf(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return "object"
	case bool:
		return "boolean"
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return "double"
		}
		return "long"
	case string:
		if c.m.dateDetection && looksLikeDate(x) {
			return "date"
		}
		if c.m.numericDetection {
			if _, err := strconv.ParseInt(x, 10, 64); err == nil {
				return "long"
			}
			if _, err := strconv.ParseFloat(x, 64); err == nil {
				return "double"
			}
		}
	}
	return "string"
}

// dynamicType is what {dynamic_type} and a type-less template mean.
func dynamicType(kind string) string {
	switch kind {
	case "string":
		return "text"
	case "double":
		return "float"
	}
	return kind
}

func defaultDynamicDef(kind string) map[string]any {
	switch kind {
	case "object":
		return map[string]any{}
	case "string":
		return map[string]any{"type": "text", "fields": map[string]any{"keyword": map[string]any{"type": "keyword", "ignore_above": json.Number("256")}}}
	}
	return map[string]any{"type": dynamicType(kind)}
}

func (dt *dynTemplate) matches(path, leaf, kind string) bool {
	if len(dt.matchTypes) > 0 {
		ok := false
		for _, t := range dt.matchTypes {
			if t == "*" || t == kind {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	m := func(pats []string, s string) bool {
		for _, p := range pats {
			if dt.regex {
				if ok, _ := regexp.MatchString(p, s); ok {
					return true
				}
			} else if globMatch(p, s) {
				return true
			}
		}
		return false
	}
	if len(dt.match) > 0 && !m(dt.match, leaf) || len(dt.unmatch) > 0 && m(dt.unmatch, leaf) {
		return false
	}
	if len(dt.pathMatch) > 0 && !m(dt.pathMatch, path) || len(dt.pathUnmatch) > 0 && m(dt.pathUnmatch, path) {
		return false
	}
	return true
}

func (dt *dynTemplate) instantiate(leaf, kind string) map[string]any {
	var sub func(v any) any
	sub = func(v any) any {
		switch x := v.(type) {
		case string:
			return strings.ReplaceAll(strings.ReplaceAll(x, "{name}", leaf), "{dynamic_type}", dynamicType(kind))
		case map[string]any:
			m := make(map[string]any, len(x))
			for k, e := range x {
				m[k] = sub(e)
			}
			return m
		case []any:
			s := make([]any, len(x))
			for i, e := range x {
				s[i] = sub(e)
			}
			return s
		}
		return v
	}
	def := sub(dt.mapping).(map[string]any)
	if _, ok := def["type"]; !ok && kind != "object" {
		def["type"] = dynamicType(kind)
	}
	return def
}

package fakees

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// values returns the field's mapping and its values in the document;
// unmapped fields (dynamic:false, disabled objects) have no values, as they
// are not indexed.
func (h *hit) values(path string) (*field, []any) {
	switch path {
	case "_id":
		return metaKeyword, []any{h.e.id}
	case "_index":
		return metaKeyword, []any{h.index}
	}
	f, srcPath := h.m.resolve(path)
	if f == nil {
		return nil, nil
	}
	return f, lookupPath(h.src, srcPath, nil)
}

var metaKeyword = &field{typ: "keyword"}

// resolve finds the mapping of a searchable path and where its value lives
// in the source (a multi-field reads its parent).
func (m *mapping) resolve(path string) (*field, string) {
	if f := m.fields[path]; f != nil {
		if f.multiOf != "" {
			return f, f.multiOf
		}
		return f, path
	}
	for p := path; ; {
		parent, _ := splitLast(p)
		if parent == "" {
			return nil, ""
		}
		if pf := m.fields[parent]; pf != nil {
			if isFlat(pf.typ) {
				return &field{typ: "keyword"}, path
			}
			return nil, ""
		}
		p = parent
	}
}

// lookupPath collects the values at a dotted path, whether the source
// spells it with dotted keys, nested objects or arrays of objects.
func lookupPath(v any, path string, out []any) []any {
	switch x := v.(type) {
	case map[string]any:
		if e, ok := x[path]; ok {
			out = appendFlat(out, e)
		}
		for i := 0; i < len(path); i++ {
			if path[i] == '.' {
				if e, ok := x[path[:i]]; ok {
					out = lookupPath(e, path[i+1:], out)
				}
			}
		}
	case []any:
		for _, e := range x {
			out = lookupPath(e, path, out)
		}
	}
	return out
}

func appendFlat(out []any, v any) []any {
	switch x := v.(type) {
	case nil:
	case []any:
		for _, e := range x {
			out = appendFlat(out, e)
		}
	default:
		out = append(out, v)
	}
	return out
}

func isText(t string) bool { return t == "text" || t == "match_only_text" || t == "search_as_you_type" }

func isNumeric(t string) bool {
	switch t {
	case "long", "integer", "short", "byte", "unsigned_long", "double", "float", "half_float", "scaled_float":
		return true
	}
	return false
}

// analyze approximates the standard analyzer: lower-cased letter and digit runs.
func analyze(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// terms are the indexed terms of one value.
func terms(f *field, v any) []string {
	s, ok := asString(v)
	if !ok {
		return nil
	}
	if isText(f.typ) {
		return analyze(s)
	}
	if f.ignoreAbove > 0 && len(s) > f.ignoreAbove {
		return nil
	}
	return []string{s}
}

// termEq compares an indexed value with a query value in the field's type.
func termEq(f *field, v, q any, ci bool, now time.Time) bool {
	if f == nil {
		return false
	}
	switch {
	case isNumeric(f.typ):
		a, ok1 := asFloat(v)
		b, ok2 := asFloat(q)
		return ok1 && ok2 && a == b
	case f.typ == "date" || f.typ == "date_nanos":
		a, ok1 := parseDate(v, f.format)
		b, ok2 := parseDateMath(q, f.format, now, false)
		return ok1 && ok2 && a == b
	case f.typ == "boolean":
		return boolish(v) == boolish(q)
	case f.typ == "ip":
		a, err1 := netip.ParseAddr(fmt.Sprint(v))
		qs := fmt.Sprint(q)
		if p, err := netip.ParsePrefix(qs); err == nil {
			return err1 == nil && p.Contains(a)
		}
		b, err2 := netip.ParseAddr(qs)
		return err1 == nil && err2 == nil && a == b
	}
	qs, ok := asString(q)
	if !ok {
		return false
	}
	for _, t := range terms(f, v) {
		if t == qs || ci && strings.EqualFold(t, qs) {
			return true
		}
	}
	return false
}

func boolish(v any) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case string:
		if x == "" {
			return "false"
		}
		return x
	}
	return fmt.Sprint(v)
}

// compareTo orders an indexed value against a range bound.
func compareTo(f *field, v, bound any, format string, now time.Time, roundUp bool) (int, bool) {
	if f == nil {
		return 0, false
	}
	cmpF := func(a, b float64) int {
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	switch {
	case isNumeric(f.typ):
		a, ok1 := asFloat(v)
		b, ok2 := asFloat(bound)
		return cmpF(a, b), ok1 && ok2
	case f.typ == "date" || f.typ == "date_nanos":
		if format == "" {
			format = f.format
		}
		a, ok1 := parseDate(v, f.format)
		b, ok2 := parseDateMath(bound, format, now, roundUp)
		return cmpF(float64(a), float64(b)), ok1 && ok2
	case f.typ == "ip":
		a, err1 := netip.ParseAddr(fmt.Sprint(v))
		b, err2 := netip.ParseAddr(fmt.Sprint(bound))
		return a.Compare(b), err1 == nil && err2 == nil
	}
	a, ok1 := asString(v)
	b, ok2 := asString(bound)
	return strings.Compare(a, b), ok1 && ok2
}

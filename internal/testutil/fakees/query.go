package fakees

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// hit is one candidate document while a query is evaluated.
type hit struct {
	m     *mapping
	src   map[string]any
	e     *docEntry
	index string
}

type matcher func(h *hit) bool

func parsingErr(format string, args ...any) *esError {
	return newErr("parsing_exception", format, args...).with("line", 1).with("col", 1)
}

// compileQuery turns a query DSL object into a matcher. Unknown queries
// are refused so that nobody relies silently on unimplemented search.
func compileQuery(q any, now time.Time) (matcher, *esError) {
	obj, ok := asMap(q)
	if !ok || len(obj) != 1 {
		return nil, parsingErr("[_na] query malformed, must start with start_object and contain exactly one query")
	}
	for typ, body := range obj {
		switch typ {
		case "match_all":
			return func(*hit) bool { return true }, nil
		case "match_none":
			return func(*hit) bool { return false }, nil
		case "bool":
			return compileBool(body, now)
		case "constant_score":
			m, _ := asMap(body)
			return compileQuery(m["filter"], now)
		case "ids":
			m, _ := asMap(body)
			ids := map[string]bool{}
			for _, id := range stringList(m["values"]) {
				ids[id] = true
			}
			return func(h *hit) bool { return ids[h.e.id] }, nil
		case "exists":
			m, _ := asMap(body)
			f, ok := asString(m["field"])
			if !ok {
				return nil, parsingErr("[exists] must be provided with a [field]")
			}
			return func(h *hit) bool { _, vals := h.values(f); return len(vals) > 0 }, nil
		case "term", "prefix", "wildcard", "match", "range", "terms":
			return compileFieldQuery(typ, body, now)
		default:
			return nil, parsingErr("unknown query [%s]", typ)
		}
	}
	return nil, nil
}

func compileBool(body any, now time.Time) (matcher, *esError) {
	m, ok := asMap(body)
	if !ok {
		return nil, parsingErr("[bool] query malformed")
	}
	clauses := map[string][]matcher{}
	for _, k := range sortedKeys(m) {
		switch k {
		case "must", "filter", "should", "must_not":
			list, isList := m[k].([]any)
			if !isList {
				list = []any{m[k]}
			}
			for _, q := range list {
				mt, e := compileQuery(q, now)
				if e != nil {
					return nil, e
				}
				clauses[k] = append(clauses[k], mt)
			}
		case "minimum_should_match", "boost", "_name", "adjust_pure_negative":
		default:
			return nil, parsingErr("[bool] query does not support [%s]", k)
		}
	}
	msm := 0
	if len(clauses["should"]) > 0 && len(clauses["must"]) == 0 && len(clauses["filter"]) == 0 {
		msm = 1
	}
	if v, ok := m["minimum_should_match"]; ok {
		s, _ := asString(v)
		if strings.HasSuffix(s, "%") {
			p, _ := strconv.Atoi(strings.TrimSuffix(s, "%"))
			msm = len(clauses["should"]) * p / 100
			if p < 0 {
				msm = len(clauses["should"]) + len(clauses["should"])*p/100
			}
		} else if n, err := strconv.Atoi(s); err == nil {
			msm = n
			if n < 0 {
				msm = len(clauses["should"]) + n
			}
		}
	}
	return func(h *hit) bool {
		for _, c := range clauses["must"] {
			if !c(h) {
				return false
			}
		}
		for _, c := range clauses["filter"] {
			if !c(h) {
				return false
			}
		}
		for _, c := range clauses["must_not"] {
			if c(h) {
				return false
			}
		}
		n := 0
		for _, c := range clauses["should"] {
			if n >= msm {
				break
			}
			if c(h) {
				n++
			}
		}
		return n >= msm
	}, nil
}

// compileFieldQuery handles the queries of the form {"type":{"field":X}}.
func compileFieldQuery(typ string, body any, now time.Time) (matcher, *esError) {
	m, ok := asMap(body)
	if !ok {
		return nil, parsingErr("[%s] query malformed, no start_object after query name", typ)
	}
	var fieldName string
	var arg any
	for _, k := range sortedKeys(m) {
		if k == "boost" || k == "_name" {
			continue
		}
		if fieldName != "" {
			return nil, parsingErr("[%s] query doesn't support multiple fields, found [%s] and [%s]", typ, fieldName, k)
		}
		fieldName, arg = k, m[k]
	}
	if fieldName == "" {
		return nil, parsingErr("[%s] query requires a field", typ)
	}
	opts, isObj := asMap(arg)
	value := arg
	ci := false
	if isObj && typ != "range" {
		key := "value"
		if typ == "match" {
			key = "query"
		}
		if typ == "wildcard" && opts["value"] == nil {
			key = "wildcard"
		}
		value = opts[key]
		ci, _ = asBool(opts["case_insensitive"])
	}
	switch typ {
	case "term":
		return func(h *hit) bool {
			f, vals := h.values(fieldName)
			for _, v := range vals {
				if termEq(f, v, value, ci, now) {
					return true
				}
			}
			return false
		}, nil
	case "terms":
		list, ok := arg.([]any)
		if !ok {
			return nil, parsingErr("[terms] query does not support [%s]", fieldName)
		}
		return func(h *hit) bool {
			f, vals := h.values(fieldName)
			for _, v := range vals {
				for _, q := range list {
					if termEq(f, v, q, false, now) {
						return true
					}
				}
			}
			return false
		}, nil
	case "prefix", "wildcard":
		s, _ := asString(value)
		var re *regexp.Regexp
		if typ == "wildcard" {
			pat := regexp.QuoteMeta(s)
			pat = strings.ReplaceAll(strings.ReplaceAll(pat, `\*`, ".*"), `\?`, ".")
			if ci {
				pat = "(?i)" + pat
			}
			re = regexp.MustCompile("^" + pat + "$")
		}
		return func(h *hit) bool {
			f, vals := h.values(fieldName)
			for _, v := range vals {
				for _, t := range terms(f, v) {
					if re != nil && re.MatchString(t) || re == nil && (strings.HasPrefix(t, s) || ci && strings.HasPrefix(strings.ToLower(t), strings.ToLower(s))) {
						return true
					}
				}
			}
			return false
		}, nil
	case "match":
		and := isObj && opts["operator"] != nil && strings.EqualFold(fmt.Sprint(opts["operator"]), "and")
		return func(h *hit) bool {
			f, vals := h.values(fieldName)
			if f == nil || !isText(f.typ) {
				for _, v := range vals {
					if termEq(f, v, value, false, now) {
						return true
					}
				}
				return false
			}
			s, _ := asString(value)
			want := analyze(s)
			have := map[string]bool{}
			for _, v := range vals {
				vs, _ := asString(v)
				for _, t := range analyze(vs) {
					have[t] = true
				}
			}
			n := 0
			for _, t := range want {
				if have[t] {
					n++
				}
			}
			return len(want) > 0 && (n == len(want) || !and && n > 0)
		}, nil
	case "range":
		if !isObj {
			return nil, parsingErr("[range] query malformed, no start_object after query name")
		}
		return compileRange(fieldName, opts, now)
	}
	return nil, parsingErr("unknown query [%s]", typ)
}

func compileRange(fieldName string, opts map[string]any, now time.Time) (matcher, *esError) {
	format, _ := asString(opts["format"])
	type bound struct {
		v       any
		op      string
		roundUp bool
	}
	var bounds []bound
	for _, k := range sortedKeys(opts) {
		switch k {
		case "gte", "gt", "lte", "lt":
			if opts[k] != nil {
				bounds = append(bounds, bound{opts[k], k, k == "gt" || k == "lte"})
			}
		case "from", "to":
			if opts[k] != nil {
				op := "gte"
				if k == "to" {
					op = "lte"
				}
				bounds = append(bounds, bound{opts[k], op, op == "lte"})
			}
		case "format", "boost", "time_zone", "relation", "include_lower", "include_upper", "_name":
		default:
			return nil, parsingErr("[range] query does not support [%s]", k)
		}
	}
	return func(h *hit) bool {
		f, vals := h.values(fieldName)
	next:
		for _, v := range vals {
			for _, b := range bounds {
				c, ok := compareTo(f, v, b.v, format, now, b.roundUp)
				if !ok {
					continue next
				}
				switch b.op {
				case "gte":
					ok = c >= 0
				case "gt":
					ok = c > 0
				case "lte":
					ok = c <= 0
				case "lt":
					ok = c < 0
				}
				if !ok {
					continue next
				}
			}
			return true
		}
		return false
	}, nil
}

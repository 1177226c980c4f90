package fakees

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// decodeJSON decodes one JSON value, keeping numbers as json.Number so that
// integers stay exact and "long vs float" can be told apart like ES does.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errTrailing
	}
	return nil
}

var errTrailing = &esError{Type: "x_content_parse_exception", Reason: "unexpected data after the end of the JSON object"}

// decodeBody decodes an optional JSON object request body.
func decodeBody(body []byte) (map[string]any, *esError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	var m map[string]any
	if err := decodeJSON(body, &m); err != nil || m == nil {
		return nil, newErr("x_content_parse_exception", "[1:1] failed to parse request body: %v", err)
	}
	return m, nil
}

func asMap(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

func asString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		if f, err := x.Float64(); err == nil {
			return int64(f), true
		}
	case float64:
		return int64(x), true
	case int:
		return int64(x), true
	case int64:
		return x, true
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func asBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch x {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// stringList accepts "a", "a,b" or ["a","b"], as ES does for list
// parameters such as index_patterns or _source.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return splitComma(x)
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := asString(e); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func splitComma(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// deepCopy copies decoded JSON so stored state never aliases a caller's map.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

// globMatch matches ES's simple wildcard patterns, where only '*' is special.
func globMatch(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}

func anyGlob(patterns []string, s string) bool {
	for _, p := range patterns {
		if globMatch(p, s) {
			return true
		}
	}
	return false
}

// globsOverlap reports whether some name matches both patterns; ES refuses
// two index templates of equal priority whose patterns overlap.
func globsOverlap(a, b string) bool {
	memo := map[[2]int]bool{}
	var rec func(i, j int) bool
	rec = func(i, j int) bool {
		key := [2]int{i, j}
		if v, ok := memo[key]; ok {
			return v
		}
		var r bool
		switch {
		case i == len(a) && j == len(b):
			r = true
		case i < len(a) && a[i] == '*':
			r = rec(i+1, j) || (j < len(b) && rec(i, j+1))
		case j < len(b) && b[j] == '*':
			r = rec(i, j+1) || (i < len(a) && rec(i+1, j))
		case i < len(a) && j < len(b):
			r = a[i] == b[j] && rec(i+1, j+1)
		}
		memo[key] = r
		return r
	}
	return rec(0, 0)
}

// validateIndexName applies ES's rules for index and data stream names.
func validateIndexName(name string) *esError {
	switch {
	case name == "":
		return invalidIndexName(name, "must not be empty")
	case strings.ToLower(name) != name:
		return invalidIndexName(name, "must be lowercase")
	case strings.ContainsAny(name, "\\/*?\"<>| ,#:"):
		return invalidIndexName(name, "must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?]")
	case strings.HasPrefix(name, "_") || strings.HasPrefix(name, "-") || strings.HasPrefix(name, "+"):
		return invalidIndexName(name, "must not start with '_', '-', or '+'")
	case name == "." || name == "..":
		return invalidIndexName(name, "must not be '.' or '..'")
	case len(name) > 255:
		return invalidIndexName(name, "index name is too long")
	}
	return nil
}

var idCounter atomic.Uint64

// newID returns a 20-character URL-safe id like ES's auto-generated ones;
// a counter keeps them unique and roughly time ordered.
func newID() string {
	var b [15]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16|idCounter.Add(1)&0xffff)
	_, _ = rand.Read(b[8:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newUUID returns a 22-character id like ES's index and cluster UUIDs.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// isoMillis formats a time the way ES prints dates in messages and APIs.
func isoMillis(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func jsonInt(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pickNames expands a name parameter (comma list, wildcards, empty = all);
// a concrete name that does not exist is a 404.
func pickNames(all []string, param, notFound string) ([]string, *esError) {
	if param == "" || param == "*" || param == "_all" {
		return all, nil
	}
	var out []string
	for _, p := range splitComma(param) {
		found := false
		for _, n := range all {
			if globMatch(p, n) && !contains(out, n) {
				out = append(out, n)
				found = true
			} else if globMatch(p, n) {
				found = true
			}
		}
		if !found && !strings.Contains(p, "*") {
			return nil, newErr("resource_not_found_exception", notFound, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

func nameParam(rc *reqCtx, i int) string {
	if len(rc.segs) > i {
		return rc.segs[i]
	}
	return ""
}

// checkKeys refuses unknown top-level keys like ES's object parsers do.
func checkKeys(m map[string]any, parser string, allowed ...string) *esError {
	for _, k := range sortedKeys(m) {
		if !contains(allowed, k) {
			return newErr("x_content_parse_exception", "[1:2] [%s] unknown field [%s]", parser, k)
		}
	}
	return nil
}

func listString(l []string) string { return "[" + strings.Join(l, ", ") + "]" }

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

package fakees

import (
	"bytes"
	"encoding/json"
	"strings"
)

// filterPath applies ES's filter_path response filtering: comma-separated
// dotted paths where '*' matches within one key and '**' any depth, and a
// leading '-' excludes. Objects and arrays left empty are dropped, and a
// filter that matches nothing yields {}.
func filterPath(data []byte, spec string) []byte {
	var incl, excl [][]string
	for _, p := range splitComma(spec) {
		if strings.HasPrefix(p, "-") {
			excl = append(excl, strings.Split(p[1:], "."))
		} else {
			incl = append(incl, strings.Split(p, "."))
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return data
	}
	if len(incl) > 0 {
		var ok bool
		if v, ok = include(v, incl); !ok {
			v = map[string]any{}
		}
	}
	if len(excl) > 0 {
		if v = exclude(v, excl); v == nil {
			v = map[string]any{}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// advance returns the patterns that continue below key, and whether one of
// them ends at key (keep the whole value).
func advance(pats [][]string, key string) (next [][]string, whole bool) {
	for _, p := range pats {
		if len(p) == 0 {
			continue
		}
		if p[0] == "**" {
			next = append(next, p) // ** may absorb this key too
			if len(p) > 1 && globMatch(p[1], key) {
				if len(p) == 2 {
					whole = true
				} else {
					next = append(next, p[2:])
				}
			}
			continue
		}
		if globMatch(p[0], key) {
			if len(p) == 1 {
				whole = true
			} else {
				next = append(next, p[1:])
			}
		}
	}
	return next, whole
}

func include(v any, pats [][]string) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			next, whole := advance(pats, k)
			if whole {
				out[k] = e
				continue
			}
			if len(next) > 0 {
				if sub, ok := include(e, next); ok {
					out[k] = sub
				}
			}
		}
		return out, len(out) > 0
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if sub, ok := include(e, pats); ok {
				out = append(out, sub)
			}
		}
		return out, len(out) > 0
	}
	return nil, false
}

func exclude(v any, pats [][]string) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			next, whole := advance(pats, k)
			if whole {
				continue
			}
			if len(next) > 0 {
				if sub := exclude(e, next); sub != nil {
					out[k] = sub
				}
				continue
			}
			out[k] = e
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			out = append(out, exclude(e, pats))
		}
		return out
	}
	return v
}

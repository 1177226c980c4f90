package fakees

import (
	"net/url"
)

// srcFilter is _source filtering: includes and excludes are full dotted
// paths with '*' wildcards; an object matched by an include is kept whole.
type srcFilter struct{ includes, excludes []string }

// sourceFilter reads _source from the request body value and the
// _source/_source_includes/_source_excludes parameters. keep is false when
// the source is not wanted at all; a nil filter means the whole source.
func sourceFilter(q url.Values, v any) (*srcFilter, bool) {
	if p, ok := q["_source"]; ok && len(p) > 0 {
		v = p[0]
	}
	f := &srcFilter{}
	switch x := v.(type) {
	case bool:
		if !x {
			return nil, false
		}
	case string:
		switch x {
		case "false":
			return nil, false
		case "true", "":
		default:
			f.includes = splitComma(x)
		}
	case []any:
		f.includes = stringList(x)
	case map[string]any:
		f.includes = append(stringList(x["includes"]), stringList(x["include"])...)
		f.excludes = append(stringList(x["excludes"]), stringList(x["exclude"])...)
	}
	f.includes = append(f.includes, splitComma(q.Get("_source_includes"))...)
	f.excludes = append(f.excludes, splitComma(q.Get("_source_excludes"))...)
	if len(f.includes) == 0 && len(f.excludes) == 0 {
		return nil, true
	}
	return f, true
}

func (f *srcFilter) apply(src map[string]any) map[string]any {
	return f.filter(src, "", len(f.includes) == 0)
}

func (f *srcFilter) filter(m map[string]any, prefix string, included bool) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		path := join(prefix, k)
		if anyGlob(f.excludes, path) {
			continue
		}
		in := included || anyGlob(f.includes, path)
		switch x := v.(type) {
		case map[string]any:
			if sub := f.filter(x, path, in); len(sub) > 0 || in && len(x) == 0 {
				out[k] = sub
			}
		case []any:
			var arr []any
			for _, e := range x {
				if em, ok := e.(map[string]any); ok {
					if sub := f.filter(em, path, in); len(sub) > 0 {
						arr = append(arr, sub)
					}
				} else if in {
					arr = append(arr, e)
				}
			}
			if arr != nil || in {
				if arr == nil {
					arr = []any{}
				}
				out[k] = arr
			}
		default:
			if in {
				out[k] = v
			}
		}
	}
	return out
}

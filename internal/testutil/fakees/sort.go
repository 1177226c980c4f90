package fakees

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// sortSpec is one entry of a search's sort.
type sortSpec struct {
	field        string
	desc         bool
	missingFirst bool
	unmappedType string
}

// sortKey is a document's value for one sort entry: a number (dates as
// epoch millis), a string, or missing.
type sortKey struct {
	missing bool
	isStr   bool
	num     float64
	str     string
}

func parseSorts(v any) ([]sortSpec, *esError) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	var out []sortSpec
	for _, e := range list {
		switch x := e.(type) {
		case string:
			out = append(out, sortSpec{field: x, desc: x == "_score"})
		case map[string]any:
			for f, o := range x {
				sp := sortSpec{field: f, desc: f == "_score"}
				opts, isObj := asMap(o)
				order, _ := asString(o)
				if isObj {
					order, _ = asString(opts["order"])
					m, _ := asString(opts["missing"])
					sp.missingFirst = m == "_first"
					sp.unmappedType, _ = asString(opts["unmapped_type"])
				}
				switch order {
				case "desc":
					sp.desc = true
				case "asc":
					sp.desc = false
				case "":
				default:
					return nil, newErr("illegal_argument_exception", "Unknown SortOrder [%s]", order)
				}
				out = append(out, sp)
			}
		default:
			return nil, parsingErr("[sort] malformed")
		}
	}
	return out, nil
}

// checkSortable refuses sorts ES refuses: unmapped fields without
// unmapped_type and text fields (no fielddata).
func (s *Server) checkSortable(req *searchReq, indices []*index) *esError {
	for _, sp := range req.sorts {
		if sp.field == "_doc" || sp.field == "_score" || sp.field == "_shard_doc" || sp.unmappedType != "" || len(indices) == 0 {
			continue
		}
		mapped := false
		for _, ix := range indices {
			f, _ := ix.mapping.resolve(sp.field)
			if f == nil {
				continue
			}
			if isText(f.typ) {
				return shardFailure(newErr("illegal_argument_exception", "Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [%s] in order to load field data by uninverting the inverted index. Note that this can use significant memory.", sp.field))
			}
			mapped = true
		}
		if !mapped {
			return shardFailure(newErr("query_shard_exception", "No mapping found for [%s] in order to sort on", sp.field).with("index_uuid", indices[0].uuid).with("index", indices[0].name))
		}
	}
	return nil
}

func sortKeys(h *hit, sorts []sortSpec) []sortKey {
	keys := make([]sortKey, len(sorts))
	for i, sp := range sorts {
		switch sp.field {
		case "_doc", "_shard_doc":
			keys[i] = sortKey{num: float64(h.e.ord)}
			continue
		case "_score":
			keys[i] = sortKey{num: 1}
			continue
		}
		f, vals := h.values(sp.field)
		k := sortKey{missing: true}
		for _, v := range vals {
			var c sortKey
			switch {
			case f.typ == "date" || f.typ == "date_nanos":
				ms, ok := parseDate(v, f.format)
				if !ok {
					continue
				}
				c = sortKey{num: float64(ms)}
			case f.typ == "boolean":
				c = sortKey{num: map[bool]float64{true: 1}[boolish(v) == "true"]}
			case isNumeric(f.typ):
				n, ok := asFloat(v)
				if !ok {
					continue
				}
				c = sortKey{num: n}
			default:
				s, ok := asString(v)
				if !ok {
					continue
				}
				c = sortKey{isStr: true, str: s}
			}
			if k.missing || (sp.desc && cmpKey(c, k) > 0) || (!sp.desc && cmpKey(c, k) < 0) {
				k = c
			}
		}
		if k.missing && f != nil && (isNumeric(f.typ) || intLike(f.typ)) {
			// ES sorts a missing number as the extreme value of the type,
			// which is also what it returns in "sort" and takes back in
			// search_after.
			high := sp.desc == sp.missingFirst
			ext := math.MaxFloat64
			if intLike(f.typ) {
				ext = math.MaxInt64
			}
			if !high {
				ext = -ext
			}
			k = sortKey{num: ext}
		}
		keys[i] = k
	}
	return keys
}

// intLike types have integer sort values (dates are epoch millis).
func intLike(t string) bool {
	switch t {
	case "date", "date_nanos", "boolean", "long", "integer", "short", "byte", "unsigned_long":
		return true
	}
	return false
}

func cmpKey(a, b sortKey) int {
	switch {
	case a.isStr != b.isStr:
		if a.isStr {
			return 1
		}
		return -1
	case a.isStr:
		return strings.Compare(a.str, b.str)
	case a.num < b.num:
		return -1
	case a.num > b.num:
		return 1
	}
	return 0
}

// compareKeys orders two sort tuples; missing values go last unless
// "missing":"_first", whatever the order.
func compareKeys(a, b []sortKey, sorts []sortSpec) int {
	for i, sp := range sorts {
		x, y := a[i], b[i]
		switch {
		case x.missing && y.missing:
			continue
		case x.missing || y.missing:
			if x.missing == sp.missingFirst {
				return -1
			}
			return 1
		}
		c := cmpKey(x, y)
		if sp.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func afterKeys(vals []any) []sortKey {
	keys := make([]sortKey, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case nil:
			keys[i] = sortKey{missing: true}
		case string:
			if n, err := strconv.ParseFloat(x, 64); err == nil {
				keys[i] = sortKey{num: n}
			} else {
				keys[i] = sortKey{isStr: true, str: x}
			}
		case bool:
			keys[i] = sortKey{num: map[bool]float64{true: 1}[x]}
		default:
			n, _ := asFloat(v)
			keys[i] = sortKey{num: n}
		}
	}
	return keys
}

// hitOut is one search hit as ES renders it.
type hitOut struct {
	Index       string `json:"_index"`
	ID          string `json:"_id"`
	Version     *int64 `json:"_version,omitempty"`
	SeqNo       *int64 `json:"_seq_no,omitempty"`
	PrimaryTerm *int64 `json:"_primary_term,omitempty"`
	Score       any    `json:"_score"`
	Source      any    `json:"_source,omitempty"`
	Sort        []any  `json:"sort,omitempty"`
}

func clampInt(f float64) int64 {
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

func renderHit(req *searchReq, c candidate) hitOut {
	h := hitOut{Index: c.h.index, ID: c.h.e.id}
	if req.version {
		h.Version = &c.h.e.version
	}
	if req.seqNo {
		h.SeqNo, h.PrimaryTerm = &c.h.e.seqNo, &c.h.e.primaryTerm
	}
	if req.keepSource {
		if req.src != nil {
			h.Source = req.src.apply(c.h.src)
		} else {
			h.Source = json.RawMessage(c.h.e.raw)
		}
	}
	if len(req.sorts) == 0 {
		h.Score = 1.0
		return h
	}
	h.Sort = make([]any, len(req.sorts))
	for i, sp := range req.sorts {
		k := c.keys[i]
		f, _ := c.h.m.resolve(sp.field)
		switch {
		case sp.field == "_score":
			h.Sort[i] = 1.0
		case sp.field == "_doc" || sp.field == "_shard_doc":
			h.Sort[i] = int64(k.num)
		case k.missing:
			h.Sort[i] = nil
		case k.isStr:
			h.Sort[i] = k.str
		case f != nil && intLike(f.typ):
			h.Sort[i] = clampInt(k.num)
		default:
			h.Sort[i] = k.num
		}
	}
	return h
}

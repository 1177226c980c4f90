package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// nodePos returns where n starts for a reader: the first key of a block
// mapping (goccy points at its first colon), the key of a key/value pair.
func nodePos(n ast.Node) (line, col int) {
	switch v := n.(type) {
	case nil:
		return 0, 0
	case *ast.MappingNode:
		if v != nil && !v.IsFlowStyle && len(v.Values) > 0 {
			return nodePos(v.Values[0])
		}
	case *ast.MappingValueNode:
		if v != nil && v.Key != nil {
			return nodePos(v.Key)
		}
	}
	return tokenPos(n.GetToken())
}

func tokenPos(tk *token.Token) (line, col int) {
	if tk == nil || tk.Position == nil {
		return 0, 0
	}
	return tk.Position.Line, tk.Position.Column
}

// describeNode says what n is in an error message. Secrets are never echoed.
func describeNode(n ast.Node, redact bool) string {
	text := ""
	if tk := n.GetToken(); tk != nil {
		text = shorten(tk.Value)
	}
	switch n.Type() {
	case ast.MappingType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.NullType:
		return "null"
	case ast.StringType, ast.LiteralType:
		if lit, ok := n.(*ast.LiteralNode); ok && lit.Value != nil {
			text = shorten(lit.Value.Value)
		}
		if redact {
			return "a string"
		}
		return "string " + strconv.Quote(text)
	case ast.IntegerType:
		return redacted(redact, "an integer", "integer "+text)
	case ast.FloatType, ast.InfinityType, ast.NanType:
		return redacted(redact, "a number", "number "+text)
	case ast.BoolType:
		return redacted(redact, "a boolean", "boolean "+text)
	case ast.TagType:
		return "a value tagged " + text
	}
	return nodeTypeName(n.Type())
}

func redacted(redact bool, plain, full string) string {
	if redact {
		return plain
	}
	return full
}

// shorten keeps error messages about huge values readable.
func shorten(s string) string {
	const maxLen = 40
	if len(s) <= maxLen {
		return s
	}
	return s[:maxLen] + "..."
}

// entry is one key/value pair of a mapping, after merge keys are resolved.
type entry struct {
	key     string
	keyNode ast.Node
	value   ast.Node
	str     bool // the key is a string, as struct keys must be
	scalar  bool // the key is a scalar, as map keys must be
}

// entries lists the pairs of m, replacing each merge key (<<) by the pairs
// of the mappings it names. bad, when not nil, is told about merge values
// that are not mappings.
func (a anchors) entries(m *ast.MappingNode, bad func(ast.Node, string)) []entry {
	var out []entry
	for _, mv := range m.Values {
		if mv == nil || mv.Key == nil {
			continue
		}
		if mv.Key.IsMergeKey() {
			for _, target := range a.mergeTargets(mv.Value, bad) {
				out = append(out, a.entries(target, bad)...)
			}
			continue
		}
		e := entry{keyNode: mv.Key, value: mv.Value}
		e.key, e.str, e.scalar = a.keyText(mv.Key)
		out = append(out, e)
	}
	return out
}

func (a anchors) mergeTargets(v ast.Node, bad func(ast.Node, string)) []*ast.MappingNode {
	const msg = "the value of a merge key (<<) must be a mapping or a list of mappings"
	switch n := a.unwrap(v).(type) {
	case *ast.MappingNode:
		return []*ast.MappingNode{n}
	case *ast.SequenceNode:
		var out []*ast.MappingNode
		for _, item := range n.Values {
			m, ok := a.unwrap(item).(*ast.MappingNode)
			if !ok {
				if bad != nil {
					bad(item, msg)
				}
				continue
			}
			out = append(out, m)
		}
		return out
	}
	if bad != nil {
		bad(v, msg)
	}
	return nil
}

// keyText returns the text of a mapping key and what kind of key it is.
func (a anchors) keyText(k ast.Node) (text string, str, scalar bool) {
	if mk, ok := k.(*ast.MappingKeyNode); ok {
		k = mk.Value
	}
	k = a.unwrap(k)
	switch v := k.(type) {
	case nil:
		return "", false, false
	case *ast.StringNode:
		return v.Value, true, true
	case *ast.LiteralNode:
		if v.Value != nil {
			return v.Value.Value, true, true
		}
		return "", true, true
	case *ast.MappingNode, *ast.SequenceNode:
		return "", false, false
	}
	if tk := k.GetToken(); tk != nil {
		return tk.Value, false, true
	}
	return "", false, true
}

// resolvePath returns the position of the YAML key path p (as in
// FieldError.Path) in body: the key for a mapping entry, the item for a list
// index. When the path is not in the document, it returns the position of
// its closest existing parent, or 0, 0 when that is the document itself.
func resolvePath(defs anchors, body ast.Node, p string) (line, col int) {
	segs := splitPath(p)
	cur := defs.unwrap(body)
	for i := 0; i < len(segs); {
		seg := segs[i]
		if seg.index >= 0 {
			s, ok := cur.(*ast.SequenceNode)
			if !ok || seg.index >= len(s.Values) {
				return line, col
			}
			line, col = nodePos(s.Values[seg.index])
			cur = defs.unwrap(s.Values[seg.index])
			i++
			continue
		}
		m, ok := cur.(*ast.MappingNode)
		if !ok {
			return line, col
		}
		// A map key may itself contain dots ("system.cpu.total.pct"), so
		// try the longest run of key segments that names an entry.
		entries := defs.entries(m, nil)
		found := false
		for j := len(segs); j > i && !found; j-- {
			key, ok := joinKeys(segs[i:j])
			if !ok {
				continue
			}
			for _, e := range entries {
				if e.scalar && e.key == key {
					line, col = nodePos(e.keyNode)
					cur = defs.unwrap(e.value)
					i, found = j, true
					break
				}
			}
		}
		if !found {
			return line, col
		}
	}
	return line, col
}

// pathSeg is one step of a key path: a key, or a list index when index >= 0.
type pathSeg struct {
	key   string
	index int
}

// splitPath splits "inputs[2].name" into inputs, [2], name. Anything that
// does not parse as an index is taken as part of a key.
func splitPath(p string) []pathSeg {
	var segs []pathSeg
	for part := range strings.SplitSeq(p, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key != "" || rest == "" {
			segs = append(segs, pathSeg{key: key, index: -1})
		}
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			idx, err := strconv.Atoi(num)
			if !ok || err != nil || idx < 0 {
				segs = append(segs, pathSeg{key: "[" + rest, index: -1})
				break
			}
			segs = append(segs, pathSeg{index: idx})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return segs
}

// joinKeys joins consecutive key segments back with dots.
func joinKeys(segs []pathSeg) (string, bool) {
	keys := make([]string, len(segs))
	for i, s := range segs {
		if s.index >= 0 {
			return "", false
		}
		keys[i] = s.key
	}
	return strings.Join(keys, "."), true
}

// suggest returns the known key closest to an unknown one, if it is close
// enough to be a typo.
func suggest(key string, names []string) string {
	if len(key) > 64 {
		return "" // not a typo, and edit distance is quadratic
	}
	limit := min(3, len(key)/3+1)
	best, bestDist := "", limit+1
	for _, n := range names {
		if d := editDistance(key, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func unknownField(key string, names []string) string {
	msg := fmt.Sprintf("unknown field %q", key)
	if s := suggest(key, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg
}

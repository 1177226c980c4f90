package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// walker checks a document against the Go type it is decoded into and
// reports every problem, where goccy stops at the first: unknown keys,
// values of the wrong shape, values goccy would reject or silently change.
// Single values are checked by decoding them with goccy into scratch
// copies, so that the walker and the decoder agree on what is valid; the
// walker only ever reads dst's type, never dst.
type walker struct {
	p       *parse
	defs    anchors
	order   []*ast.AnchorNode
	chk     *yaml.Decoder
	primed  bool
	structs map[reflect.Type]structInfo
	seen    map[errKey]bool
	// values counts the bad values found so far, reported or not, so that
	// the check of a whole item can tell whether the walk inside it has
	// already found what goccy will complain about.
	values int
}

type errKey struct {
	line, col int
	msg       string
}

func newWalker(p *parse, defs anchors, order []*ast.AnchorNode) *walker {
	return &walker{
		p:       p,
		defs:    defs,
		order:   order,
		chk:     newDecoder(),
		structs: map[reflect.Type]structInfo{},
		seen:    map[errKey]bool{},
	}
}

// fail records a problem at line:col. A value reached through several
// aliases is reported once. badValue is false only for unknown keys, which
// do not keep the rest of the file from decoding.
func (w *walker) fail(line, col int, path, msg string, badValue bool) {
	if badValue {
		w.values++
		w.p.badValue = true
	}
	key := errKey{line, col, msg}
	if w.seen[key] {
		return
	}
	w.seen[key] = true
	if path != "" {
		msg = path + ": " + msg
	}
	w.p.add(line, col, msg)
}

func (w *walker) failAt(n ast.Node, path, msg string, badValue bool) {
	line, col := nodePos(n)
	w.fail(line, col, path, msg, badValue)
}

func (w *walker) mismatch(n ast.Node, t reflect.Type, path string) {
	w.failAt(n, path, fmt.Sprintf("expected %s, got %s", describeType(t), describeNode(n, isSecret(t))), true)
}

// walk checks n, found at path, as a value of type t.
func (w *walker) walk(n ast.Node, t reflect.Type, path string) {
	if n == nil {
		return
	}
	n = w.defs.unwrap(n)
	if n == nil || n.Type() == ast.NullType {
		return // null keeps the default
	}
	t = deref(t)
	switch {
	case t.Kind() == reflect.Interface:
		return // takes anything
	case t == reflect.TypeFor[time.Duration]():
		w.duration(n, t, path)
		return
	case isOpaque(t):
		w.leaf(n, t, path, -1)
		return
	}
	plain := isPlain(t)
	shaped := false
	inner := w.values
	switch t.Kind() {
	case reflect.Struct:
		if m, ok := n.(*ast.MappingNode); ok {
			w.walkStruct(m, t, path)
			shaped = true
		}
	case reflect.Map:
		if m, ok := n.(*ast.MappingNode); ok {
			w.walkMap(m, t, path)
			shaped = true
		}
	case reflect.Slice:
		if s, ok := n.(*ast.SequenceNode); ok {
			for i, item := range s.Values {
				w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			}
			shaped = true
		}
	default:
		if !plain {
			w.scalar(n, t, path)
			return
		}
	}
	switch {
	case plain:
		// The type's own UnmarshalYAML may reject the value for reasons of
		// its own, or accept another shape (a string shorthand, say).
		soft := -1
		if shaped {
			soft = inner
		}
		w.leaf(n, t, path, soft)
	case !shaped:
		w.mismatch(n, t, path)
	}
}

func (w *walker) structInfo(t reflect.Type) structInfo {
	info, ok := w.structs[t]
	if !ok {
		info, _ = structKeys(t) // checkType already rejected bad structs
		w.structs[t] = info
	}
	return info
}

func (w *walker) badMerge(path string) func(ast.Node, string) {
	return func(n ast.Node, msg string) { w.failAt(n, path, msg, true) }
}

func (w *walker) walkStruct(m *ast.MappingNode, t reflect.Type, path string) {
	info := w.structInfo(t)
	keys := map[string]bool{}
	for _, e := range w.defs.entries(m, w.badMerge(path)) {
		switch {
		case !e.str:
			// goccy silently skips the whole mapping then.
			w.failAt(e.keyNode, path, "expected a string key, got "+describeNode(w.defs.unwrap(e.keyNode), false), true)
		case keys[e.key]:
			w.failAt(e.keyNode, path, fmt.Sprintf("duplicate key %q (keys from a merge key (<<) cannot be overridden)", e.key), true)
		default:
			keys[e.key] = true
			ft, ok := info.fields[e.key]
			if !ok {
				w.failAt(e.keyNode, "", unknownField(e.key, info.names), false)
				continue
			}
			w.walk(e.value, ft, joinPath(path, e.key))
		}
	}
}

func (w *walker) walkMap(m *ast.MappingNode, t reflect.Type, path string) {
	keys := map[string]bool{}
	kt := deref(t.Key())
	for _, e := range w.defs.entries(m, w.badMerge(path)) {
		switch {
		case !e.scalar:
			w.failAt(e.keyNode, path, "expected a scalar key, got "+describeNode(w.defs.unwrap(e.keyNode), false), true)
		case keys[e.key]:
			w.failAt(e.keyNode, path, fmt.Sprintf("duplicate key %q (keys from a merge key (<<) cannot be overridden)", e.key), true)
		default:
			keys[e.key] = true
			p := joinPath(path, e.key)
			if kt.Kind() != reflect.String || isOpaque(kt) {
				w.walk(e.keyNode, kt, p)
			}
			w.walk(e.value, t.Elem(), p)
		}
	}
}

// scalar checks n as a bool, number or string, more strictly than goccy:
// goccy truncates 1.5 to 1 for an integer and turns 0x1F into "31" and 1.10
// into "1.1" for a string.
func (w *walker) scalar(n ast.Node, t reflect.Type, path string) {
	switch n.Type() {
	case ast.MappingType, ast.SequenceType:
		w.mismatch(n, t, path)
		return
	}
	if isInteger(t.Kind()) && !integral(n) {
		w.mismatch(n, t, path)
		return
	}
	v, ok := w.leaf(n, t, path, -1)
	if !ok || t.Kind() != reflect.String || n.Type() == ast.StringType || n.Type() == ast.LiteralType {
		return
	}
	text := ""
	if tk := n.GetToken(); tk != nil {
		text = tk.Value
	}
	if v.String() == text {
		return
	}
	msg := fmt.Sprintf("%s would be read as %q: quote it to keep it as written", shorten(text), shorten(v.String()))
	if isSecret(t) {
		msg = "the secret would not be read as written: quote it"
	}
	w.failAt(n, path, msg, true)
}

// duration checks a time.Duration. goccy parses strings with
// time.ParseDuration but accepts negative ones and reports bad ones
// without a position.
func (w *walker) duration(n ast.Node, t reflect.Type, path string) {
	var text string
	switch v := n.(type) {
	case *ast.StringNode:
		text = v.Value
	case *ast.LiteralNode:
		if v.Value != nil {
			text = v.Value.Value
		}
	case *ast.IntegerNode, *ast.FloatNode:
		num := n.GetToken().Value
		w.failAt(n, path, fmt.Sprintf(`duration %s has no unit: write "%ss" for seconds`, shorten(num), shorten(num)), true)
		return
	default:
		w.mismatch(n, t, path)
		return
	}
	d, err := time.ParseDuration(text)
	switch {
	case err != nil:
		w.failAt(n, path, fmt.Sprintf(`invalid duration %q: use a number and a unit, such as "30s", "5m" or "1h30m"`, shorten(text)), true)
	case d < 0:
		w.failAt(n, path, fmt.Sprintf("duration %q must not be negative", shorten(text)), true)
	}
}

func isInteger(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// integral reports whether n can become an integer without losing anything.
func integral(n ast.Node) bool {
	switch v := n.(type) {
	case *ast.FloatNode:
		return v.Value == math.Trunc(v.Value) && !math.IsInf(v.Value, 0)
	case *ast.StringNode:
		_, err := strconv.ParseInt(strings.TrimSpace(v.Value), 10, 64)
		return err == nil
	case *ast.LiteralNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return false
	}
	return true // integers; goccy judges the rest
}

func isSecret(t reflect.Type) bool { return t == reflect.TypeFor[Secret]() }

// leaf decodes n into a scratch value of type t with goccy and reports the
// error, if any. soft >= 0 is for a value whose parts the walker has already
// checked, when w.values was soft: goccy stops at the first error, so when
// the walk inside found bad values the error is one of those, and it only
// counts when the walk found none (it is then the type's own UnmarshalYAML
// complaining).
func (w *walker) leaf(n ast.Node, t reflect.Type, path string, soft int) (reflect.Value, bool) {
	w.prime()
	v := reflect.New(t)
	if err := decodeNode(w.chk, n, v.Interface()); err != nil {
		w.decodeError(n, t, path, err, soft)
		return reflect.Value{}, false
	}
	return v.Elem(), true
}

// prime teaches the scratch decoder every anchor, in document order, so
// that aliases inside the values it checks resolve.
func (w *walker) prime() {
	if w.primed {
		return
	}
	w.primed = true
	for _, a := range w.order {
		var v any
		_ = decodeNode(w.chk, a, &v) // errors are reported where the value is used
	}
}

func (w *walker) decodeError(n ast.Node, t reflect.Type, path string, err error, soft int) {
	if soft >= 0 && w.values > soft {
		return
	}
	line, col, msg := decodeErrorMsg(err, n, t, isSecret(t))
	w.fail(line, col, path, msg, true)
}

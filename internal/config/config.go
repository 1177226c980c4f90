package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
)

// Error is one problem in a config file. Line and Column are 1-based; both
// are 0 when the problem has no position (a required key missing at the top
// level, a file that is too large).
type Error struct {
	File         string
	Line, Column int
	Msg          string
}

// Error formats e as "file:line:col: msg", or "file: msg" without a position.
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		if e.File != "" {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Column))
	}
	if b.Len() == 0 {
		return e.Msg
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem Parse found, one per line when printed.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Validator is implemented by config structs that check their own values.
// Parse calls Validate on dst after decoding, also when the file has unknown
// keys, so that one run lists as much as possible. It does not call it when
// a value could not be decoded: goccy then leaves the enclosing top-level
// section at its defaults and drops the enclosing list item, so Validate
// would report problems the file does not have.
type Validator interface {
	Validate() []FieldError
}

// FieldError is one problem Validate found. Path is the YAML key path, dotted,
// with list indices in brackets ("shipper.url", "inputs[2].name"); "" means
// the whole document. Parse turns it into an Error at the path's position, or
// at its closest existing parent when the key is missing from the file.
type FieldError struct {
	Path string
	Msg  string
}

// Prefix puts prefix in front of the paths of errs, so that a nested
// section's Validate can use paths relative to itself:
//
//	errs = append(errs, config.Prefix(fmt.Sprintf("inputs[%d]", i), in.Validate())...)
func Prefix(prefix string, errs []FieldError) []FieldError {
	out := make([]FieldError, len(errs))
	for i, e := range errs {
		out[i] = FieldError{Path: joinPath(prefix, e.Path), Msg: e.Msg}
	}
	return out
}

// joinPath joins a parent path and a child path or key: "a" + "b" = "a.b",
// "a" + "[1].b" = "a[1].b".
func joinPath(parent, child string) string {
	switch {
	case parent == "":
		return child
	case child == "":
		return parent
	case strings.HasPrefix(child, "["):
		return parent + child
	}
	return parent + "." + child
}

// Load reads the config file at path and decodes it into dst like Parse.
func Load(path string, dst any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	// Read one byte past the limit so that Parse can tell the file is too big
	// without a huge file ever being read into memory.
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, dst)
}

// Parse decodes the YAML document data strictly into dst, which must be a
// non-nil pointer to a struct already filled with defaults. name is used as
// the file name in errors. Every problem found is returned together as
// Errors: a syntax error, unknown keys, values of the wrong type, then what
// dst's Validate reports. An empty document leaves the defaults alone.
// When Parse returns an error, dst may be partly decoded.
//
// A dst type that goccy/go-yaml cannot decode safely (an embedded struct
// without ",inline", an inline map, a fixed-size array, ...) is a programming
// error and is reported as a plain error, not as Errors.
func Parse(name string, data []byte, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("parse config %s: destination must be a non-nil pointer to a struct, got %T", name, dst)
	}
	if err := checkType(rv.Elem().Type()); err != nil {
		return fmt.Errorf("parse config %s: %w", name, err)
	}
	p := &parse{file: name}
	p.run(data, dst)
	if len(p.errs) == 0 {
		return nil
	}
	return p.errs
}

// parse holds the state of one Parse call.
type parse struct {
	file string
	errs Errors
	// badValue is set when a value could not be decoded (see Validator).
	badValue bool
	dropped  int
}

// maxErrors caps the list: a list of a million bad items should not print a
// million lines.
const maxErrors = 100

func (p *parse) add(line, col int, msg string) {
	if len(p.errs) >= maxErrors {
		p.dropped++
		return
	}
	p.errs = append(p.errs, Error{File: p.file, Line: line, Column: col, Msg: msg})
}

func (p *parse) addAt(n ast.Node, msg string) {
	line, col := nodePos(n)
	p.add(line, col, msg)
}

func (p *parse) run(data []byte, dst any) {
	defer p.finish()
	if len(data) > maxSize {
		p.add(0, 0, fmt.Sprintf("file is larger than the %d MiB limit for config files", maxSize>>20))
		return
	}
	body, ok := p.parseDocument(data)
	if !ok {
		return
	}
	var defs anchors
	if body != nil {
		var order []*ast.AnchorNode
		if defs, order, ok = p.checkTree(body); !ok {
			return
		}
		if !p.decode(body, defs, order, dst) {
			return
		}
	}
	if v, ok := dst.(Validator); ok && !p.badValue {
		p.validate(v.Validate(), body, defs)
	}
}

// finish notes how many errors were left out.
func (p *parse) finish() {
	if p.dropped > 0 {
		p.errs = append(p.errs, Error{File: p.file, Msg: fmt.Sprintf("%d more errors not shown", p.dropped)})
	}
}

// parseDocument parses data and returns the body of its one document, nil
// when the document is empty. ok is false when the text cannot be used.
func (p *parse) parseDocument(data []byte) (body ast.Node, ok bool) {
	file, err := guard(func() (*ast.File, error) {
		if e := scanBytes(data); e != nil {
			return nil, e
		}
		tokens := lexer.Tokenize(string(data))
		if e := scanTokens(tokens); e != nil {
			return nil, e
		}
		return parser.Parse(tokens, 0)
	})
	if err != nil {
		var se *scanError
		var ye yaml.Error
		switch {
		case errors.As(err, &se):
			p.add(se.line, se.col, se.msg)
		case errors.As(err, &ye) && ye.GetToken() != nil:
			pos := ye.GetToken().Position
			p.add(pos.Line, pos.Column, "syntax error: "+ye.GetMessage())
		default:
			p.add(0, 0, "syntax error: "+err.Error())
		}
		return nil, false
	}
	for _, doc := range file.Docs {
		if doc.Body == nil {
			continue
		}
		if body != nil {
			p.addAt(doc.Body, "a config file must hold one YAML document, found another one here")
			return nil, false
		}
		body = doc.Body
	}
	if body == nil || body.Type() == ast.NullType {
		return nil, true
	}
	return body, true
}

// decode checks body against dst's type, reporting every unknown key and bad
// value, then decodes it into dst with goccy. ok is false when the document
// is not a mapping, so that there is nothing worth validating.
func (p *parse) decode(body ast.Node, defs anchors, order []*ast.AnchorNode, dst any) (ok bool) {
	if m := defs.unwrap(body); m.Type() != ast.MappingType {
		p.addAt(m, fmt.Sprintf("a config file must be a mapping of keys to values, got %s", describeNode(m, false)))
		return false
	}
	w := newWalker(p, defs, order)
	w.walk(body, reflect.TypeOf(dst).Elem(), "")
	sortErrors(p.errs)

	// The walker has reported every bad value it knows of; goccy's own
	// error only counts when the walker missed it, as a backstop.
	err := decodeNode(newDecoder(), body, dst)
	var ie *internalError
	if err != nil && (!p.badValue || errors.As(err, &ie)) {
		w.decodeError(body, reflect.TypeOf(dst).Elem(), "", err, -1)
	}
	return true
}

// validate turns the FieldErrors of Validate into positioned Errors.
func (p *parse) validate(fes []FieldError, body ast.Node, defs anchors) {
	for _, fe := range fes {
		msg := fe.Msg
		if fe.Path != "" {
			msg = fe.Path + ": " + msg
		}
		line, col := 0, 0
		if body != nil && fe.Path != "" {
			line, col = resolvePath(defs, body, fe.Path)
		}
		p.add(line, col, msg)
	}
}

// sortErrors orders errors by position so that they read top to bottom;
// errors without a position go last.
func sortErrors(es Errors) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if (a.Line == 0) != (b.Line == 0) {
			return b.Line == 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

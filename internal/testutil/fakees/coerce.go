package fakees

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

var intRanges = map[string][2]float64{
	"long": {math.MinInt64, math.MaxInt64}, "integer": {math.MinInt32, math.MaxInt32},
	"short": {math.MinInt16, math.MaxInt16}, "byte": {math.MinInt8, math.MaxInt8},
	"unsigned_long": {0, math.MaxUint64},
}

var article = map[string]string{"long": "a long", "integer": "an integer", "short": "a short", "byte": "a byte", "unsigned_long": "an unsigned long"}

// coerceCheck returns the cause ES reports when v cannot be indexed into f,
// or nil. It follows ES's default coerce=true: "12" is a fine long.
func coerceCheck(f *field, v any) *esError {
	_, isMap := v.(map[string]any)
	if b, isBool := v.(bool); isBool {
		switch f.typ {
		case "long", "integer", "short", "byte", "unsigned_long", "double", "float", "half_float", "scaled_float":
			return newErr("illegal_argument_exception", "Current token (VALUE_%s) not numeric, can not use numeric value accessors", strings.ToUpper(strconv.FormatBool(b)))
		}
	}
	switch f.typ {
	case "long", "integer", "short", "byte", "unsigned_long":
		if isMap {
			return newErr("illegal_argument_exception", "Current token (START_OBJECT) not numeric, can not use numeric value accessors")
		}
		if _, isBool := v.(bool); isBool {
			return nil
		}
		s, _ := asString(v)
		n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return newErr("illegal_argument_exception", "For input string: \"%s\"", s)
		}
		r := intRanges[f.typ]
		if n < r[0] || n > r[1] {
			return newErr("illegal_argument_exception", "Value [%s] is out of range for %s", s, article[f.typ])
		}
	case "double", "float", "half_float", "scaled_float":
		if isMap {
			return newErr("illegal_argument_exception", "Current token (START_OBJECT) not numeric, can not use numeric value accessors")
		}
		if _, isBool := v.(bool); isBool {
			return nil
		}
		s, _ := asString(v)
		n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return newErr("number_format_exception", "For input string: \"%s\"", s)
		}
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return newErr("illegal_argument_exception", "[%s] supports only finite values, but got [%s]", f.typ, s)
		}
	case "boolean":
		switch x := v.(type) {
		case bool:
		case string:
			if x != "true" && x != "false" && x != "" {
				return newErr("illegal_argument_exception", "Failed to parse value [%s] as only [true] or [false] are allowed.", x)
			}
		default:
			return newErr("illegal_argument_exception", "Failed to parse value [%s] as only [true] or [false] are allowed.", javaString(v))
		}
	case "date", "date_nanos":
		if _, ok := parseDate(v, f.format); !ok {
			format := f.format
			if format == "" {
				format = defaultDateFormat
			}
			return newErr("illegal_argument_exception", "failed to parse date field [%s] with format [%s]", javaString(v), format)
		}
	case "ip":
		s, ok := v.(string)
		if _, err := netip.ParseAddr(s); !ok || err != nil {
			return newErr("illegal_argument_exception", "'%s' is not an IP string literal.", javaString(v))
		}
	case "flattened", "flat_object", "object", "nested", "geo_point", "geo_shape", "histogram", "aggregate_metric_double", "dense_vector", "sparse_vector", "rank_features":
	default:
		if isMap {
			return newErr("illegal_state_exception", "Can't get text on a START_OBJECT")
		}
	}
	return nil
}

// docError turns the collected failures into the error of the earliest one
// in the document, as ES reports the first failure it meets while parsing.
func (c *docCheck) docError(raw []byte, os bool) *esError {
	if len(c.errs) == 0 {
		return nil
	}
	best, bl, bc := 0, math.MaxInt, math.MaxInt
	for i, e := range c.errs {
		l, col := locate(raw, e.path)
		if l < bl || l == bl && col < bc {
			best, bl, bc = i, l, col
		}
	}
	e := c.errs[best]
	typ := e.typ
	if typ == "" {
		typ = "document_parsing_exception"
		if os {
			typ = "mapper_parsing_exception"
		}
	}
	reason := e.reason
	if e.fieldType != "" {
		reason = fmt.Sprintf("failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%s'", e.path, e.fieldType, c.id, e.preview)
	}
	if !os && !e.plain {
		reason = fmt.Sprintf("[%d:%d] %s", bl, bc, reason)
	}
	if e.cause != nil && e.cause.Type == "illegal_state_exception" {
		e.cause = newErr(e.cause.Type, "%s at %d:%d", e.cause.Reason, bl, bc)
	}
	return &esError{Type: typ, Reason: reason, CausedBy: e.cause}
}

// locate returns the 1-based line and column where the value of the field
// at path starts in the raw document (dotted keys and nested objects alike).
func locate(raw []byte, target string) (int, int) {
	type frame struct {
		path    string
		obj     bool
		wantKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var stack []frame
	next := ""
	for {
		tok, err := dec.Token()
		if err != nil {
			return lineCol(raw, len(raw))
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if top != nil && top.obj && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			key, _ := tok.(string)
			vp := join(top.path, key)
			if vp == target {
				pos := int(dec.InputOffset())
				for pos < len(raw) && (raw[pos] == ' ' || raw[pos] == '\t' || raw[pos] == '\r' || raw[pos] == '\n' || raw[pos] == ':') {
					pos++
				}
				return lineCol(raw, pos)
			}
			top.wantKey = false
			next = vp
			continue
		}
		path := ""
		if top != nil {
			if top.obj {
				path = next
				top.wantKey = true
			} else {
				path = top.path
			}
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				stack = append(stack, frame{path: path, obj: true, wantKey: true})
			case '[':
				stack = append(stack, frame{path: path})
			case ']':
				stack = stack[:len(stack)-1]
			}
		}
	}
}

func lineCol(raw []byte, pos int) (int, int) {
	line, last := 1, -1
	for i := 0; i < pos && i < len(raw); i++ {
		if raw[i] == '\n' {
			line++
			last = i
		}
	}
	return line, pos - last
}

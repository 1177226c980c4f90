package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// newDecoder returns the goccy decoder Parse uses. Its input is empty: nodes
// come from Parse's own parse and reach it through DecodeFromNode, which
// learns the anchors inside the node it is given.
//
// Unknown keys are left to the walker on purpose: with DisallowUnknownField
// goccy discards the whole struct holding an unknown key (and drops a list
// item), so Validate would see defaults instead of what the file says.
//
// There is no custom unmarshaler for time.Duration either, although goccy
// accepts negative durations: goccy formats the whole file again for every
// value it hands to a custom or text unmarshaler, which makes a file with
// many durations quadratic. The walker checks durations instead.
func newDecoder() *yaml.Decoder {
	return yaml.NewDecoder(bytes.NewReader(nil))
}

// decodeNode decodes n into dst, turning a panic inside goccy into an error.
func decodeNode(dec *yaml.Decoder, n ast.Node, dst any) error {
	_, err := guard(func() (struct{}, error) {
		return struct{}{}, dec.DecodeFromNode(n, dst)
	})
	return err
}

// internalError is a panic inside goccy/go-yaml. It is always reported,
// since it means some input reached a bug instead of a clear message.
type internalError struct{ v any }

func (e *internalError) Error() string {
	return fmt.Sprintf("internal error in the YAML decoder: %v", e.v)
}

// guard runs f and turns a panic into an *internalError: a config file must
// not crash the agent with a stack trace, whatever goccy does with it.
func guard[T any](f func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &internalError{v: r}
		}
	}()
	return f()
}

// decodeErrorMsg turns an error of goccy (or of an unmarshaler it called)
// about node n, decoded as type t, into a position and a message. goccy's
// errors carry the token they are about; others are placed at n.
func decodeErrorMsg(err error, n ast.Node, t reflect.Type, redact bool) (line, col int, msg string) {
	var (
		ie  *internalError
		te  *yaml.TypeError
		ue  *yaml.UnexpectedNodeTypeError
		oe  *yaml.OverflowError
		ye  yaml.Error
		tok *token.Token
	)
	switch {
	case errors.As(err, &ie):
		msg = ie.Error()
	case errors.As(err, &te):
		tok = te.Token
		want := t
		if te.DstType != nil {
			want = deref(te.DstType)
		}
		msg = fmt.Sprintf("expected %s, got %s", describeType(want), describeToken(te.Token, redact))
	case errors.As(err, &ue):
		tok = ue.Token
		msg = fmt.Sprintf("expected %s, got %s", nodeTypeName(ue.Expected), nodeTypeName(ue.Actual))
	case errors.As(err, &oe):
		tok = oe.Token
		msg = fmt.Sprintf("%s is out of range for %s", redacted(redact, "value", oe.SrcNum), deref(oe.DstType))
	case errors.As(err, &ye):
		tok = ye.GetToken()
		msg = redacted(redact, "invalid secret", ye.GetMessage())
	default:
		msg = redacted(redact, "invalid secret", err.Error())
	}
	if line, col = tokenPos(tok); line == 0 {
		line, col = nodePos(n)
	}
	return line, col, msg
}

// nodeTypeName names a kind of node the way describeNode does.
func nodeTypeName(t ast.NodeType) string {
	switch t {
	case ast.SequenceType:
		return "a list"
	case ast.NullType:
		return "null"
	case ast.IntegerType:
		return "an integer"
	case ast.AliasType, ast.AnchorType:
		return "an " + t.YAMLName()
	}
	return "a " + t.YAMLName()
}

// describeToken says what a scalar token is, for type errors that carry a
// token but no node.
func describeToken(tk *token.Token, redact bool) string {
	if tk == nil {
		return "a value of another type"
	}
	switch tk.Type {
	case token.StringType, token.SingleQuoteType, token.DoubleQuoteType:
		return redacted(redact, "a string", "string "+fmt.Sprintf("%q", shorten(tk.Value)))
	case token.IntegerType, token.BinaryIntegerType, token.OctetIntegerType, token.HexIntegerType:
		return redacted(redact, "an integer", "integer "+shorten(tk.Value))
	case token.FloatType, token.InfinityType, token.NanType:
		return redacted(redact, "a number", "number "+shorten(tk.Value))
	case token.BoolType:
		return redacted(redact, "a boolean", "boolean "+tk.Value)
	case token.NullType, token.ImplicitNullType:
		return "null"
	case token.SequenceStartType, token.SequenceEntryType:
		return "a list"
	case token.MappingStartType, token.MappingValueType, token.MappingKeyType:
		return "a mapping"
	case token.TagType:
		return "a value tagged " + shorten(tk.Value)
	}
	return redacted(redact, "a value of another type", fmt.Sprintf("%q", shorten(tk.Value)))
}

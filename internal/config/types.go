package config

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// structInfo is the set of YAML keys of a struct type.
type structInfo struct {
	fields map[string]reflect.Type
	names  []string // sorted, for "did you mean"
}

// structKeys returns the YAML keys of struct type t exactly as goccy/go-yaml
// maps them, since the walker must agree with the decoder: the name from the
// yaml tag, else from the json tag, else the field name lower-cased; fields
// tagged ",inline" contribute their own keys; "-" and unexported fields are
// not keys. It also rejects struct shapes goccy decodes wrongly or panics on.
func structKeys(t reflect.Type) (structInfo, error) {
	info := structInfo{fields: map[string]reflect.Type{}}
	if err := addStructKeys(info.fields, t, t, map[reflect.Type]bool{}); err != nil {
		return info, err
	}
	for name := range info.fields {
		info.names = append(info.names, name)
	}
	sort.Strings(info.names)
	return info, nil
}

func addStructKeys(keys map[string]reflect.Type, t, top reflect.Type, inlined map[reflect.Type]bool) error {
	if inlined[t] {
		return fmt.Errorf("%s: inline cycle through %s", top, t)
	}
	inlined[t] = true
	defer delete(inlined, t)
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "" {
			tag = f.Tag.Get("json")
		}
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		base := deref(f.Type)
		switch {
		case !f.IsExported():
			// goccy tries to set it and panics.
			return fmt.Errorf("%s: unexported embedded field %s needs the tag `yaml:\"-\"`", t, f.Name)
		case hasOption(opts, "inline"):
			if base.Kind() != reflect.Struct {
				// goccy panics on inline maps when unknown keys are errors.
				return fmt.Errorf("%s: field %s: ,inline works only on structs", t, f.Name)
			}
			if err := addStructKeys(keys, base, top, inlined); err != nil {
				return err
			}
			continue
		case f.Anonymous && name == "" && base.Kind() == reflect.Struct:
			// Unlike encoding/json, goccy does not flatten embedded structs:
			// it reads them from a key named after the type, which is
			// almost never what the author meant.
			return fmt.Errorf("%s: embedded struct %s needs the tag `yaml:\",inline\"`, or a key name", t, f.Name)
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if _, dup := keys[name]; dup {
			return fmt.Errorf("%s: more than one field has the key %q", top, name)
		}
		keys[name] = f.Type
	}
	return nil
}

func hasOption(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// checkType checks every struct reachable from t once per Parse, so that a
// config type goccy cannot decode is a clear error on the first test run.
func checkType(t reflect.Type) error {
	seen := map[reflect.Type]bool{}
	var visit func(t reflect.Type) error
	visit = func(t reflect.Type) error {
		t = deref(t)
		if seen[t] || isOpaque(t) {
			return nil
		}
		seen[t] = true
		switch t.Kind() {
		case reflect.Array:
			// goccy panics on a list longer than the array.
			return fmt.Errorf("%s: fixed-size arrays are not supported, use a slice", t)
		case reflect.Slice, reflect.Map:
			return visit(t.Elem())
		case reflect.Struct:
			info, err := structKeys(t)
			if err != nil {
				return err
			}
			for _, name := range info.names {
				if err := visit(info.fields[name]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return visit(t)
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// isPlain reports whether t decodes through UnmarshalYAML(func(any) error),
// the `type plain T` pattern: such a type is still checked key by key
// against its own fields.
func isPlain(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return pt.Implements(reflect.TypeFor[yaml.InterfaceUnmarshaler]()) ||
		pt.Implements(reflect.TypeFor[yaml.InterfaceUnmarshalerContext]())
}

// isOpaque reports whether goccy hands t's whole YAML value to code that
// decides alone what it accepts (an UnmarshalYAML taking bytes or a node,
// UnmarshalText, time.Time), so that only that code can judge the value.
func isOpaque(t reflect.Type) bool {
	if t == reflect.TypeFor[time.Time]() {
		return true
	}
	if isPlain(t) {
		return false
	}
	pt := reflect.PointerTo(t)
	for _, it := range []reflect.Type{
		reflect.TypeFor[yaml.BytesUnmarshaler](),
		reflect.TypeFor[yaml.BytesUnmarshalerContext](),
		reflect.TypeFor[yaml.NodeUnmarshaler](),
		reflect.TypeFor[yaml.NodeUnmarshalerContext](),
		reflect.TypeFor[encoding.TextUnmarshaler](),
	} {
		if pt.Implements(it) {
			return true
		}
	}
	return false
}

// describeType names what a value of type t looks like in YAML.
func describeType(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[time.Duration]():
		return `a duration such as "30s"`
	case reflect.TypeFor[ByteSize]():
		return `a size such as "256MiB"`
	case reflect.TypeFor[time.Time]():
		return "a timestamp"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

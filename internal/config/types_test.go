package config

import (
	"errors"
	"testing"
)

func TestParseRejectsBadDestination(t *testing.T) {
	type Embedded struct{ A int }
	type unexported struct{ A int }
	var (
		notStruct int
		embedded  struct{ Embedded }
		unexp     struct{ unexported }
		inlineMap struct {
			M map[string]int `yaml:",inline"`
		}
		array  struct{ A [2]int }
		dupKey struct {
			A, B int `yaml:"x"`
		}
		nestedBad struct{ L []struct{ Embedded } }
		inlineOK  struct {
			Embedded `yaml:",inline"`
		}
		namedOK struct {
			Embedded `yaml:"embedded"`
		}
		ignoredOK struct {
			unexported `yaml:"-"`
		}
		unexportOK struct{ a int }
	)
	for name, dst := range map[string]any{
		"nil": nil, "non-pointer": struct{}{}, "pointer to int": &notStruct,
		"embedded struct": &embedded, "unexported embedded": &unexp, "inline map": &inlineMap,
		"array": &array, "duplicate key": &dupKey, "nested": &nestedBad,
	} {
		t.Run(name, func(t *testing.T) {
			err := Parse("x.yaml", []byte("{}"), dst)
			var errs Errors
			if err == nil || errors.As(err, &errs) {
				t.Errorf("Parse = %v, want a plain error", err)
			}
		})
	}
	for name, dst := range map[string]any{"inline": &inlineOK, "named": &namedOK, "ignored": &ignoredOK, "unexported field": &unexportOK} {
		t.Run(name, func(t *testing.T) {
			if err := Parse("x.yaml", []byte("{}"), dst); err != nil {
				t.Errorf("Parse = %v", err)
			}
		})
	}
	_ = unexportOK.a
}

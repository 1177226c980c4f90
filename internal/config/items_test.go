package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// target is a list item with defaults, a string shorthand ("host:port" for
// just an address) and a check of its own in UnmarshalYAML.
type target struct {
	Addr    string        `yaml:"addr"`
	Timeout time.Duration `yaml:"timeout"`
	Weight  int           `yaml:"weight"`
}

func (tg *target) UnmarshalYAML(unmarshal func(any) error) error {
	var addr string
	if err := unmarshal(&addr); err == nil {
		*tg = target{Addr: addr, Timeout: 5 * time.Second, Weight: 1}
		return nil
	}
	type plain target
	p := plain{Timeout: 5 * time.Second, Weight: 1}
	if err := unmarshal(&p); err != nil {
		return err
	}
	if p.Addr == "" {
		return errors.New("addr is required")
	}
	*tg = target(p)
	return nil
}

type targets struct {
	List  []target            `yaml:"list"`
	Ptrs  []*target           `yaml:"ptrs"`
	ByKey map[string]target   `yaml:"by_key"`
	One   *target             `yaml:"one"`
	Flat  map[string][]target `yaml:"flat"`
}

func TestParseListItemDefaults(t *testing.T) {
	doc := `list:
  - addr: a:1
  - addr: b:2
    weight: 3
  - c:3
ptrs:
  - {addr: d:4, timeout: 1s}
by_key:
  e: {addr: e:5}
one: {addr: f:6}
flat:
  g: [g:7]
`
	var got targets
	if err := Parse("t.yaml", []byte(doc), &got); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	def := func(addr string) target { return target{Addr: addr, Timeout: 5 * time.Second, Weight: 1} }
	b := def("b:2")
	b.Weight = 3
	d := def("d:4")
	d.Timeout = time.Second
	f := def("f:6")
	want := targets{
		List:  []target{def("a:1"), b, def("c:3")},
		Ptrs:  []*target{&d},
		ByKey: map[string]target{"e": def("e:5")},
		One:   &f,
		Flat:  map[string][]target{"g": {def("g:7")}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", got, want)
	}

	bad := `list:
  - addr: a:1
    wieght: 2
  - weight: 2
  - addr: x
    timeout: never
  - [1]
  - nme: y
`
	err := Parse("t.yaml", []byte(bad), &targets{})
	wantErrs := []string{
		`t.yaml:3:5: unknown field "wieght" (did you mean "weight"?)`,
		`t.yaml:4:5: list[1]: addr is required`, // from UnmarshalYAML
		`t.yaml:6:14: list[2].timeout: invalid duration "never": use a number and a unit, such as "30s", "5m" or "1h30m"`,
		`t.yaml:7:5: list[3]: expected a mapping, got a list`,
		`t.yaml:8:5: unknown field "nme"`,
		`t.yaml:8:5: list[4]: addr is required`,
	}
	if err == nil || err.Error() != strings.Join(wantErrs, "\n") {
		t.Errorf("Parse errors:\n%v\nwant:\n%s", err, strings.Join(wantErrs, "\n"))
	}
}

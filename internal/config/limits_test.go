package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// billionLaughs is the classic alias bomb: nine levels of nine aliases, a
// few hundred bytes that expand to 9^9 strings.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("extra:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [", i, i)
		for j := range 9 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// blockNesting nests n block mappings.
func blockNesting(n int) string {
	var b strings.Builder
	b.WriteString("extra:\n")
	for i := range n {
		fmt.Fprintf(&b, "%sk:\n", strings.Repeat(" ", 2*(i+1)))
	}
	return b.String()
}

func manyKeys(n int) string {
	var b strings.Builder
	b.WriteString("labels:\n")
	for i := range n {
		fmt.Fprintf(&b, "  k%d: v\n", i)
	}
	return b.String()
}

// manyMappings makes n mappings of k keys each under extra.
func manyMappings(n, k int) string {
	var b strings.Builder
	b.WriteString("extra:\n")
	for i := range n {
		fmt.Fprintf(&b, "  m%d:\n", i)
		for j := range k {
			fmt.Fprintf(&b, "    k%d: v\n", j)
		}
	}
	return b.String()
}

func TestParseLimits(t *testing.T) {
	longKey := strings.Repeat("k", 100_000)
	tests := []struct {
		name string
		doc  string
		want string // first error
	}{
		{"alias bomb", billionLaughs(), "f.yaml:8:12: aliases expand the document to more than 1048576 nodes"},
		{"flow nesting", "extra: " + strings.Repeat("[", 200) + strings.Repeat("]", 200), "f.yaml:1:107: nesting is deeper than 100 levels"},
		{"block list nesting", "extra:\n" + strings.Repeat("- ", 200) + "x\n", "f.yaml:2:199: nesting is deeper than 100 levels"},
		{"block mapping nesting", blockNesting(150), "f.yaml:101:201: nesting is deeper than 100 levels"},
		{"too many keys", manyKeys(maxKeys + 1), "f.yaml:5002:3: mapping has more than 5000 keys"},
		{"too many keys in all", manyMappings(5, maxKeys),
			"f.yaml:25004:5: document has too many keys in large mappings to parse in reasonable time; split it into several files"},
		{"long paths", "extra:\n  " + longKey + ":\n" + strings.Repeat("    - x\n", 700),
			"f.yaml:338:5: document is too complex to parse (keys too long or nested too deeply)"},
		{"too large", "extra: \"" + strings.Repeat("x", maxSize) + "\"\n", "f.yaml: file is larger than the 4 MiB limit for config files"},
		{"run of <", "extra: " + strings.Repeat("<", 15_000), "f.yaml:1:14149: too many '<' in a row to parse"},
		{"blank lines", "extra: |\n  x\n" + strings.Repeat("\n", 5000) + "  y\n", "f.yaml:4474:1: too many blank lines in a row to parse"},
		{"tabs", "extra: \"" + strings.Repeat("\t", 10_000) + "\"\n", "f.yaml:1:7755: too many tabs on one line to parse"},
		{"document markers", "---\n...\n---\n", "f.yaml:3:1: a config file must hold one YAML document, found several document markers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaultTestConfig()
			err := Parse("f.yaml", []byte(tt.doc), &cfg)
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse = %v, want Errors", err)
			}
			if got := errs[0].Error(); got != tt.want {
				t.Errorf("Parse error = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseWithinLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("inputs:\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "  - name: in%d\n    type: cpu\n", i)
	}
	b.WriteString("extra:\n  base: &base {a: 1, b: [1, 2, 3]}\n  uses:\n")
	for range 1000 {
		b.WriteString("    - *base\n")
	}
	doc := b.String() + manyKeys(maxKeys)
	cfg := defaultTestConfig()
	if err := Parse("f.yaml", []byte(doc), &cfg); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(cfg.Inputs) != 3000 || len(cfg.Labels) != maxKeys {
		t.Errorf("got %d inputs and %d labels, want 3000 and %d", len(cfg.Inputs), len(cfg.Labels), maxKeys)
	}
}

func BenchmarkParseAliasBomb(b *testing.B) {
	doc := []byte(billionLaughs())
	for b.Loop() {
		cfg := defaultTestConfig()
		_ = Parse("f.yaml", doc, &cfg)
	}
}

func BenchmarkParseFullDocument(b *testing.B) {
	doc := []byte(fullDoc)
	for b.Loop() {
		cfg := defaultTestConfig()
		if err := Parse("f.yaml", doc, &cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMaxKeys(b *testing.B) {
	doc := []byte(manyKeys(maxKeys))
	for b.Loop() {
		cfg := defaultTestConfig()
		if err := Parse("f.yaml", doc, &cfg); err != nil {
			b.Fatal(err)
		}
	}
}

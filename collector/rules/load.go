package rules

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"text/template"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/config"
)

// Set is a loaded, validated set of rules, ready for an Engine.
type Set struct {
	Files []string
	rules []*rule
}

// Len returns the number of rules.
func (s *Set) Len() int { return len(s.rules) }

// rule is a Rule compiled for evaluation.
type rule struct {
	Rule
	group       string
	where       map[string]string // short dimension name → value
	annotations map[string]*template.Template
}

// LoadFiles expands the glob patterns (relative ones against baseDir), parses
// every file strictly and returns the rules, or config.Errors naming
// file:line:col for every problem in every file. A pattern that matches nothing
// is not an error (rules.d may be empty); a pattern that is not a valid glob is.
func LoadFiles(patterns []string, baseDir string) (*Set, error) {
	var files []string
	seen := map[string]bool{}
	for _, p := range patterns {
		if !filepath.IsAbs(p) {
			p = filepath.Join(baseDir, p)
		}
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("rule_files pattern %q: %w", p, err)
		}
		sort.Strings(m)
		for _, f := range m {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	set := &Set{Files: files}
	names := map[string]string{}
	var all config.Errors
	for _, f := range files {
		rf := File{names: names, file: f}
		if err := config.Load(f, &rf); err != nil {
			var es config.Errors
			if !errors.As(err, &es) {
				return nil, err
			}
			all = append(all, es...)
			continue
		}
		if err := set.add(&rf); err != nil {
			return nil, fmt.Errorf("load %s: %w", f, err)
		}
	}
	if len(all) > 0 {
		return nil, all
	}
	return set, nil
}

// ParseFile parses one rule file from memory (tests, fuzzing).
func ParseFile(name string, data []byte) (*Set, error) {
	rf := File{names: map[string]string{}, file: name}
	if err := config.Parse(name, data, &rf); err != nil {
		return nil, err
	}
	set := &Set{Files: []string{name}}
	if err := set.add(&rf); err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	return set, nil
}

func (s *Set) add(f *File) error {
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			c, err := compile(g.Name, r)
			if err != nil {
				return err
			}
			s.rules = append(s.rules, c)
		}
	}
	return nil
}

// compile prepares a validated rule for evaluation.
func compile(group string, r Rule) (*rule, error) {
	c := &rule{Rule: r, group: group, where: map[string]string{}, annotations: map[string]*template.Template{}}
	for k, v := range r.Where {
		c.where[shortDim(r.Field, k)] = v
	}
	for k, text := range r.Annotations {
		t, err := parseTemplate(k, text)
		if err != nil {
			return nil, fmt.Errorf("rule %s annotation %s: %w", r.Alert, k, err)
		}
		c.annotations[k] = t
	}
	return c, nil
}

// matchesHost reports whether the rule applies to host h.
func (r *rule) matchesHost(name string, labels alert.Labels) bool {
	if len(r.Hosts) > 0 {
		ok := false
		for _, g := range r.Hosts {
			if m, _ := path.Match(g, name); m {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return r.HostLabels.Matches(labels)
}

// matchesDims reports whether a series' labels (short dimension names)
// satisfy where and matchers.
func (r *rule) matchesDims(dims alert.Labels) bool {
	for k, v := range r.where {
		if dims[k] != v {
			return false
		}
	}
	return r.Matchers.Matches(dims)
}

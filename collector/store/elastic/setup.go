package elastic

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Step is one setup request. Setup is idempotent: each step first reads what
// is installed and writes only when it is missing or older.
type Step struct {
	Kind   string `json:"kind"` // component_template, index_template, ilm_policy, ism_policy, data_stream, index
	Name   string `json:"name"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   obj    `json:"body,omitempty"`
}

// ClusterInfo is what setup needs to know about the cluster.
type ClusterInfo struct {
	Flavor  Flavor
	Version string
	// TSDS: host metrics go to a time series data stream.
	TSDS bool
}

// Plan lists the setup requests for a cluster, in the order they must run
// (components before the templates composed of them, policies before the
// templates naming them, templates before the data streams).
func Plan(info ClusterInfo, c Common) []Step {
	l := &layout{flavor: info.Flavor, tsds: info.TSDS, names: NamesFor(c.Namespace), c: c}
	var steps []Step
	add := func(kind, name, method, path string, body obj) {
		steps = append(steps, Step{Kind: kind, Name: name, Method: method, Path: path, Body: body})
	}
	comp := func(name string, tmpl obj) {
		add("component_template", name, "PUT", "/_component_template/"+name, obj{"template": tmpl})
	}
	comp("vigil-ecs@mappings", obj{"mappings": l.ecsMappings()})
	for _, s := range l.streams() {
		if info.Flavor == Elasticsearch {
			add("ilm_policy", policyName(s.kind), "PUT", "/_ilm/policy/"+policyName(s.kind), l.ilmPolicy(s))
		} else {
			add("ism_policy", policyName(s.kind), "PUT", "/_plugins/_ism/policies/"+policyName(s.kind), l.ismPolicy(s))
		}
	}
	for _, s := range l.streams() {
		comp("vigil-"+s.kind+"@mappings", obj{"mappings": s.mappings})
		comp("vigil-"+s.kind+"@settings", obj{"settings": l.settings(s)})
		tmpl := templateName(s.name, c.Namespace)
		add("index_template", tmpl, "PUT", "/_index_template/"+tmpl, obj{
			"index_patterns": []string{tmpl + "-*"},
			"data_stream":    obj{},
			"priority":       templatePriority,
			"composed_of":    []string{"vigil-ecs@mappings", "vigil-" + s.kind + "@mappings", "vigil-" + s.kind + "@settings"},
		})
	}
	for _, s := range l.streams() {
		add("data_stream", s.name, "PUT", "/_data_stream/"+s.name, nil)
	}
	for _, ix := range []struct {
		name string
		m    obj
	}{{l.names.Hosts, hostsMappings()}, {l.names.State, stateMappings()}} {
		add("index", ix.name, "PUT", "/"+ix.name, obj{
			"settings": obj{"index.number_of_shards": 1, "index.auto_expand_replicas": "0-1"},
			"mappings": ix.m,
		})
	}
	for i := range steps {
		stamp(&steps[i])
	}
	return steps
}

// stamp marks a versioned step with TemplateVersion and a hash of its
// content, so that a changed setting (retention, time series) of the same
// version is installed too.
func stamp(s *Step) {
	if s.Body == nil || s.Kind == "index" {
		return
	}
	b, _ := json.Marshal(s.Body)
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:6])
	m := meta()
	m["vigil_hash"] = hash
	switch s.Kind {
	case "component_template", "index_template":
		s.Body["version"] = TemplateVersion
		s.Body["_meta"] = m
	case "ilm_policy":
		s.Body["policy"].(obj)["_meta"] = m
	case "ism_policy":
		p := s.Body["policy"].(obj)
		p["description"] = fmt.Sprintf("%s (vigil_version=%d vigil_hash=%s)", p["description"], TemplateVersion, hash)
	}
}

// templateName is the index template of a data stream: its name without
// the namespace, so one template covers every namespace.
func templateName(stream, namespace string) string {
	return strings.TrimSuffix(stream, "-"+namespace)
}

// Print writes the plan as the requests it would send, for store-setup --print.
func Print(w io.Writer, steps []Step) error {
	for _, s := range steps {
		if _, err := fmt.Fprintf(w, "%s %s\n", s.Method, s.Path); err != nil {
			return err
		}
		if s.Body != nil {
			b, err := json.MarshalIndent(s.Body, "", "  ")
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "%s\n\n", b); err != nil {
				return err
			}
		} else if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	return nil
}

// Result is what Apply did with one step.
type Result struct {
	Step   Step
	Action string // created, updated, unchanged, kept-newer (installed by a newer collector), exists
	Have   int    // installed version (0: none)
}

// Apply runs the plan against the cluster.
func (c *Client) Apply(ctx context.Context, steps []Step) ([]Result, error) {
	out := make([]Result, 0, len(steps))
	for _, s := range steps {
		r, err := c.applyStep(ctx, s)
		if err != nil {
			return out, fmt.Errorf("setup %s %s: %w", s.Kind, s.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (c *Client) applyStep(ctx context.Context, s Step) (Result, error) {
	r := Result{Step: s}
	if s.Kind == "data_stream" || s.Kind == "index" {
		return c.create(ctx, s)
	}
	have, hash, query, err := c.installed(ctx, s)
	if err != nil {
		return r, err
	}
	r.Have = have
	switch {
	case have > TemplateVersion:
		r.Action = "kept-newer"
		return r, nil
	case have == TemplateVersion && hash == stepHash(s):
		r.Action = "unchanged"
		return r, nil
	}
	body, err := json.Marshal(s.Body)
	if err != nil {
		return r, err
	}
	status, resp, err := c.do(ctx, s.Method, s.Path+query, body)
	if err != nil {
		return r, err
	}
	if status >= 300 {
		return r, statusError(s.Method, s.Path, status, resp)
	}
	r.Action = "created"
	if have > 0 {
		r.Action = "updated"
	}
	return r, nil
}

// create makes a data stream or index, for which "already exists" is done.
func (c *Client) create(ctx context.Context, s Step) (Result, error) {
	r := Result{Step: s, Action: "created"}
	var body []byte
	if s.Body != nil {
		var err error
		if body, err = json.Marshal(s.Body); err != nil {
			return r, err
		}
	}
	status, resp, err := c.do(ctx, s.Method, s.Path, body)
	if err != nil {
		return r, err
	}
	if status >= 300 {
		if typ, _ := errorOf(resp); typ == "resource_already_exists_exception" {
			r.Action = "exists"
			return r, nil
		}
		return r, statusError(s.Method, s.Path, status, resp)
	}
	return r, nil
}

var ismMarkRE = regexp.MustCompile(`vigil_version=(\d+) vigil_hash=([0-9a-f]+)`)

// stepHash is the content hash stamp put on s.
func stepHash(s Step) string {
	switch s.Kind {
	case "component_template", "index_template":
		return s.Body["_meta"].(obj)["vigil_hash"].(string)
	case "ilm_policy":
		return s.Body["policy"].(obj)["_meta"].(obj)["vigil_hash"].(string)
	case "ism_policy":
		if m := ismMarkRE.FindStringSubmatch(s.Body["policy"].(obj)["description"].(string)); m != nil {
			return m[2]
		}
	}
	return ""
}

type vigilMeta struct {
	Version int    `json:"vigil_version"`
	Hash    string `json:"vigil_hash"`
}

// installed reads the version and hash of what a step would write (0 when
// absent) and, for ISM policies, the query parameters an update needs. A
// template or policy someone else made (no _meta) counts as version 0, older
// than ours: it is replaced, since Vigil's streams name it.
func (c *Client) installed(ctx context.Context, s Step) (int, string, string, error) {
	status, body, err := c.do(ctx, "GET", s.Path, nil)
	if err != nil {
		return 0, "", "", err
	}
	if status == 404 {
		return 0, "", "", nil
	}
	if status >= 300 {
		return 0, "", "", statusError("GET", s.Path, status, body)
	}
	switch s.Kind {
	case "component_template":
		var v struct {
			T []struct {
				C struct {
					Meta vigilMeta `json:"_meta"`
				} `json:"component_template"`
			} `json:"component_templates"`
		}
		if err := json.Unmarshal(body, &v); err != nil || len(v.T) == 0 {
			return 0, "", "", nil
		}
		return v.T[0].C.Meta.Version, v.T[0].C.Meta.Hash, "", nil
	case "index_template":
		var v struct {
			T []struct {
				I struct {
					Meta vigilMeta `json:"_meta"`
				} `json:"index_template"`
			} `json:"index_templates"`
		}
		if err := json.Unmarshal(body, &v); err != nil || len(v.T) == 0 {
			return 0, "", "", nil
		}
		return v.T[0].I.Meta.Version, v.T[0].I.Meta.Hash, "", nil
	case "ilm_policy":
		var v map[string]struct {
			Policy struct {
				Meta vigilMeta `json:"_meta"`
			} `json:"policy"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			return 0, "", "", nil
		}
		m := v[s.Name].Policy.Meta
		return m.Version, m.Hash, "", nil
	case "ism_policy":
		var v struct {
			SeqNo  int64 `json:"_seq_no"`
			Term   int64 `json:"_primary_term"`
			Policy struct {
				Description string `json:"description"`
			} `json:"policy"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			return 0, "", "", fmt.Errorf("decode ISM policy %s: %w", s.Name, err)
		}
		have, hash := 0, ""
		if m := ismMarkRE.FindStringSubmatch(v.Policy.Description); m != nil {
			have, _ = strconv.Atoi(m[1])
			hash = m[2]
		}
		// OpenSearch updates an existing policy only with the seq_no it has now.
		q := url.Values{"if_seq_no": {strconv.FormatInt(v.SeqNo, 10)}, "if_primary_term": {strconv.FormatInt(v.Term, 10)}}
		return have, hash, "?" + q.Encode(), nil
	}
	return 0, "", "", nil
}

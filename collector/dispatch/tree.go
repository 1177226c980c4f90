package dispatch

import (
	"maps"
	"strconv"
	"strings"

	"github.com/vigilmon/vigil/collector/alert"
)

// node is a Route with its inherited settings resolved, as used at runtime.
type node struct {
	opts     routeOptions
	matchers alert.Matchers
	cont     bool
	// key identifies the route in group keys: the parent's key, the route's
	// matchers and its index among its siblings, as in Alertmanager, so that
	// two routes with the same matchers still differ.
	key      string
	children []*node
}

// compile builds the runtime tree of r.
func compile(r *Route) *node {
	return compileChild(r, rootOptions(), "", -1)
}

func compileChild(r *Route, parent routeOptions, parentKey string, idx int) *node {
	n := &node{opts: r.resolve(parent), matchers: r.Matchers, cont: r.Continue}
	ms := make([]string, len(r.Matchers))
	for i, m := range r.Matchers {
		ms[i] = m.String()
	}
	n.key = "{" + strings.Join(ms, ",") + "}"
	if parentKey != "" {
		n.key = parentKey + "/" + n.key + "/" + strconv.Itoa(idx)
	}
	for i := range r.Routes {
		n.children = append(n.children, compileChild(&r.Routes[i], n.opts, n.key, i))
	}
	return n
}

// match returns the routes an alert with labels l ends up in: the first
// matching child (recursively), plus later matching siblings while the matched
// ones have Continue set; n itself when it matches and no child does.
func (n *node) match(l alert.Labels) []*node {
	if !n.matchers.Matches(l) {
		return nil
	}
	var out []*node
	for _, c := range n.children {
		m := c.match(l)
		out = append(out, m...)
		if len(m) > 0 && !c.cont {
			break
		}
	}
	if len(out) == 0 {
		out = append(out, n)
	}
	return out
}

// groupLabels returns the labels of l that make up its group in route n.
// Grouping by every label leaves severity out: an alert keeps its identity
// (and group) when only its severity changes.
func (n *node) groupLabels(l alert.Labels) alert.Labels {
	if n.opts.groupAll {
		g := maps.Clone(l)
		delete(g, alert.LabelSeverity)
		return g
	}
	return l.Subset(n.opts.groupBy)
}

// receivers lists every receiver named in the tree.
func (n *node) receivers(into map[string]bool) {
	into[n.opts.receiver] = true
	for _, c := range n.children {
		c.receivers(into)
	}
}

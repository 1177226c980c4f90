package config

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
)

// anchors maps anchor names to the node they name. Parse rejects documents
// that define a name twice, so one map serves the whole document.
type anchors map[string]ast.Node

// unwrap returns the node n stands for: the value of an anchor, the target
// of an alias, a mapping for a lone key/value pair.
func (a anchors) unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.MappingValueNode:
			// goccy's parser wraps pairs in mappings; this is in case it
			// ever does not.
			return ast.Mapping(v.Start, false, v)
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			target, ok := a[aliasName(v)]
			if !ok {
				return n
			}
			n = target
		default:
			return n
		}
	}
}

func aliasName(n *ast.AliasNode) string {
	if n.Value == nil || n.Value.GetToken() == nil {
		return ""
	}
	return n.Value.GetToken().Value
}

func anchorName(n *ast.AnchorNode) string {
	if n.Name == nil || n.Name.GetToken() == nil {
		return ""
	}
	return n.Name.GetToken().Value
}

// treeCheck walks the document once, in order, checking tags and aliases
// and counting nodes with aliases expanded.
type treeCheck struct {
	p     *parse
	defs  anchors
	order []*ast.AnchorNode
	sizes map[string]int
	open  map[string]bool
	nodes int
	ok    bool
	// capped is set once nodes passed maxNodes; the walk stops there.
	capped bool
}

// tooBig reports, once, that the document has more than maxNodes nodes.
func (c *treeCheck) tooBig(n ast.Node, msg string) bool {
	if c.nodes <= maxNodes {
		return false
	}
	if !c.capped {
		c.capped = true
		c.fail(n, msg)
	}
	return true
}

// checkTree rejects what goccy handles badly or dangerously: tags (goccy
// decodes few of them into typed values and panics on some, such as a tag
// on a list), an alias used before its anchor (goccy fails late, without
// context), an anchor name defined twice (goccy resolves every alias to the
// last definition, unlike YAML, and can loop forever), an alias inside its
// own anchor (goccy can recurse forever while formatting it), and documents
// that expand to more than maxNodes nodes (billion laughs).
// It returns the anchors and the anchor nodes in document order.
func (p *parse) checkTree(body ast.Node) (anchors, []*ast.AnchorNode, bool) {
	c := &treeCheck{p: p, defs: anchors{}, sizes: map[string]int{}, open: map[string]bool{}, ok: true}
	c.visit(body)
	return c.defs, c.order, c.ok
}

// visit counts n and everything under it, expanding aliases.
func (c *treeCheck) visit(n ast.Node) {
	if n == nil || c.capped {
		return
	}
	c.nodes++
	if c.tooBig(n, fmt.Sprintf("document has more than %d nodes", maxNodes)) {
		return
	}
	switch v := n.(type) {
	case *ast.AnchorNode:
		name := anchorName(v)
		if _, dup := c.defs[name]; dup || c.open[name] {
			c.fail(v, fmt.Sprintf("anchor &%s is defined more than once", name))
		}
		c.open[name] = true
		before := c.nodes
		c.visit(v.Value)
		delete(c.open, name)
		c.defs[name] = v.Value
		c.order = append(c.order, v)
		c.sizes[name] = c.nodes - before
	case *ast.AliasNode:
		name := aliasName(v)
		size, ok := c.sizes[name]
		switch {
		case c.open[name]:
			c.fail(v, fmt.Sprintf("alias *%s is inside its own anchor", name))
		case !ok:
			c.fail(v, fmt.Sprintf("alias *%s has no anchor &%s before it", name, name))
		default:
			c.nodes += size
			c.tooBig(v, fmt.Sprintf("aliases expand the document to more than %d nodes", maxNodes))
		}
	case *ast.MappingNode:
		for _, mv := range v.Values {
			c.visit(mv)
		}
	case *ast.MappingValueNode:
		c.visit(v.Key)
		c.visit(v.Value)
	case *ast.MappingKeyNode:
		c.visit(v.Value)
	case *ast.SequenceNode:
		for _, item := range v.Values {
			c.visit(item)
		}
	case *ast.TagNode:
		tag := ""
		if v.Start != nil {
			tag = v.Start.Value
		}
		c.fail(v, fmt.Sprintf("YAML tags such as %s are not supported: quote a value to make it a string", shorten(tag)))
		c.visit(v.Value)
	}
}

func (c *treeCheck) fail(n ast.Node, msg string) {
	c.ok = false
	c.p.addAt(n, msg)
}

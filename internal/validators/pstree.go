package validators

import (
	"strings"
	"testing"
)

// PSNode is one node of a PowerShell parse tree as tools/psparse/tree.mjs
// prints it: chains of single-child expression wrappers are folded into their
// child, so a statement's shape shows directly (a pipeline holding a command,
// an assignment, a flow-control statement).
type PSNode struct {
	Type     string   `json:"t"`
	Line     int      `json:"l"`
	Text     string   `json:"x,omitempty"` // leaves only
	Error    bool     `json:"e,omitempty"` // an ERROR or MISSING node
	Children []PSNode `json:"c,omitempty"`
}

// Child returns the first child of the given type, or nil.
func (n *PSNode) Child(typ string) *PSNode {
	for i := range n.Children {
		if n.Children[i].Type == typ {
			return &n.Children[i]
		}
	}
	return nil
}

// Walk calls f on n and every node below it, parents first; f returning false
// skips a node's children.
func (n *PSNode) Walk(f func(*PSNode) bool) {
	if !f(n) {
		return
	}
	for i := range n.Children {
		n.Children[i].Walk(f)
	}
}

// Source returns the text of the leaves under n, separated by spaces: enough
// to name a node in a message or compare a short expression.
func (n *PSNode) Source() string {
	var parts []string
	n.Walk(func(x *PSNode) bool {
		if len(x.Children) == 0 {
			parts = append(parts, x.Text)
		}
		return true
	})
	return strings.Join(parts, " ")
}

// ParsePowerShellTree parses scripts with the tree-sitter PowerShell grammar,
// as ParsePowerShell does, and returns each script's whole tree.
func ParsePowerShellTree(t testing.TB, scripts ...[]byte) []PSNode {
	t.Helper()
	var trees []PSNode
	runPSParse(t, "tree.mjs", scripts, &trees)
	return trees
}

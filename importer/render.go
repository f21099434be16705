package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// node is a struct of the rendered CUE: fields in the order first written.
type node struct {
	keys     []string
	children map[string]*node
	value    any
}

func (n *node) child(k string) *node {
	if c, ok := n.children[k]; ok {
		return c
	}
	if n.children == nil {
		n.children = map[string]*node{}
	}
	c := &node{}
	n.children[k] = c
	n.keys = append(n.keys, k)
	return c
}

// literal writes a value as a CUE literal. JSON strings are CUE strings
// (CUE's interpolation needs "\(", and JSON writes a backslash as "\\").
func literal(v any) string {
	if l, ok := v.([]string); ok {
		q := make([]string, len(l))
		for i, s := range l {
			q[i] = literal(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

func (n *node) write(b *strings.Builder, depth int) {
	ind := strings.Repeat("\t", depth)
	for _, k := range n.keys {
		c := n.children[k]
		label := k
		// A struct of one field is written on one line, as people write
		// them: windows: edr: enabled: false.
		for len(c.keys) == 1 {
			label += ": " + c.keys[0]
			c = c.children[c.keys[0]]
		}
		if c.children == nil {
			fmt.Fprintf(b, "%s%s: %s\n", ind, label, literal(c.value))
			continue
		}
		fmt.Fprintf(b, "%s%s: {\n", ind, label)
		c.write(b, depth+1)
		fmt.Fprintf(b, "%s}\n", ind)
	}
}

// render writes the fleet file: package clause, what was imported and what
// was not, and the profile.
// Every line of text in a comment is escaped (diag.Escape): nothing in it
// can end the line.
func render(in *intent, sources []string, warnings, notes []string) []byte {
	var b strings.Builder
	b.WriteString("package fleet\n\n")
	b.WriteString("// Written by `mdeproxyc import` from:\n")
	for _, s := range sources {
		b.WriteString("//   " + diag.Escape(s) + "\n")
	}
	if len(warnings) > 0 {
		b.WriteString("//\n// Not expressed by this profile (review before you deploy it):\n")
		for _, w := range warnings {
			b.WriteString("//   - " + diag.Escape(w) + "\n")
		}
	}
	if len(notes) > 0 {
		b.WriteString("//\n// Notes:\n")
		for _, n := range notes {
			b.WriteString("//   - " + diag.Escape(n) + "\n")
		}
	}
	root := &node{}
	prof := root.child("profiles").child(model.QuoteLabel(in.name))
	// The profile's own settings first, then the components'.
	paths := slices.Clone(in.paths)
	slices.SortStableFunc(paths, func(a, b model.Path) int {
		return strings.Count(string(a), ".") - strings.Count(string(b), ".")
	})
	for _, p := range paths {
		n := prof
		for _, part := range strings.Split(string(p), ".") {
			n = n.child(part)
		}
		n.value = in.values[p]
	}
	b.WriteByte('\n')
	// profiles: name: { … } reads as the rest of a fleet does.
	fmt.Fprintf(&b, "profiles: %s: {\n", model.QuoteLabel(in.name))
	prof.write(&b, 1)
	b.WriteString("}\n")
	return []byte(b.String())
}

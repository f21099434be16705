package compile

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/schema"
)

// TestREADMEDocumentsEveryField: every setting of the schema has a row in
// the README's table of the intent language. A row may name several
// settings: "`windows.winhttp.proxy`, `.bypass`" is windows.winhttp.proxy
// and windows.winhttp.bypass.
func TestREADMEDocumentsEveryField(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	code := regexp.MustCompile("`([^`]+)`")
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cell := strings.SplitN(line, "|", 3)[1]
		parent := ""
		for _, m := range code.FindAllStringSubmatch(cell, -1) {
			name := m[1]
			if strings.HasPrefix(name, ".") {
				name = parent + name
			} else if i := strings.LastIndex(name, "."); i >= 0 {
				parent = name[:i]
			}
			documented[name] = true
		}
	}
	fields, err := fieldsFromSchema(schema.CUE)
	if err != nil {
		t.Fatal(err)
	}
	leaves := 0
	for _, f := range fields {
		group := false
		for _, g := range fields {
			if strings.HasPrefix(g.path, f.path+".") {
				group = true
			}
		}
		if group {
			continue
		}
		leaves++
		if !documented[f.path] {
			t.Errorf("schema field %s has no row in README.md's table of the intent language", f.path)
		}
	}
	if leaves < 30 {
		t.Fatalf("only %d schema fields found", leaves)
	}
}

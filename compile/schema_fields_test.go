package compile

import (
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/schema"
)

// TestFieldsFromSchemaRejects: a setting the Go side has no grammar for, or a
// shape it cannot read, stops the program rather than going unvalidated.
func TestFieldsFromSchemaRejects(t *testing.T) {
	for _, src := range []string{
		"#Settings: {proxy?: #Unknown}",
		"#Settings: {proxy?: int}",
		"#Settings: {bypass?: [...int]}",
		"#Other: {}",
	} {
		if _, err := fieldsFromSchema([]byte(src)); err == nil {
			t.Errorf("%s: accepted", src)
		}
	}
	fs, err := fieldsFromSchema([]byte(`#Settings: {a?: "x" | "y", b?: [_, ...] & [...("p" | "q")], c?: {d?: bool}, e?: [...{rule: string}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		allowed := ""
		if f.grammar != nil {
			allowed = f.grammar.allowed
		}
		got = append(got, f.path+"/"+allowed)
		if f.path == "b" && (!f.nonEmpty || !f.unique || f.kind != kindStringList) {
			t.Errorf("b: %+v", f)
		}
	}
	if want := `a/"x" or "y" b/"p" or "q" c/ c.d/ e/`; strings.Join(got, " ") != want {
		t.Errorf("got %s, want %s", strings.Join(got, " "), want)
	}
}

// BenchmarkFieldsFromSchema is the start-up cost of reading the field table
// from the schema instead of keeping a second copy of it in Go.
func BenchmarkFieldsFromSchema(b *testing.B) {
	for range b.N {
		if _, err := fieldsFromSchema(schema.CUE); err != nil {
			b.Fatal(err)
		}
	}
}

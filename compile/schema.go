package compile

import (
	"fmt"
	"strconv"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// grammarOf names the Go grammar that checks each string definition of the
// schema. A setting written with a definition that is not here stops the
// program at start-up (and every test), so schema and grammars cannot drift.
var grammarOf = map[string]*grammar{
	"#Text":              &textGrammar,
	"#DisplayName":       &displayNameGrammar,
	"#HostPort":          &hostPortGrammar,
	"#ProxyURL":          &proxyURLGrammar,
	"#LinuxURL":          &linuxURLGrammar,
	"#PacURL":            &pacGrammar,
	"#Bypass":            &bypassGrammar,
	"#Identifier":        &identifierGrammar,
	"#DistinguishedName": &distinguishedNameGrammar,
	// Intune assignments (publish intune).
	"#GroupID":          &groupIDGrammar,
	"#AssignmentTarget": &assignmentTargetGrammar,
	"#ScopeTagID":       &scopeTagGrammar,
}

// mustFieldsFromSchema reads the settings of #Settings from the schema's
// syntax. It parses, it does not evaluate: a few hundred microseconds at
// start-up, against milliseconds for any fleet.
func mustFieldsFromSchema(src []byte) []field {
	fs, err := fieldsFromSchema(src)
	if err != nil {
		panic("compile: the embedded schema: " + err.Error())
	}
	return fs
}

func fieldsFromSchema(src []byte) ([]field, error) {
	f, err := parser.ParseFile("schema.cue", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.Field); ok && schemaLabel(fd.Label) == "#Settings" {
			var out []field
			err := addFields(&out, "", fd.Value)
			return out, err
		}
	}
	return nil, fmt.Errorf("no #Settings definition")
}

// addFields appends the settings of one struct of the schema, depth first.
func addFields(out *[]field, prefix string, x ast.Expr) error {
	st, ok := x.(*ast.StructLit)
	if !ok {
		return fmt.Errorf("%s: not a struct", prefix)
	}
	for _, e := range st.Elts {
		fd, ok := e.(*ast.Field)
		if !ok {
			continue
		}
		path := schemaLabel(fd.Label)
		if prefix != "" {
			path = prefix + "." + path
		}
		if _, isStruct := fd.Value.(*ast.StructLit); isStruct {
			*out = append(*out, field{path: path, kind: kindGroup})
			if err := addFields(out, path, fd.Value); err != nil {
				return err
			}
			continue
		}
		f, err := leafField(path, fd.Value)
		if err != nil {
			return err
		}
		*out = append(*out, f)
	}
	return nil
}

// leafField reads one setting's value expression: bool, a definition, a
// disjunction of strings (an enum), or a list of those; a list of structs is
// lint.ignore's shape.
func leafField(path string, x ast.Expr) (field, error) {
	switch v := x.(type) {
	case *ast.Ident:
		if v.Name == "bool" {
			return field{path: path, kind: kindBool}, nil
		}
		if g := grammarOf[v.Name]; g != nil {
			return field{path: path, kind: kindString, grammar: g}, nil
		}
	case *ast.BinaryExpr:
		if v.Op == token.OR {
			if values, ok := enumValues(v); ok {
				return field{path: path, kind: kindString, grammar: enumGrammar(values...)}, nil
			}
		}
		// [_, ...] & [...elem]: a list that may not be empty.
		if l, ok := v.X.(*ast.ListLit); ok && v.Op == token.AND && len(l.Elts) == 2 {
			f, err := leafField(path, v.Y)
			f.nonEmpty = true
			return f, err
		}
	case *ast.ListLit:
		if len(v.Elts) == 1 {
			if el, ok := v.Elts[0].(*ast.Ellipsis); ok {
				elem := el.Type
				if p, ok := elem.(*ast.ParenExpr); ok {
					elem = p.X
				}
				if _, ok := elem.(*ast.StructLit); ok {
					return field{path: path, kind: kindIgnoreList}, nil
				}
				f, err := leafField(path, elem)
				if err != nil || f.kind != kindString {
					return field{}, fmt.Errorf("%s: a list of %T is not a setting kind", path, elem)
				}
				return field{path: path, kind: kindStringList, grammar: f.grammar, unique: true}, nil
			}
		}
	}
	return field{}, fmt.Errorf("%s: the schema writes a value mdeproxyc has no grammar for (add it to grammarOf)", path)
}

// enumValues returns the strings of a disjunction of string literals.
func enumValues(x ast.Expr) ([]string, bool) {
	switch v := x.(type) {
	case *ast.BinaryExpr:
		if v.Op != token.OR {
			return nil, false
		}
		a, ok1 := enumValues(v.X)
		b, ok2 := enumValues(v.Y)
		return append(a, b...), ok1 && ok2
	case *ast.BasicLit:
		s, err := strconv.Unquote(v.Value)
		return []string{s}, v.Kind == token.STRING && err == nil
	}
	return nil, false
}

// schemaLabel is a label of the schema's own syntax, definitions included.
func schemaLabel(l ast.Label) string {
	name, _, err := ast.LabelName(l)
	if err != nil {
		return ""
	}
	return name
}

package compile

import (
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"

	"github.com/mdeproxyc/mdeproxyc/model"
)

// fastSource is the fleet cut for per-profile evaluation.
//
// Evaluating one CUE struct with N profile fields is super-linear in CUE v0.17
// (100k profiles: ~30 s), while building each profile's expressions on its own
// is linear (~30 µs each). When the syntax proves that nothing but the profile
// itself can contribute to a profile, and that a profile refers to nothing but
// the rest of the package, the profiles are cut out of the syntax tree: the rest
// (defaults, hidden helpers, definitions) is built once as the scope, and each
// profile's expressions are built in that scope. Anything else is evaluated as
// one package, which is what CUE does (docs/PERFORMANCE.md, "One meaning, two
// speeds").
type fastSource struct {
	// base is the files without their `profiles` declarations.
	base []*ast.File
	// profiles in first-appearance (load) order.
	profiles []*profileSource
	// unbound records the references that were detached from their file so
	// that a profile built alone looks them up in the base; restore puts them
	// back before a whole evaluation.
	unbound []unboundIdent
}

type unboundIdent struct {
	id    *ast.Ident
	scope ast.Node
	node  ast.Node
}

// profileSource is every expression the user wrote for one profile.
type profileSource struct {
	name     string
	labelPos model.Pos
	exprs    []ast.Expr
}

// written is where the profile's value is written: its newest declaration,
// as the whole-package path reports it (exprs are in load order).
func (p *profileSource) written() model.Pos {
	return posOf(p.exprs[len(p.exprs)-1].Pos())
}

// splitFast returns the fleet cut for per-profile evaluation, or nil when the
// syntax does not prove it equivalent to evaluating the whole package.
//
// Eligible, and nothing else: every top-level declaration of every file is the
// package clause, an import, a comment or attribute, a plain `defaults: …` field,
// a hidden field or definition (_name, #Name), or a plain `profiles: {…}` field
// whose elements are all plain profile fields (`name: …` or `"name": …`; no
// pattern constraint, comprehension, embedding, let, alias, optional or required
// marker). No identifier anywhere is named `profiles` other than those labels,
// and no profile refers to a sibling in its `profiles` struct.
func splitFast(files []*ast.File) *fastSource {
	fs := &fastSource{}
	byName := map[string]*profileSource{}
	var profileStructs []*ast.StructLit
	for _, f := range files {
		base := *f
		base.Decls = nil
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.Package, *ast.ImportDecl, *ast.CommentGroup, *ast.Attribute:
				base.Decls = append(base.Decls, d)
				continue
			case *ast.Field:
				id, ok := d.Label.(*ast.Ident)
				if !ok || d.Constraint != token.ILLEGAL || d.Alias != nil {
					return nil
				}
				switch {
				case id.Name == "profiles":
					lit, ok := d.Value.(*ast.StructLit)
					if !ok {
						return nil
					}
					profileStructs = append(profileStructs, lit)
					for _, e := range lit.Elts {
						pf, ok := e.(*ast.Field)
						if !ok || pf.Constraint != token.ILLEGAL || pf.Alias != nil {
							return nil
						}
						name, ok := plainLabel(pf.Label)
						if !ok {
							return nil
						}
						ps := byName[name]
						if ps == nil {
							ps = &profileSource{name: name, labelPos: posOf(pf.Label.Pos())}
							byName[name] = ps
							fs.profiles = append(fs.profiles, ps)
						}
						ps.exprs = append(ps.exprs, pf.Value)
					}
					continue
				case id.Name == "defaults", strings.HasPrefix(id.Name, "_"), strings.HasPrefix(id.Name, "#"):
					base.Decls = append(base.Decls, d)
					continue
				}
			}
			return nil
		}
		fs.base = append(fs.base, &base)
	}
	if mentionsProfiles(files, profileStructs) {
		return nil
	}
	// References to file-level fields and imports were resolved by the parser to
	// nodes of the whole file; a profile built on its own must look them up in
	// the scope it is given instead.
	inProfile := map[*ast.Ident]bool{}
	for _, p := range fs.profiles {
		for _, e := range p.exprs {
			fs.unbind(e, inProfile)
		}
	}
	for _, b := range fs.base {
		// Building an instance links each file's unresolved identifiers to
		// other files' fields, in place. The base gets its own list, without
		// the cut-out profiles' identifiers, so that building it changes
		// neither the profiles nor the files a whole evaluation builds.
		var own []*ast.Ident
		for _, id := range b.Unresolved {
			if !inProfile[id] {
				own = append(own, id)
			}
		}
		b.Unresolved = own
		dropUnusedImports(b)
	}
	return fs
}

// plainLabel returns a label's name when it is an identifier or a double-quoted
// string without escapes or interpolation.
func plainLabel(l ast.Label) (string, bool) {
	switch l := l.(type) {
	case *ast.Ident:
		if strings.HasPrefix(l.Name, "_") || strings.HasPrefix(l.Name, "#") || l.Name == "" {
			return "", false
		}
		return l.Name, true
	case *ast.BasicLit:
		v := l.Value
		if l.Kind != token.STRING || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' ||
			strings.HasPrefix(v, `"""`) || strings.ContainsAny(v[1:len(v)-1], "\\\"") {
			return "", false
		}
		return v[1 : len(v)-1], true
	}
	return "", false
}

// mentionsProfiles reports whether anything but the top-level labels names
// `profiles`, or whether an identifier resolves to a profiles struct (a
// reference to a sibling profile).
func mentionsProfiles(files []*ast.File, structs []*ast.StructLit) bool {
	isProfiles := map[ast.Node]bool{}
	for _, s := range structs {
		isProfiles[s] = true
	}
	found := false
	for _, f := range files {
		for _, d := range f.Decls {
			var walkRoot ast.Node = d
			if fd, ok := d.(*ast.Field); ok {
				// The top-level label itself is the one allowed mention.
				walkRoot = fd.Value
			}
			ast.Walk(walkRoot, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					if id.Name == "profiles" || isProfiles[id.Scope] {
						found = true
					}
				}
				return !found
			}, nil)
			if found {
				return true
			}
		}
	}
	return false
}

func (fs *fastSource) unbind(e ast.Expr, seen map[*ast.Ident]bool) {
	ast.Walk(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			seen[id] = true
			_, fileScope := id.Scope.(*ast.File)
			_, isImport := id.Node.(*ast.ImportSpec)
			if fileScope || isImport {
				fs.unbound = append(fs.unbound, unboundIdent{id, id.Scope, id.Node})
				id.Scope, id.Node = nil, nil
			}
		}
		return true
	}, nil)
}

// restore undoes unbind, so that the files evaluate as written.
func (fs *fastSource) restore() {
	for _, u := range fs.unbound {
		u.id.Scope, u.id.Node = u.scope, u.node
	}
	fs.unbound = nil
}

// dropUnusedImports removes the imports only the cut-out profiles used, which
// CUE would otherwise report as unused in the base.
func dropUnusedImports(f *ast.File) {
	used := map[*ast.ImportSpec]bool{}
	for _, d := range f.Decls {
		if _, ok := d.(*ast.ImportDecl); ok {
			continue
		}
		ast.Walk(d, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				if spec, ok := id.Node.(*ast.ImportSpec); ok {
					used[spec] = true
				}
			}
			return true
		}, nil)
	}
	var decls []ast.Decl
	for _, d := range f.Decls {
		id, ok := d.(*ast.ImportDecl)
		if !ok {
			decls = append(decls, d)
			continue
		}
		var keep []*ast.ImportSpec
		for _, spec := range id.Specs {
			if used[spec] {
				keep = append(keep, spec)
			}
		}
		if len(keep) > 0 {
			c := *id
			c.Specs = keep
			decls = append(decls, &c)
		}
	}
	f.Decls = decls
}

// definedAt lists, for each profile written as a plain field of a top-level
// `profiles` struct, every position its label is written at, in load order.
func definedAt(files []*ast.File) (names []string, at map[string][]model.Pos) {
	at = map[string][]model.Pos{}
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			if name, ok := plainLabel(fd.Label); !ok || name != "profiles" {
				continue
			}
			lit, ok := fd.Value.(*ast.StructLit)
			if !ok {
				continue
			}
			for _, e := range lit.Elts {
				pf, ok := e.(*ast.Field)
				if !ok {
					continue
				}
				name, ok := plainLabel(pf.Label)
				if !ok {
					continue
				}
				if at[name] == nil {
					names = append(names, name)
				}
				at[name] = append(at[name], posOf(pf.Label.Pos()))
			}
		}
	}
	return names, at
}

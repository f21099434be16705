package compile

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// source is a fleet directory parsed and split for evaluation.
//
// Evaluating one CUE struct with N profile fields is super-linear in CUE v0.17
// (100k profiles: ~30 s), while building each profile's expression on its own is
// linear (~45 µs each). So when every profile is written as a plain field of a
// `profiles` struct literal, the profiles are cut out of the syntax tree: the rest
// of the package (defaults, hidden helpers, definitions) is built once as the
// scope, and each profile's expressions are built in that scope. Anything this
// cut cannot keep exact (comprehensions, let clauses, references to `profiles`)
// falls back to evaluating the whole package.
type source struct {
	files []*ast.File
	// base is files without their `profiles` declarations (split mode only).
	base []*ast.File
	// profiles in first-appearance order (split mode only).
	profiles []*profileSource
	// whole is set when the profiles cannot be split out of the syntax.
	whole bool
}

// profileSource is every expression the user wrote for one profile.
type profileSource struct {
	name     string
	labelPos model.Pos
	exprs    []ast.Expr
}

// loadDir parses every .cue file of dir (one package, sorted by name).
func loadDir(dir string) (*source, diag.List) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, diag.List{{Severity: diag.Error, Msg: fmt.Sprintf("cannot read the fleet directory: %v", err)}}
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".cue") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, diag.List{{Pos: model.Pos{File: dir}, Severity: diag.Error, Msg: "no .cue files in the fleet directory (run `mdeproxyc init` for a starter fleet)"}}
	}
	var (
		src   source
		diags diag.List
		pkg   string
		pkgAt model.Pos
	)
	for _, name := range names {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			diags = append(diags, diag.Diagnostic{Pos: model.Pos{File: path}, Severity: diag.Error, Msg: err.Error()})
			continue
		}
		f, err := parser.ParseFile(path, data, parser.ParseComments)
		if err != nil {
			diags = append(diags, fromCUE(err, "")...)
			continue
		}
		name := f.PackageName()
		at := posOf(f.Pos())
		if pc := packageClause(f); pc != nil {
			at = posOf(pc.Pos())
		}
		switch {
		case name == "":
			diags = append(diags, diag.Diagnostic{Pos: model.Pos{File: path, Line: 1, Col: 1}, Severity: diag.Error,
				Msg: "missing package clause; every file of a fleet starts with the same `package` line (e.g. package fleet)"})
		case pkg == "":
			pkg, pkgAt = name, at
		case name != pkg:
			diags = append(diags, diag.Diagnostic{Pos: at, Severity: diag.Error,
				Msg: fmt.Sprintf("package %s differs from package %s at %s; a fleet is one package", name, pkg, pkgAt)})
		}
		for imp := range f.ImportSpecs() {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
				diags = append(diags, diag.Diagnostic{Pos: posOf(imp.Pos()), Severity: diag.Error,
					Msg: fmt.Sprintf("import %q: only CUE's standard library can be imported (strings, list, net, …)", p)})
			}
		}
		src.files = append(src.files, f)
	}
	if len(diags) > 0 {
		return nil, diags
	}
	src.split()
	return &src, nil
}

func packageClause(f *ast.File) *ast.Package {
	for _, d := range f.Decls {
		if p, ok := d.(*ast.Package); ok {
			return p
		}
	}
	return nil
}

// split cuts the profiles out of the syntax, or sets whole when it cannot.
func (s *source) split() {
	byName := map[string]*profileSource{}
	for _, f := range s.files {
		base := *f
		base.Decls = nil
		for _, d := range f.Decls {
			fd, ok := d.(*ast.Field)
			if !ok || labelName(fd.Label) != "profiles" {
				if _, isLet := d.(*ast.LetClause); isLet {
					// A file-level let is invisible to a profile built on its own.
					s.whole = true
				}
				base.Decls = append(base.Decls, d)
				continue
			}
			lit, ok := fd.Value.(*ast.StructLit)
			if !ok || fd.Constraint != token.ILLEGAL {
				s.whole = true
				base.Decls = append(base.Decls, d)
				continue
			}
			for _, e := range lit.Elts {
				pf, ok := e.(*ast.Field)
				name := ""
				if ok && pf.Constraint == token.ILLEGAL {
					name = labelName(pf.Label)
				}
				if name == "" || refersToProfiles(pf.Value) {
					s.whole = true
					continue
				}
				ps := byName[name]
				if ps == nil {
					ps = &profileSource{name: name, labelPos: posOf(pf.Label.Pos())}
					byName[name] = ps
					s.profiles = append(s.profiles, ps)
				}
				ps.exprs = append(ps.exprs, pf.Value)
			}
		}
		s.base = append(s.base, &base)
	}
	if s.whole {
		s.base, s.profiles = nil, nil
		return
	}
	// References to file-level fields and imports were resolved by the parser to
	// nodes of the whole file; a profile built on its own must look them up in the
	// scope it is given instead.
	for _, p := range s.profiles {
		for _, e := range p.exprs {
			unbindFileScope(e)
		}
	}
	for _, b := range s.base {
		dropUnusedImports(b)
	}
}

// labelName returns a field label's name when it is a plain identifier or a
// plain string, and "" for anything computed.
func labelName(l ast.Label) string {
	switch l := l.(type) {
	case *ast.Ident:
		if strings.HasPrefix(l.Name, "_") || strings.HasPrefix(l.Name, "#") {
			return ""
		}
		return l.Name
	case *ast.BasicLit:
		s, err := strconv.Unquote(l.Value)
		if err != nil {
			return ""
		}
		return s
	}
	return ""
}

func refersToProfiles(e ast.Expr) bool {
	found := false
	ast.Walk(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == "profiles" {
			if _, isFile := id.Scope.(*ast.File); isFile || id.Scope == nil {
				found = true
			}
		}
		return !found
	}, nil)
	return found
}

func unbindFileScope(e ast.Expr) {
	ast.Walk(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			_, fileScope := id.Scope.(*ast.File)
			_, isImport := id.Node.(*ast.ImportSpec)
			if fileScope || isImport {
				id.Scope, id.Node = nil, nil
			}
		}
		return true
	}, nil)
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

package compile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing/fstest"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/parser"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// maxFileSize caps one .cue file: a fleet of 100,000 profiles is about 30 MB,
// and a symlink to /dev/zero must end in an error, not in exhausted memory.
const maxFileSize = 64 << 20

// source is a fleet folder, its files selected as CUE selects them and parsed.
type source struct {
	// files is every file of the fleet's package, in load order: sorted by the
	// path relative to the fleet folder. "Later in load order" is what "newest"
	// means in diagnostics (see README, "Files and folders").
	files []*ast.File
	// order maps a file name (as in positions) to its index in files.
	order map[string]int
	// text is each file's content by name, for hints.
	text map[string][]byte
	// fast is set when the per-profile evaluation is provably the same as
	// evaluating the whole package (see select.go).
	fast *fastSource
}

// loadDir reads the fleet folder dir and its subfolders. The file selection is
// cue/load's own, run over an in-memory copy of the files this function read:
// so CUE decides which files count (@if and @ignore attributes, `_`/`.`
// prefixes, `_test`/`_tool` suffixes, the package clause), and only regular
// files of bounded size are ever opened.
func loadDir(dir string) (*source, diag.List) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, diag.List{fileDiag(dir, fmt.Sprintf("cannot read the fleet folder: %v", err))}
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		msg := "not a folder"
		if err != nil {
			msg = unwrapPathErr(err)
		}
		return nil, diag.List{fileDiag(dir, "cannot read the fleet folder: "+msg)}
	}
	fsys := fstest.MapFS{}
	var (
		dirs  []string // slash paths inside the fleet folder, "." first
		diags diag.List
	)
	var walk func(rel string)
	walk = func(rel string) {
		real := filepath.Join(dir, filepath.FromSlash(rel))
		entries, err := os.ReadDir(real)
		if err != nil {
			diags = append(diags, fileDiag(real, "cannot read the folder: "+unwrapPathErr(err)))
			return
		}
		hasCUE := false
		for _, e := range entries {
			name := e.Name()
			relName := path.Join(rel, name)
			if e.IsDir() {
				if skipFolder(real, name) {
					continue
				}
				walk(relName)
				continue
			}
			// cue/load ignores these by name, before reading them.
			if !strings.HasSuffix(name, ".cue") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				continue
			}
			data, problem := readFleetFile(filepath.Join(real, name))
			if problem != "" {
				diags = append(diags, fileDiag(filepath.Join(real, name), problem))
				continue
			}
			if problem := encodingProblem(data); problem != "" {
				diags = append(diags, fileDiag(filepath.Join(real, name), problem))
				continue
			}
			fsys[relName] = &fstest.MapFile{Data: data, Mode: 0o644}
			hasCUE = true
		}
		if hasCUE {
			dirs = append(dirs, rel)
		}
	}
	walk(".")
	if len(diags) > 0 {
		return nil, diags
	}
	if len(dirs) == 0 {
		return nil, diag.List{fileDiag(dir, "no .cue files in the fleet directory or its subfolders (run `mdeproxyc init` for a starter fleet)")}
	}
	src, diags := selectFiles(dir, fsys, dirs)
	if len(diags) > 0 {
		return nil, diags
	}
	if d, ok := partOfParent(dir, src.files[0].PackageName()); ok {
		return nil, diag.List{d}
	}
	return src, nil
}

// partOfParent reports a fleet folder that is a subfolder of a larger fleet:
// its parent holds .cue files of the same package, and the parent's fleet
// takes this folder in. Run here, mdeproxyc would see a part of the fleet
// without the defaults and profiles the parent holds. The top of the larger
// fleet is named: a parent's parent of the same package is part of it too.
func partOfParent(dir, pkg string) (diag.Diagnostic, bool) {
	cur, err := filepath.Abs(dir)
	if err != nil {
		return diag.Diagnostic{}, false
	}
	top, topFile := "", ""
	// Folders without .cue files are climbed through (a fleet takes in
	// emea/paris/ whether or not emea/ holds a file); a folder with files of
	// another package ends the climb, as a module's root and a Git
	// repository's root do.
	for range 64 {
		// A fleet lives in a repository: .cue files above its root (a
		// scratch file in the home or temporary folder) are no part of it.
		if _, err := os.Lstat(filepath.Join(cur, ".git")); err == nil {
			break
		}
		// The parent's fleet leaves cur out (a module's root, testdata, _x)
		// as cue does.
		parent := filepath.Dir(cur)
		if parent == cur || skipFolder(parent, filepath.Base(cur)) {
			break
		}
		file, others := packageFileIn(parent, pkg)
		if file != "" {
			top, topFile = parent, file
		} else if others {
			break
		}
		cur = parent
	}
	if top == "" {
		return diag.Diagnostic{}, false
	}
	rel := top
	if cwd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(cwd, top); err == nil {
			rel = r
		}
	}
	return fileDiag(dir, fmt.Sprintf("this folder is part of the fleet at %s (%s is package %s too, and a fleet takes in its subfolders); run mdeproxyc there: mdeproxyc vet %s",
		rel, filepath.Join(rel, topFile), pkg, rel)), true
}

// packageFileIn returns the first .cue file of folder (not its subfolders)
// whose package clause names pkg, or "", and whether the folder holds .cue
// files of other packages. Files cue/load leaves out by name are skipped;
// only regular files are read.
func packageFileIn(folder, pkg string) (file string, others bool) {
	entries, err := os.ReadDir(folder)
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".cue") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
			strings.HasSuffix(name, "_test.cue") || strings.HasSuffix(name, "_tool.cue") {
			continue
		}
		data, problem := readFleetFile(filepath.Join(folder, name))
		if problem != "" {
			continue
		}
		f, err := parser.ParseFile(name, data, parser.PackageClauseOnly)
		switch {
		case err != nil:
		case f.PackageName() == pkg:
			return name, others
		case f.PackageName() != "":
			others = true
		}
	}
	return "", others
}

// skipFolder reports whether CUE would leave a subfolder out of `./...`: cue.mod,
// names starting with '.' or '_', testdata, and nested modules.
func skipFolder(parent, name string) bool {
	if name == "cue.mod" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return true
	}
	_, err := os.Stat(filepath.Join(parent, name, "cue.mod"))
	return err == nil
}

// readFleetFile reads one .cue file, or says why it cannot be part of a fleet.
// The file is opened without blocking and checked on the open descriptor, so a
// FIFO, a device or a file swapped for one after listing cannot hang the build
// or fill memory.
func readFleetFile(name string) ([]byte, string) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, "cannot read the file: " + unwrapPathErr(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "cannot read the file: " + unwrapPathErr(err)
	}
	if kind := notRegular(st.Mode()); kind != "" {
		return nil, fmt.Sprintf("is %s, not a regular file; allowed: regular .cue files (symbolic links to regular files are followed)", kind)
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Sprintf("is %d bytes; allowed: at most %d MiB per file", st.Size(), maxFileSize>>20)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, "cannot read the file: " + unwrapPathErr(err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Sprintf("is more than %d MiB; allowed: at most %d MiB per file", maxFileSize>>20, maxFileSize>>20)
	}
	return data, ""
}

func notRegular(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	default:
		return "not a regular file"
	}
}

func unwrapPathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// fileDiag is an error about a whole file or folder: it names the file and no line.
func fileDiag(file, msg string) diag.Diagnostic {
	return diag.Diagnostic{Pos: model.Pos{File: file}, Severity: diag.Error, Msg: msg}
}

// selectFiles lets cue/load pick the files of each folder, then keeps the fleet's
// package: the package of the fleet folder's own files; a folder without any
// is refused.
//
// File names in positions are dir joined with the path inside the fleet folder,
// so that messages name files the way the user named the folder.
func selectFiles(dir string, fsys fstest.MapFS, dirs []string) (*source, diag.List) {
	args := make([]string, len(dirs))
	for i, d := range dirs {
		args[i] = "./" + d
	}
	cfg := &load.Config{
		FS:          fsys,
		Package:     "*",
		SkipImports: true, // only the standard library may be imported; checked below
		FromFSPath:  func(p string) string { return filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "/"))) },
		// Every syntax error, not only the first on each line: a YAML-style list
		// gives two, and the user should see both with their hints.
		ParseFile: func(name string, src any, c parser.Config) (*ast.File, error) {
			return parser.ParseFile(name, src, c.Apply(parser.AllErrors, parser.ParseComments))
		},
	}
	insts := load.Instances(args, cfg)
	var diags diag.List
	for _, inst := range insts {
		if inst.Err != nil {
			diags = append(diags, parseDiags(inst.Err, fsys, dir)...)
		}
	}
	if len(diags) > 0 {
		return nil, diags
	}
	type pkgFile struct {
		rel  string
		file *ast.File
		pkg  string
	}
	var all []pkgFile
	for _, inst := range insts {
		for i, bf := range inst.BuildFiles {
			rel, err := filepath.Rel(dir, bf.Filename)
			if err != nil || i >= len(inst.Files) {
				continue
			}
			all = append(all, pkgFile{filepath.ToSlash(rel), inst.Files[i], inst.Files[i].PackageName()})
		}
	}
	slices.SortFunc(all, func(a, b pkgFile) int { return strings.Compare(a.rel, b.rel) })
	// The in-memory copy holds no cue.mod, so no instance adds files of a parent
	// folder; compacting keeps each file once all the same.
	all = slices.CompactFunc(all, func(a, b pkgFile) bool { return a.rel == b.rel })
	if len(all) == 0 {
		return nil, diag.List{fileDiag(dir, "no .cue file of the fleet folder is selected for the build (files starting with _ or ., *_test.cue, *_tool.cue and files whose @if does not hold are left out, as cue does)")}
	}
	fleetPkg, fleetAt := "", model.Pos{}
	for _, f := range all {
		if !strings.Contains(f.rel, "/") && f.pkg != "" {
			fleetPkg, fleetAt = f.pkg, packagePos(f.file)
			break
		}
	}
	rootFiles := slices.ContainsFunc(all, func(f pkgFile) bool { return !strings.Contains(f.rel, "/") })
	if fleetPkg == "" && rootFiles {
		// The root's files lack a package clause (reported below): take the
		// first package written, to name it in the messages.
		for _, f := range all {
			if f.pkg != "" {
				fleetPkg, fleetAt = f.pkg, packagePos(f.file)
				break
			}
		}
	}
	if !rootFiles {
		if d, ok := partOfParent(dir, all[0].pkg); ok {
			return nil, diag.List{d}
		}
		// The fleet's root holds at least one file of its package: a folder
		// of subfolders is not a fleet (two fleets side by side would merge).
		var sub []string
		for _, f := range all {
			if d := path.Dir(f.rel); !slices.Contains(sub, d) {
				sub = append(sub, d)
			}
		}
		const show = 5
		more := ""
		if len(sub) > show {
			more = fmt.Sprintf(", and %d more", len(sub)-show)
			sub = sub[:show]
		}
		return nil, diag.List{fileDiag(dir, fmt.Sprintf("the fleet folder holds no .cue file of its own, only subfolders that do (%s%s); a fleet's folder holds at least one file of its package (its defaults, say): run mdeproxyc on the fleet's own folder, or add a file here to make these subfolders one fleet",
			strings.Join(sub, ", "), more))}
	}
	src := &source{order: map[string]int{}, text: map[string][]byte{}}
	for _, f := range all {
		switch {
		case f.pkg == "":
			diags = append(diags, diag.Diagnostic{Pos: model.Pos{File: f.file.Filename, Line: 1, Col: 1}, Severity: diag.Error,
				Msg: "missing package clause; every file of a fleet starts with the same `package` line (e.g. package fleet)"})
		case f.pkg != fleetPkg && strings.Contains(f.rel, "/"):
			diags = append(diags, diag.Diagnostic{Pos: packagePos(f.file), Severity: diag.Error,
				Msg: fmt.Sprintf("%s is package %s, but the fleet is package %s (%s); every .cue file in the fleet folder's subfolders belongs to the fleet: make it package %s, or move it out of the fleet folder",
					f.rel, f.pkg, fleetPkg, fleetAt, fleetPkg)})
		case f.pkg != fleetPkg:
			diags = append(diags, diag.Diagnostic{Pos: packagePos(f.file), Severity: diag.Error,
				Msg: fmt.Sprintf("package %s differs from package %s at %s; a fleet is one package", f.pkg, fleetPkg, fleetAt)})
		default:
			diags = append(diags, checkImports(f.file)...)
			src.order[f.file.Filename] = len(src.files)
			src.text[f.file.Filename] = fsys[f.rel].Data
			src.files = append(src.files, f.file)
		}
	}
	if len(diags) > 0 {
		return nil, diags
	}
	src.fast = splitFast(src.files)
	return src, nil
}

func packagePos(f *ast.File) model.Pos {
	for _, d := range f.Decls {
		if p, ok := d.(*ast.Package); ok {
			return posOf(p.Pos())
		}
	}
	return model.Pos{File: f.Filename, Line: 1, Col: 1}
}

// checkImports allows the standard library only, and rejects an import no
// identifier of the file uses, as cue vet does.
func checkImports(f *ast.File) diag.List {
	var out diag.List
	hasImports := false
	for range f.ImportSpecs() {
		hasImports = true
	}
	if !hasImports {
		// Most fleet files import nothing: skip the walk over the whole file.
		return nil
	}
	used := map[*ast.ImportSpec]bool{}
	ast.Walk(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if spec, ok := id.Node.(*ast.ImportSpec); ok {
				used[spec] = true
			}
		}
		return true
	}, nil)
	for imp := range f.ImportSpecs() {
		p, _ := strconv.Unquote(imp.Path.Value)
		if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
			out = append(out, diag.Diagnostic{Pos: posOf(imp.Pos()), Severity: diag.Error,
				Msg: fmt.Sprintf("import %q: only CUE's standard library can be imported (strings, list, net, …)", p)})
			continue
		}
		if !used[imp] {
			out = append(out, diag.Diagnostic{Pos: posOf(imp.Pos()), Severity: diag.Error,
				Msg: fmt.Sprintf("%q imported and not used; remove the import", p)})
		}
	}
	return out
}

// posOfPath finds where a value path ("_a.b", "profiles.hq.proxy") is written,
// for the few CUE errors that carry no position (a structural cycle): the
// deepest label of the path written as a plain field. Failing that, the fleet
// folder is named.
func (s *source) posOfPath(p, dir string) model.Pos {
	if s == nil || p == "" {
		return model.Pos{File: dir}
	}
	elems := splitValuePath(p)
	best := model.Pos{File: dir}
	var find func(decls []ast.Decl, depth int)
	find = func(decls []ast.Decl, depth int) {
		for _, d := range decls {
			fd, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			name, _, _ := ast.LabelName(fd.Label)
			if name != elems[depth] {
				continue
			}
			if pos := posOf(fd.Label.Pos()); pos.IsValid() && (best.Line == 0 || depth+1 == len(elems)) {
				best = pos
			}
			if lit, ok := fd.Value.(*ast.StructLit); ok && depth+1 < len(elems) {
				find(lit.Elts, depth+1)
			}
		}
	}
	for _, f := range s.files {
		find(f.Decls, 0)
	}
	return best
}

// splitValuePath splits a CUE path at dots outside quotes.
func splitValuePath(p string) []string {
	var out []string
	var cur strings.Builder
	inQuote := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '"':
			inQuote = !inQuote
		case c == '.' && !inQuote:
			out = append(out, cur.String())
			cur.Reset()
			continue
		case c == '\\' && inQuote && i+1 < len(p):
			i++
			c = p[i]
		}
		if c != '"' {
			cur.WriteByte(c)
		}
	}
	return append(out, cur.String())
}

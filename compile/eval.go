package compile

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// importPath qualifies the fleet package's hidden fields, so that a profile built
// on its own still sees the package's _helpers.
const importPath = "mdeproxyc.local/fleet"

// leaf is one setting value as the user wrote it, with its position.
type leaf struct {
	str     string
	b       bool
	list    []string
	ignores []model.LintIgnore
	pos     model.Pos
	elemPos []model.Pos
}

// settings maps a setting path ("windows.antivirus.proxy") to its value.
type settings map[string]*leaf

// rawProfile is one profile's settings as written, before defaults apply.
type rawProfile struct {
	name     string
	labelPos model.Pos
	set      settings
	// failed is set when the profile had errors; it is not resolved further.
	failed bool
}

// evaluated is the fleet after CUE evaluation and per-field validation.
type evaluated struct {
	defaults settings
	profiles []*rawProfile
	// names is every profile's name, also those a filter left out.
	names []string
}

func buildInstance(ctx *cue.Context, files []*ast.File) cue.Value {
	inst := build.NewContext().NewInstance("", nil)
	inst.ImportPath = importPath
	inst.PkgName = files[0].PackageName()
	for _, f := range files {
		// AddSyntax fails only on a package mismatch, which loadDir has
		// already reported; BuildInstance then reports it again as an error.
		_ = inst.AddSyntax(f)
	}
	return ctx.BuildInstance(inst)
}

// evaluate runs CUE over the fleet and validates every setting against the field
// table. keep, when non-nil, restricts which profiles are evaluated.
func evaluate(src *source, keep func(string) bool) (*evaluated, diag.List) {
	if src.whole || forceWhole {
		return evaluateWhole(src, keep)
	}
	return evaluateSplit(src, keep)
}

// checkTop validates the package's top level: only defaults and profiles (and
// hidden fields and definitions, which are the user's helpers) are allowed. It
// returns false when the package cannot be evaluated at all.
func checkTop(v cue.Value, w *walker) bool {
	if err := v.Err(); err != nil {
		w.cueErr(err, "")
		return false
	}
	it, err := v.Fields()
	if err != nil {
		w.cueErr(err, "")
		return false
	}
	for it.Next() {
		name := it.Selector().Unquoted()
		if name != "defaults" && name != "profiles" {
			w.add(labelPos(it.Value()), name, unknownFieldMsg(name, []string{"defaults", "profiles"})+
				"; helpers may be hidden (_name) or definitions (#Name)")
		}
	}
	return true
}

// start checks the package's top level and reads defaults, the first step of
// either evaluation; it returns nil when the package cannot be evaluated.
func (w *walker) start(root cue.Value) *evaluated {
	if !checkTop(root, w) {
		return nil
	}
	return &evaluated{defaults: w.settingsOf(root.LookupPath(cue.MakePath(cue.Str("defaults"))), "defaults")}
}

func evaluateWhole(src *source, keep func(string) bool) (*evaluated, diag.List) {
	ctx := cuecontext.New()
	root := buildInstance(ctx, src.files)
	w := &walker{}
	ev := w.start(root)
	if ev == nil {
		return nil, w.diags
	}
	pv := root.LookupPath(cue.MakePath(cue.Str("profiles")))
	if pv.Exists() {
		if pv.IncompleteKind() != cue.StructKind {
			w.add(valuePos(pv), "profiles", "must be a struct of profiles (name: {settings})")
			return nil, w.diags
		}
		it, err := pv.Fields()
		if err != nil {
			w.cueErr(err, "profiles")
			return nil, w.diags
		}
		for it.Next() {
			name := it.Selector().Unquoted()
			ev.names = append(ev.names, name)
			if keep != nil && !keep(name) {
				continue
			}
			ev.profiles = append(ev.profiles, w.profile(name, labelPos(it.Value()), it.Value()))
		}
	}
	return ev, w.diags
}

// forceWhole makes every evaluation take the whole-package path; tests use it to
// prove that the split path yields the same profiles.
var forceWhole = false

// splitChunk is how many profiles one worker takes at a time; small enough to
// balance two cores, large enough that the hand-off costs nothing.
const splitChunk = 512

func evaluateSplit(src *source, keep func(string) bool) (*evaluated, diag.List) {
	var todo []*profileSource
	for _, p := range src.profiles {
		if keep == nil || keep(p.name) {
			todo = append(todo, p)
		}
	}
	// The first worker also checks the package's top level and reads defaults.
	ctx := cuecontext.New()
	base := buildInstance(ctx, src.base)
	w := &walker{}
	ev := w.start(base)
	if ev == nil {
		return nil, w.diags
	}
	ev.profiles = make([]*rawProfile, len(todo))
	for _, p := range src.profiles {
		ev.names = append(ev.names, p.name)
	}

	workers := min(runtime.GOMAXPROCS(0), (len(todo)+splitChunk-1)/splitChunk)
	walkers := make([]*walker, max(workers, 1))
	walkers[0] = w
	var (
		next int
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	claim := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		lo := next
		next = min(next+splitChunk, len(todo))
		return lo, next
	}
	work := func(i int, ctx *cue.Context, base cue.Value) {
		w := walkers[i]
		for {
			lo, hi := claim()
			if lo == hi {
				return
			}
			for j := lo; j < hi; j++ {
				ev.profiles[j] = w.profile(todo[j].name, todo[j].labelPos, buildProfile(ctx, base, todo[j]))
			}
		}
	}
	for i := 1; i < workers; i++ {
		walkers[i] = &walker{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A cue.Context is not safe for concurrent use: each worker builds its own.
			ctx := cuecontext.New()
			work(i, ctx, buildInstance(ctx, src.base))
		}()
	}
	work(0, ctx, base)
	wg.Wait()
	var diags diag.List
	for _, w := range walkers {
		diags = append(diags, w.diags...)
	}
	if needsWhole(diags) {
		// A reference the split could not see (a let clause, another profile):
		// evaluate the package as CUE would, to report exactly what CUE reports.
		src.whole = true
		return evaluateWhole(src, keep)
	}
	return ev, diags
}

// needsWhole reports whether split evaluation failed on a reference that the
// split itself may have hidden.
func needsWhole(diags diag.List) bool {
	return slices.ContainsFunc(diags, func(d diag.Diagnostic) bool {
		return strings.Contains(d.Msg, "reference \"") && strings.Contains(d.Msg, "not found")
	})
}

func buildProfile(ctx *cue.Context, base cue.Value, p *profileSource) cue.Value {
	var v cue.Value
	for i, e := range p.exprs {
		x := ctx.BuildExpr(e, cue.Scope(base), cue.InferBuiltins(true), cue.ImportPath(importPath))
		if i == 0 {
			v = x
		} else {
			v = v.Unify(x)
		}
	}
	return v
}

// walker turns CUE values into validated settings and collects diagnostics.
type walker struct {
	diags diag.List
}

func (w *walker) add(pos model.Pos, path, msg string) {
	w.diags = append(w.diags, diag.Diagnostic{Pos: pos, Path: path, Severity: diag.Error, Msg: msg})
}

func (w *walker) cueErr(err error, path string) {
	w.diags = append(w.diags, fromCUE(err, path)...)
}

func (w *walker) profile(name string, labelPos model.Pos, v cue.Value) *rawProfile {
	path := SettingPath(name, "")
	rp := &rawProfile{name: name, labelPos: labelPos}
	before := len(w.diags)
	if msg := checkProfileName(name); msg != "" {
		w.add(labelPos, path, msg)
	}
	rp.set = w.settingsOf(v, path)
	rp.failed = len(w.diags) > before
	return rp
}

// settingsOf validates a defaults or profile struct against the field table.
func (w *walker) settingsOf(v cue.Value, path string) settings {
	out := settings{}
	if !v.Exists() {
		return out
	}
	w.group(v, "", path, out)
	return out
}

func (w *walker) group(v cue.Value, group, userPath string, out settings) {
	// A struct whose field is in error is itself in error in CUE; walking its
	// fields instead reports each broken field at its own path, and the rest too.
	if k := v.IncompleteKind(); k != cue.StructKind && k != cue.BottomKind {
		w.add(valuePos(v), userPath, fmt.Sprintf("must be a struct of settings, not %s", kindName(v)))
		return
	}
	it, err := v.Fields()
	if err != nil {
		w.cueErr(err, userPath)
		return
	}
	for it.Next() {
		name := it.Selector().Unquoted()
		fv := it.Value()
		settingPath := name
		if group != "" {
			settingPath = group + "." + name
		}
		up := userPath + "." + quoteLabel(name)
		f := fields[settingPath]
		if f == nil {
			w.add(labelPos(fv), up, unknownFieldMsg(name, childNames(group)))
			continue
		}
		if f.kind == kindGroup {
			w.group(fv, settingPath, up, out)
			continue
		}
		if l := w.leaf(f, fv, up); l != nil {
			out[settingPath] = l
		}
	}
}

func (w *walker) leaf(f *field, v cue.Value, path string) *leaf {
	v, _ = v.Default()
	if err := v.Err(); err != nil {
		w.cueErr(err, path)
		return nil
	}
	l := &leaf{pos: valuePos(v)}
	switch f.kind {
	case kindBool:
		b, err := v.Bool()
		if err != nil {
			w.add(l.pos, path, mustBe("true or false", v))
			return nil
		}
		l.b = b
	case kindString:
		s, ok := w.str(f.grammar, v, path)
		if !ok {
			return nil
		}
		l.str = s
	case kindStringList:
		elems, ok := w.list(v, path)
		if !ok {
			return nil
		}
		if f.nonEmpty && len(elems) == 0 {
			w.add(l.pos, path, "must not be empty; allowed: a list of "+f.grammar.allowed)
			return nil
		}
		seen := map[string]model.Pos{}
		bad := false
		for i, ev := range elems {
			ep := fmt.Sprintf("%s[%d]", path, i)
			s, ok := w.str(f.grammar, ev, ep)
			if !ok {
				bad = true
				continue
			}
			pos := valuePos(ev)
			if first, dup := seen[s]; dup && f.unique {
				w.add(pos, ep, fmt.Sprintf("duplicate entry %q (first at %s)", s, first))
				bad = true
				continue
			}
			seen[s] = pos
			l.list = append(l.list, s)
			l.elemPos = append(l.elemPos, pos)
		}
		if bad {
			return nil
		}
		if l.list == nil {
			l.list = []string{}
		}
	case kindIgnoreList:
		elems, ok := w.list(v, path)
		if !ok {
			return nil
		}
		bad := false
		for i, ev := range elems {
			ig, ok := w.ignore(ev, fmt.Sprintf("%s[%d]", path, i))
			if !ok {
				bad = true
				continue
			}
			l.ignores = append(l.ignores, ig)
			l.elemPos = append(l.elemPos, valuePos(ev))
		}
		if bad {
			return nil
		}
	}
	return l
}

func (w *walker) str(g *grammar, v cue.Value, path string) (string, bool) {
	v, _ = v.Default()
	if err := v.Err(); err != nil {
		w.cueErr(err, path)
		return "", false
	}
	s, err := v.String()
	if err != nil {
		w.add(valuePos(v), path, mustBe("a string: "+g.allowed, v))
		return "", false
	}
	if problem := g.check(s); problem != "" {
		w.add(valuePos(v), path, fmt.Sprintf("invalid value %q: %s; allowed: %s", s, problem, g.allowed))
		w.diags[len(w.diags)-1].Rule = ruleOf(problem)
		return "", false
	}
	return s, true
}

func (w *walker) list(v cue.Value, path string) ([]cue.Value, bool) {
	if v.IncompleteKind() != cue.ListKind {
		w.add(valuePos(v), path, mustBe("a list", v))
		return nil, false
	}
	it, err := v.List()
	if err != nil {
		w.cueErr(err, path)
		return nil, false
	}
	var out []cue.Value
	for it.Next() {
		out = append(out, it.Value())
	}
	return out, true
}

func (w *walker) ignore(v cue.Value, path string) (model.LintIgnore, bool) {
	var ig model.LintIgnore
	if v.IncompleteKind() != cue.StructKind {
		w.add(valuePos(v), path, mustBe(`a struct {rule: "MDE006", reason: "…"}`, v))
		return ig, false
	}
	it, err := v.Fields()
	if err != nil {
		w.cueErr(err, path)
		return ig, false
	}
	ok := true
	var hasRule, hasReason bool
	for it.Next() {
		name := it.Selector().Unquoted()
		fp := path + "." + quoteLabel(name)
		switch name {
		case "rule":
			s, good := w.str(&ruleGrammar, it.Value(), fp)
			ig.Rule, hasRule, ok = s, good, ok && good
		case "reason":
			s, good := w.str(&reasonGrammar, it.Value(), fp)
			ig.Reason, hasReason, ok = s, good, ok && good
		default:
			w.add(labelPos(it.Value()), fp, unknownFieldMsg(name, []string{"reason", "rule"}))
			ok = false
		}
	}
	if !hasRule && ok {
		w.add(valuePos(v), path, `the rule is missing; write {rule: "MDE006", reason: "…"}`)
		ok = false
	}
	if !hasReason && ok {
		w.add(valuePos(v), path, "the reason is missing: silencing a rule needs a reason a reviewer can read")
		ok = false
	}
	return ig, ok
}

var ruleGrammar = grammar{
	check: func(s string) string {
		if !lintRuleRE.MatchString(s) {
			return "not a rule ID"
		}
		return ""
	},
	allowed: `a rule ID such as "MDE006" (mdeproxyc vet --explain lists them)`,
}

var reasonGrammar = grammar{
	check: func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "the reason is empty"
		}
		return textGrammar.check(s)
	},
	allowed: "a non-empty reason on one line, at most 1024 characters",
}

func mustBe(what string, v cue.Value) string {
	if !v.IsConcrete() && v.IncompleteKind() != cue.BottomKind {
		return fmt.Sprintf("must be a concrete value (%s), not the type %s", what, kindName(v))
	}
	return fmt.Sprintf("must be %s, not %s", what, kindName(v))
}

func kindName(v cue.Value) string {
	k := v.IncompleteKind()
	switch {
	case k == cue.StructKind:
		return "a struct"
	case k == cue.ListKind:
		return "a list"
	case k == cue.StringKind:
		return "a string"
	case k == cue.BoolKind:
		return "a bool"
	case k&cue.NumberKind != 0 && k&^cue.NumberKind == 0:
		return "a number"
	case k == cue.NullKind:
		return "null"
	default:
		return k.String()
	}
}

func unknownFieldMsg(name string, allowed []string) string {
	msg := fmt.Sprintf("unknown field %q", name)
	if s := suggest(name, allowed); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg + "; allowed here: " + strings.Join(allowed, ", ")
}

// suggest returns the allowed name closest to name when it is a likely typo.
func suggest(name string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		if d := editDistance(strings.ToLower(name), strings.ToLower(a)); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// quoteLabel writes a path element the way CUE would: bare when it is an
// identifier, quoted otherwise ("dc-offline").
func quoteLabel(s string) string {
	if ast.IsValidIdent(s) && !strings.HasPrefix(s, "_") && !strings.HasPrefix(s, "#") {
		return s
	}
	return fmt.Sprintf("%q", s)
}

// valuePos is where a value is written: the value's own expression when CUE
// kept it, else the field.
func valuePos(v cue.Value) model.Pos {
	if src := v.Source(); src != nil {
		if f, ok := src.(*ast.Field); ok && f.Value != nil {
			return posOf(f.Value.Pos())
		}
		if p := src.Pos(); p.IsValid() {
			return posOf(p)
		}
	}
	return posOf(v.Pos())
}

// labelPos is where a field's name is written, for errors about the name itself.
func labelPos(v cue.Value) model.Pos {
	if f, ok := v.Source().(*ast.Field); ok {
		return posOf(f.Label.Pos())
	}
	return posOf(v.Pos())
}

func posOf(p token.Pos) model.Pos {
	if !p.IsValid() {
		return model.Pos{}
	}
	pp := p.Position()
	return model.Pos{File: pp.Filename, Line: pp.Line, Col: pp.Column}
}

// fromCUE converts CUE's errors into diagnostics, one per error, each at the
// first position CUE gives that lies in the user's files.
func fromCUE(err error, path string) diag.List {
	var out diag.List
	for _, e := range cueerrors.Errors(err) {
		var pos model.Pos
		for _, p := range cueerrors.Positions(e) {
			if pp := posOf(p); pp.IsValid() {
				pos = pp
				break
			}
		}
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		p := path
		if ep := e.Path(); len(ep) > 0 && p == "" {
			p = strings.Join(ep, ".")
		}
		out = append(out, diag.Diagnostic{Pos: pos, Path: p, Severity: diag.Error, Msg: msg})
	}
	return out
}

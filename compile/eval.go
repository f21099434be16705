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
	// fromDefaults counts the leading ignores that a profile inherits from
	// defaults (lint.ignore merges; see merge).
	fromDefaults int
	pos          model.Pos
	elemPos      []model.Pos
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
// table. keep, when non-nil, restricts which profiles are evaluated. whole forces
// the whole-package evaluation (tests use it to prove the fast path the same).
func evaluate(src *source, keep func(string) bool, whole bool) (*evaluated, diag.List) {
	if src.fast == nil || whole {
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
	return &evaluated{defaults: w.settingsOf(root.LookupPath(cue.MakePath(cue.Str("defaults"))), "defaults", model.Pos{})}
}

func evaluateWhole(src *source, keep func(string) bool) (*evaluated, diag.List) {
	if src.fast != nil {
		// The files evaluate as written: undo the fast path's cut.
		src.fast.restore()
		src.fast = nil
	}
	ctx := cuecontext.New()
	root := buildInstance(ctx, src.files)
	w := &walker{order: src.order}
	ev := w.start(root)
	if ev == nil {
		return nil, w.diags
	}
	pv := root.LookupPath(cue.MakePath(cue.Str("profiles")))
	if pv.Exists() {
		if pv.IncompleteKind() != cue.StructKind {
			w.add(w.valuePos(pv), "profiles", "must be a struct of profiles (name: {settings})")
			return nil, w.diags
		}
		it, err := pv.Fields()
		if err != nil {
			w.cueErr(err, "profiles")
			return nil, w.diags
		}
		// A profile is where its name is first written plainly, as on the fast
		// path; CUE's own position for a unified value is one of its conjuncts.
		_, at := definedAt(src.files)
		for it.Next() {
			name := it.Selector().Unquoted()
			ev.names = append(ev.names, name)
			if keep != nil && !keep(name) {
				continue
			}
			pos := labelPos(it.Value())
			if ps := at[name]; len(ps) > 0 {
				pos = ps[0]
			}
			ev.profiles = append(ev.profiles, w.profile(name, pos, it.Value(), model.Pos{}))
		}
	}
	return ev, w.diags
}

// splitChunk is how many profiles one worker takes at a time; small enough to
// balance two cores, large enough that the hand-off costs nothing.
const splitChunk = 512

func evaluateSplit(src *source, keep func(string) bool) (*evaluated, diag.List) {
	fast := src.fast
	var todo []*profileSource
	for _, p := range fast.profiles {
		if keep == nil || keep(p.name) {
			todo = append(todo, p)
		}
	}
	// The first worker also checks the package's top level and reads defaults.
	ctx := cuecontext.New()
	base := buildInstance(ctx, fast.base)
	w := &walker{order: src.order}
	ev := w.start(base)
	if ev == nil || w.cueErrs > 0 {
		return evaluateWhole(src, keep)
	}
	ev.profiles = make([]*rawProfile, len(todo))
	for _, p := range fast.profiles {
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
				ev.profiles[j] = w.profile(todo[j].name, todo[j].labelPos, buildProfile(ctx, base, todo[j]), todo[j].written())
			}
		}
	}
	for i := 1; i < workers; i++ {
		walkers[i] = &walker{order: src.order}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A cue.Context is not safe for concurrent use: each worker builds its own.
			ctx := cuecontext.New()
			work(i, ctx, buildInstance(ctx, fast.base))
		}()
	}
	work(0, ctx, base)
	wg.Wait()
	var diags diag.List
	for _, w := range walkers {
		if w.cueErrs > 0 {
			// Any error CUE itself reports (a conflict between two files, a
			// reference the cut hid, a cycle) is reported as CUE reports it for
			// the whole package, with every position it names.
			return evaluateWhole(src, keep)
		}
		diags = append(diags, w.diags...)
	}
	return ev, diags
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
	// cueErrs counts the errors CUE itself reported (not the field table's).
	cueErrs int
	// order is the files' load order, for naming conflicts newest first.
	order map[string]int
}

func (w *walker) add(pos model.Pos, path, msg string) {
	w.diags = append(w.diags, diag.Diagnostic{Pos: pos, Path: path, Severity: diag.Error, Msg: msg})
}

func (w *walker) cueErr(err error, path string) {
	w.cueErrs++
	w.diags = append(w.diags, fromCUE(err, path, w.order)...)
}

// profile validates one profile's value. written is where the value is
// written when the caller knows it better than CUE: a value the fast path
// unified from several declarations keeps no source of its own.
func (w *walker) profile(name string, labelPos model.Pos, v cue.Value, written model.Pos) *rawProfile {
	path := model.SettingPath(name, "")
	rp := &rawProfile{name: name, labelPos: labelPos}
	before := len(w.diags)
	if msg := checkProfileName(name); msg != "" {
		w.add(labelPos, path, msg)
	}
	rp.set = w.settingsOf(v, path, written)
	rp.failed = len(w.diags) > before
	return rp
}

// settingsOf validates a defaults or profile struct against the field table;
// written, when known, is where the struct is written.
func (w *walker) settingsOf(v cue.Value, path string, written model.Pos) settings {
	out := settings{}
	if !v.Exists() {
		return out
	}
	w.group(v, "", path, out, written)
	return out
}

// group validates one struct of settings; written, when known, is where the
// struct is written (else CUE is asked: valuePos).
func (w *walker) group(v cue.Value, group, userPath string, out settings, written model.Pos) {
	// A struct whose field is in error is itself in error in CUE; walking its
	// fields instead reports each broken field at its own path, and the rest too.
	if k := v.IncompleteKind(); k != cue.StructKind && k != cue.BottomKind {
		if written.File == "" {
			written = w.valuePos(v)
		}
		w.add(written, userPath, fmt.Sprintf("must be a struct of settings, not %s", kindName(v)))
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
		up := userPath + "." + model.QuoteLabel(name)
		f := fields[settingPath]
		if f == nil {
			w.add(labelPos(fv), up, unknownFieldMsg(name, childNames(group)))
			continue
		}
		if f.kind == kindGroup {
			w.group(fv, settingPath, up, out, model.Pos{})
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
	l := &leaf{pos: w.valuePos(v)}
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
			pos := w.valuePos(ev)
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
			l.elemPos = append(l.elemPos, w.valuePos(ev))
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
		w.add(w.valuePos(v), path, mustBe("a string: "+g.allowed, v))
		return "", false
	}
	if problem := g.check(s); problem.bad() {
		hint := ""
		if problem.msg == enumProblem {
			hint = enumSuggestion(s, g.allowed)
		}
		w.add(w.valuePos(v), path, fmt.Sprintf("invalid value %q: %s%s; allowed: %s", s, problem.msg, hint, g.allowed))
		w.diags[len(w.diags)-1].Rule = problem.rule
		return "", false
	}
	return s, true
}

func (w *walker) list(v cue.Value, path string) ([]cue.Value, bool) {
	if v.IncompleteKind() != cue.ListKind {
		w.add(w.valuePos(v), path, mustBe("a list", v))
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
		w.add(w.valuePos(v), path, mustBe(`a struct {rule: "MDE006", reason: "…"}`, v))
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
		fp := path + "." + model.QuoteLabel(name)
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
		w.add(w.valuePos(v), path, `the rule is missing; write {rule: "MDE006", reason: "…"}`)
		ok = false
	}
	if !hasReason && ok {
		w.add(w.valuePos(v), path, "the reason is missing: silencing a rule needs a reason a reviewer can read")
		ok = false
	}
	return ig, ok
}

var ruleGrammar = grammar{
	check: plain(func(s string) string {
		if !lintRuleRE.MatchString(s) {
			return "not a rule ID"
		}
		return ""
	}),
	allowed: `a rule ID such as "MDE006" (mdeproxyc vet --explain lists them)`,
}

var reasonGrammar = grammar{
	check: plain(func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "the reason is empty"
		}
		return checkText(s)
	}),
	allowed: "a non-empty reason on one line, at most 1024 characters",
}

func mustBe(what string, v cue.Value) string {
	if !v.IsConcrete() && v.IncompleteKind() != cue.BottomKind {
		return fmt.Sprintf("must be a concrete value (%s), not the type %s", what, kindName(v))
	}
	msg := fmt.Sprintf("must be %s, not %s", what, kindName(v))
	if v.IncompleteKind() == cue.BytesKind {
		msg += ` ('…' is bytes in CUE; use "…" for a string)`
	}
	return msg
}

// enumProblem is what a fixed set's grammar says of a value outside the set.
const enumProblem = "not one of the allowed values"

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
	case k == cue.BytesKind:
		return "bytes"
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

// valuePos is where a value is written. A value written in several places
// (the same setting in two files, a profile repeated) is reported at the
// newest of them, as fromCUE does for conflicts: CUE's own choice among the
// conjuncts depends on evaluation order, which differs between the fast and
// the whole-package path, and one fleet must give one position.
func (w *walker) valuePos(v cue.Value) model.Pos {
	if op, args := v.Expr(); op == cue.AndOp && len(args) > 1 {
		var best model.Pos
		for _, a := range args {
			// Only declarations count: the arguments of a struct with
			// embeddings are references, whose source is the referenced value.
			f, ok := a.Source().(*ast.Field)
			if !ok || f.Value == nil {
				best = model.Pos{}
				break
			}
			if p := posOf(f.Value.Pos()); p.File != "" && (best.File == "" || w.newer(p, best)) {
				best = p
			}
		}
		if best.File != "" {
			return best
		}
	}
	return sourcePos(v)
}

// newer orders positions by load order of their files, then by place in the file.
func (w *walker) newer(a, b model.Pos) bool {
	if oa, ob := orderOf(w.order, a.File), orderOf(w.order, b.File); oa != ob {
		return oa > ob
	}
	if a.File != b.File {
		return a.File > b.File
	}
	if a.Line != b.Line {
		return a.Line > b.Line
	}
	return a.Col > b.Col
}

// sourcePos is where one conjunct is written: the value's own expression when
// CUE kept it, else the field.
func sourcePos(v cue.Value) model.Pos {
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

// fromCUE converts CUE's errors into diagnostics, one per error, each at a
// position CUE gives that lies in the user's files. When an error names several
// places (a conflict), the diagnostic is at the one in the newest file — the
// latest in load order, the file most likely just edited — and the message
// names them all, newest first.
func fromCUE(err error, path string, order map[string]int) diag.List {
	var out diag.List
	for _, e := range cueerrors.Errors(err) {
		ps := positionsOf(e)
		if len(ps) > 1 {
			slices.SortStableFunc(ps, func(a, b model.Pos) int {
				if oa, ob := orderOf(order, a.File), orderOf(order, b.File); oa != ob {
					return ob - oa
				}
				if a.File != b.File {
					return strings.Compare(b.File, a.File)
				}
				return 0
			})
		}
		var pos model.Pos
		if len(ps) > 0 {
			pos = ps[0]
		}
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		if len(ps) > 1 {
			at := make([]string, len(ps))
			for i, p := range ps {
				at[i] = p.String()
			}
			msg += " (written at " + strings.Join(at, " and ") + ")"
		}
		p := path
		if ep := e.Path(); len(ep) > 0 && p == "" {
			p = strings.Join(ep, ".")
		}
		out = append(out, diag.Diagnostic{Pos: pos, Path: p, Severity: diag.Error, Msg: msg})
	}
	return out
}

func orderOf(order map[string]int, file string) int {
	if o, ok := order[file]; ok {
		return o
	}
	return -1
}

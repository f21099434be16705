// Package compile loads a fleet directory of CUE files, applies defaults with
// override semantics, validates every value against the intent language and
// resolves each profile into a model.Profile. It is the only package that
// imports CUE.
package compile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Options narrows what Dir compiles.
type Options struct {
	// Profiles, when not empty, names the only profiles to compile.
	Profiles []string

	// Seen, when set, receives the number of profiles the fleet defines,
	// also when some of them fail to compile (vet's summary counts them).
	Seen *int

	// whole forces the whole-package evaluation; tests use it to prove that the
	// per-profile evaluation gives the same result.
	whole bool
}

// Dir compiles the fleet in dir. It returns the resolved profiles sorted by
// name, or the errors that prevented it: every error it can find in one run.
func Dir(dir string, opt Options) ([]*model.Profile, diag.List) {
	src, diags := loadDir(dir)
	if len(diags) > 0 {
		return nil, finish(diags, src, dir)
	}
	profiles, diags := compileSource(dir, src, opt)
	if len(diags) > 0 {
		return nil, finish(diags, src, dir)
	}
	return profiles, nil
}

func compileSource(dir string, src *source, opt Options) ([]*model.Profile, diag.List) {
	var keep func(string) bool
	if len(opt.Profiles) > 0 {
		keep = func(name string) bool { return slices.Contains(opt.Profiles, name) }
	}
	ev, diags := evaluate(src, keep, opt.whole)
	if ev == nil {
		return nil, diags
	}
	if opt.Seen != nil {
		*opt.Seen = len(ev.names)
	}
	if len(opt.Profiles) > 0 {
		diags = append(diags, missingProfiles(ev, opt.Profiles)...)
	}
	defaultsBroken := false
	for i, d := range diags {
		if setting, ok := strings.CutPrefix(d.Path, "defaults."); ok {
			defaultsBroken = true
			diags[i].Msg += inheritedBy(ev.profiles, setting)
		}
	}
	r := &resolver{}
	profiles := make([]*model.Profile, 0, len(ev.profiles))
	for _, rp := range ev.profiles {
		if rp.failed || defaultsBroken {
			continue
		}
		profiles = append(profiles, r.resolve(merge(ev.defaults, rp)))
	}
	diags = append(diags, r.diags...)
	diags = append(diags, checkFleet(profiles)...)
	if len(diags) > 0 {
		return nil, diags
	}
	if len(ev.profiles) == 0 {
		return nil, diag.List{{Pos: model.Pos{File: dir}, Severity: diag.Error, Msg: "the fleet has no profiles; allowed: profiles: {name: {…}} with at least one profile"}}
	}
	slices.SortFunc(profiles, func(a, b *model.Profile) int { return strings.Compare(a.Name, b.Name) })
	// Where each profile's name is written: CUE merges a profile written in
	// several places into one, which vet reports (MDE030).
	_, at := definedAt(src.files)
	for _, p := range profiles {
		p.Defined = at[p.Name]
	}
	return profiles, nil
}

// finish gives every diagnostic a position, a hint where the line shows a
// common mistake, and values cut to a readable length, then sorts them.
func finish(diags diag.List, src *source, dir string) diag.List {
	if len(diags) == 0 {
		return nil
	}
	for i := range diags {
		d := &diags[i]
		if !d.Pos.IsValid() && d.Path != "--profile" {
			d.Pos = src.posOfPath(d.Path, dir)
		}
		d.Msg = clipValues(d.Msg)
	}
	if src != nil {
		addHints(diags, func(file string) []byte { return src.text[file] })
	}
	return diags.Sort()
}

func missingProfiles(ev *evaluated, want []string) diag.List {
	have := map[string]bool{}
	for _, name := range ev.names {
		have[name] = true
	}
	var out diag.List
	for _, w := range want {
		if !have[w] {
			msg := fmt.Sprintf("no profile named %q", w)
			if s := suggest(w, ev.names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			out = append(out, diag.Diagnostic{Severity: diag.Error, Path: "--profile", Msg: msg})
		}
	}
	return out
}

// inheritedBy names the profiles that inherit a broken default, so the user sees
// what the one error in defaults affects.
func inheritedBy(profiles []*rawProfile, setting string) string {
	setting, _, _ = strings.Cut(setting, "[")
	var names []string
	for _, p := range profiles {
		if _, own := p.set[setting]; !own {
			names = append(names, p.name)
		}
	}
	// Sorted: the two evaluations visit profiles in different orders.
	slices.Sort(names)
	const show = 5
	switch {
	case len(names) == 0:
		return ""
	case len(names) > show:
		return fmt.Sprintf(" (inherited by %d profiles: %s, …)", len(names), strings.Join(names[:show], ", "))
	case len(names) == 1:
		return " (inherited by profile " + names[0] + ")"
	default:
		return fmt.Sprintf(" (inherited by %d profiles: %s)", len(names), strings.Join(names, ", "))
	}
}

// DidYouMean returns ` (did you mean "x"?)` when one of allowed is a likely
// typo of name, and "" otherwise; the CLI uses it for target names.
func DidYouMean(name string, allowed []string) string {
	if s := suggest(name, allowed); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

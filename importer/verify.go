package importer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/intune"
	"github.com/mdeproxyc/mdeproxyc/internal/intunegraph"
	"github.com/mdeproxyc/mdeproxyc/lint"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// build compiles the intent as `build` would, from a fleet file of its own.
func build(in *intent) (*model.Profile, diag.List, error) {
	dir, err := os.MkdirTemp("", "mdeproxyc-import-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "fleet.cue"), render(in, nil, nil, nil), 0o644); err != nil {
		return nil, nil, err
	}
	ps, errs := compile.Dir(dir, compile.Options{})
	if len(errs) > 0 {
		return nil, errs, nil
	}
	if len(ps) != 1 {
		return nil, nil, fmt.Errorf("the imported fleet has %d profiles, want 1", len(ps))
	}
	return ps[0], nil, nil
}

// settingOf returns the intent setting a diagnostic is about, if the intent
// writes it.
func settingOf(in *intent, d diag.Diagnostic) (model.Path, bool) {
	prefix := model.SettingPath(in.name, "") + "."
	if !strings.HasPrefix(d.Path, prefix) {
		return "", false
	}
	rest := model.Path(strings.TrimPrefix(d.Path, prefix))
	// A list entry's path ends in its index.
	for p := range in.values {
		if rest == p || strings.HasPrefix(string(rest), string(p)+".") || strings.HasPrefix(string(rest), string(p)+"[") {
			return p, true
		}
	}
	return "", false
}

func fromText(os []origin) string {
	s := make([]string, len(os))
	for i, o := range os {
		s[i] = o.String()
	}
	return strings.Join(s, ", ")
}

// verify compiles the derived intent, drops a setting the intent language
// refuses (reported), and compares what the build writes with every
// observation: a difference is a warning, a value the build writes that no
// input states is a note.
func verify(r *reader, in *intent) error {
	var p *model.Profile
	for range len(in.values) + 1 {
		var errs diag.List
		var err error
		p, errs, err = build(in)
		if err != nil {
			return err
		}
		if len(errs) == 0 {
			break
		}
		dropped := false
		for _, d := range errs {
			s, ok := settingOf(in, d)
			if !ok {
				continue
			}
			if _, still := in.values[s]; !still {
				continue
			}
			from := in.from[s]
			if len(from) == 0 {
				continue
			}
			r.warnings = append(r.warnings, fmt.Sprintf("%s: not imported: %s %s cannot be expressed: %s", fromText(from), s, literal(in.values[s]), d.Msg))
			in.drop(s)
			dropped = true
		}
		if !dropped {
			return fmt.Errorf("the imported profile does not compile:\n%v", errs)
		}
		p = nil
	}
	if p == nil {
		return errors.New("the imported profile does not compile")
	}
	mismatch := func(what string, o obs, built string) {
		r.warnings = append(r.warnings, fmt.Sprintf("%s: cannot express %s = %s: the build writes %s", o.From, what, o.show(), built))
	}
	// Windows registry values, whichever file they came from.
	ops := regplan.For(p).Ops
	windows := r.kinds["windows"]
	for _, e := range plan.entries {
		o, seen := r.obs[e.id()]
		i := slices.IndexFunc(ops, func(op regplan.Op) bool {
			return strings.EqualFold(op.Key, e.Key) && strings.EqualFold(op.Name, e.Name)
		})
		what := e.Name
		switch {
		case !seen && i >= 0 && windows:
			op := ops[i]
			if op.Delete {
				r.notes = append(r.notes, fmt.Sprintf("no input states %s; the build deletes it", what))
			} else {
				r.notes = append(r.notes, fmt.Sprintf("no input states %s; the build sets it to %s", what, opText(op)))
			}
		case !seen:
		case i < 0:
			mismatch(what, o, "nothing (it leaves the value as it is)")
		case !o.Present && ops[i].Delete:
		case !o.Present || ops[i].Delete:
			mismatch(what, o, opText(ops[i]))
		case o.Value != ops[i].Data() || (o.Type == regDWord) != (ops[i].Type == regplan.DWord):
			mismatch(what, o, opText(ops[i]))
		case o.Type == regMultiSZ:
			r.notes = append(r.notes, fmt.Sprintf("%s: %s is REG_MULTI_SZ; the build writes REG_SZ with the entries joined by %q (the scripts' detection accepts both)", o.From, what, regplan.BypassSeparator))
		case o.Type != uint32(ops[i].Type):
			mismatch(what, o, opText(ops[i]))
		}
	}
	agent := func(key, what, built string) {
		o, ok := r.obs[key]
		if !ok {
			return
		}
		if o.Present != (built != "") || o.Present && o.Value != built {
			b := strconv.Quote(built)
			if built == "" {
				b = "no value"
			}
			mismatch(what, o, b)
		}
	}
	agent(keyLinuxProxy, "Linux cloudService.proxy", p.Linux.Proxy)
	agent(keyMacProxy, "macOS cloudService.proxy", p.MacOS.Proxy)
	agent(keyMacIdentifier, "PayloadIdentifier", p.MacOS.Identifier)
	agent(keyMacDisplayName, "PayloadDisplayName", p.Intune.DisplayName)
	agent(keyMacDescription, "PayloadDescription", p.Intune.Description)
	agent(keyMacOrg, "PayloadOrganization", p.Organization)
	if r.kinds["intune"] {
		c := intune.BuildConfiguration(emitters.NewProfile(p))
		agent(keyIntuneName, "the Intune displayName", c.DisplayName)
		desc := c.Description[:strings.LastIndex(c.Description, "\n"+intunegraph.MarkerPrefix)]
		agent(keyIntuneDesc, "the Intune description", desc)
	}
	if o, ok := r.obs[keyWinHTTPProxy]; ok {
		static := p.Mode == model.ModeStatic
		switch {
		case o.Present && !(p.WinHTTP.Enabled && static && p.WinHTTP.Proxy == o.Value):
			mismatch("the WinHTTP proxy", o, strconv.Quote(p.WinHTTP.Proxy))
		case o.Present:
			b := r.obs[keyWinHTTPBypass]
			if built := strings.Join(p.WinHTTP.Bypass, ";"); built != b.Value {
				mismatch("the WinHTTP bypass list", b, strconv.Quote(built))
			}
		case !o.Present && p.WinHTTP.Enabled && static:
			mismatch("the WinHTTP proxy", o, strconv.Quote(p.WinHTTP.Proxy))
		case !o.Present && !p.WinHTTP.Enabled:
			r.notes = append(r.notes, fmt.Sprintf("%s: WinHTTP has direct access (no proxy server); windows.winhttp.enabled stays false, so the bundle leaves WinHTTP alone (its winhttp-reset.cmd restores direct access)", o.From))
		}
	}
	for _, f := range lint.Errors(lint.Run([]*model.Profile{p})) {
		r.warnings = append(r.warnings, fmt.Sprintf("vet error %s: %s: build refuses this profile until it is fixed", f.Rule, f.Msg))
	}
	return nil
}

func opText(op regplan.Op) string {
	if op.Delete {
		return "a deletion"
	}
	if op.Type == regplan.DWord {
		return "dword " + op.Data()
	}
	return strconv.Quote(op.Data())
}

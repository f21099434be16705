// Package semdiff compares two versions of a fleet the way a reviewer reads a
// pull request: per profile, added, removed or changed — changed exactly when
// the profile's bundle files change —; for a changed profile, every setting in
// force that changes (read off the settings table, with where each value is
// written) and the bundle files that change; for the proxy team, per proxy, the
// destinations added and removed.
package semdiff

import (
	"bytes"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// The kinds of change of a profile or a file.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// Setting is one setting whose effective value differs.
type Setting struct {
	Path string `json:"path"`
	Old  string `json:"old"`
	New  string `json:"new"`
	// OldAt and NewAt are file:line:col of each value, when it is written
	// somewhere (not a built-in default).
	OldAt string `json:"oldAt,omitempty"`
	NewAt string `json:"newAt,omitempty"`
}

// File is one bundle file that the change adds, removes or rewrites; Path is
// relative to the bundle root.
type File struct {
	Path   string `json:"path"`
	Change string `json:"change"`
}

// Profile is what changes for one profile.
type Profile struct {
	Profile  string    `json:"profile"`
	Change   string    `json:"change"`
	Settings []Setting `json:"settings"`
	Files    []File    `json:"files"`
	// Proxies, on the fleet entry (Profile ""), lists per proxy the
	// destinations added and removed.
	Proxies []ProxyChange `json:"proxies,omitempty"`
}

// Compare lists, in profile-name order, every profile that differs between
// two compiled versions of a fleet: added, removed, or changed when its bundle
// files differ. A profile whose model is the same in both versions, all but
// where its values are written (its digest, which the incremental build also
// trusts), has the same files and is not rendered; any other is rendered
// twice, with list, and compared file by file.
func Compare(old, new []*model.Profile, list []emitters.Emitter) ([]Profile, error) {
	byName := func(ps []*model.Profile) map[string]*model.Profile {
		m := make(map[string]*model.Profile, len(ps))
		for _, p := range ps {
			m[p.Name] = p
		}
		return m
	}
	o, n := byName(old), byName(new)
	var names []string
	for name := range o {
		names = append(names, name)
	}
	for name := range n {
		if o[name] == nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var out []Profile
	for _, name := range names {
		d := Profile{Profile: name}
		switch {
		case o[name] == nil:
			d.Change = Added
		case n[name] == nil:
			d.Change = Removed
		case bundle.Digest(o[name], list, nil) == bundle.Digest(n[name], list, nil):
			continue // the same model renders the same files
		default:
			d.Change = Changed
		}
		files, err := fileChanges(o[name], n[name], list)
		if err != nil {
			return nil, err
		}
		if len(files) == 0 && d.Change == Changed {
			// The model changed where no file looks (a name of a component
			// the profile does not manage, an Intune assignment): no file
			// changes, so neither does the profile.
			continue
		}
		d.Files, d.Settings = files, settings(o[name], n[name])
		out = append(out, d)
	}
	fleet, err := fleetChanges(old, new, list)
	if err != nil {
		return nil, err
	}
	proxies, err := proxyChanges(old, new)
	if err != nil {
		return nil, err
	}
	if len(fleet) > 0 || len(proxies) > 0 {
		// The fleet-level files (the proxy team's proxy/ folder) belong to
		// no one profile: one entry with an empty profile name lists them,
		// and per proxy the destinations added and removed.
		out = append(out, Profile{Profile: "", Change: Changed, Settings: []Setting{}, Files: fleet, Proxies: proxies})
	}
	return out, nil
}

// settings lists the settings in force on either side — the profile manages
// their component on a platform it targets — whose value differs; a setting
// not in force, like every setting of a missing profile, counts as empty. A
// setting whose being written reaches the artifacts (model.Def.Presence) is
// listed also when only that changes, with where it is written.
func settings(old, new *model.Profile) []Setting {
	type side struct {
		text, at string
		applies  bool
		written  bool
	}
	row := func(p *model.Profile, d *model.Def) side {
		if p == nil {
			return side{}
		}
		s := p.Setting(d)
		if !s.Applies {
			return side{}
		}
		r := side{text: display(s), applies: true, written: s.Written}
		if s.Written {
			r.at = s.Origin.Pos.String()
		}
		return r
	}
	out := []Setting{}
	for _, d := range model.Settings {
		o, n := row(old, d), row(new, d)
		if !o.applies && !n.applies {
			continue
		}
		if o.text != n.text || (d.Presence && o.applies && n.applies && o.written != n.written) {
			out = append(out, Setting{Path: string(d.Path), Old: o.text, New: n.text, OldAt: o.at, NewAt: n.at})
		}
	}
	return out
}

// display is a setting's value as one line: lists joined the way the intent
// writes them.
func display(s model.Setting) string {
	if s.IsList() {
		return strings.Join(s.List, ", ")
	}
	return s.Text
}

// fleetChanges renders the fleet-level files of both versions (emitters that
// are also emitters.FleetEmitter) and compares them.
func fleetChanges(old, new []*model.Profile, list []emitters.Emitter) ([]File, error) {
	render := func(ps []*model.Profile) (map[string][]byte, error) {
		files := map[string][]byte{}
		for _, e := range list {
			fe, ok := e.(emitters.FleetEmitter)
			if !ok {
				continue
			}
			ff, err := fe.EmitFleet(ps)
			if err != nil {
				return nil, err
			}
			for _, f := range ff.Files() {
				files[f.Path] = f.Data
			}
		}
		return files, nil
	}
	return compareRenders(old, new, render)
}

// fileChanges renders one profile's old and new bundle files and compares them.
func fileChanges(old, new *model.Profile, list []emitters.Emitter) ([]File, error) {
	render := func(p *model.Profile) (map[string][]byte, error) {
		files := map[string][]byte{}
		if p == nil {
			return files, nil
		}
		var mem bundle.Memory
		if _, err := bundle.Build([]*model.Profile{p}, list, &mem); err != nil {
			return nil, err
		}
		for _, f := range mem.Files() {
			if f.Profile != "" {
				files[f.Path] = f.Data
			}
		}
		return files, nil
	}
	return compareRenders(old, new, render)
}

// compareRenders renders old and new and compares the files (compareFiles).
func compareRenders[T any](old, new T, render func(T) (map[string][]byte, error)) ([]File, error) {
	of, err := render(old)
	if err != nil {
		return nil, err
	}
	nf, err := render(new)
	if err != nil {
		return nil, err
	}
	return compareFiles(of, nf), nil
}

// keys lists, sorted, the keys of either map.
func keys[V any](a, b map[string]V) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// compareFiles lists, in path order, the files added, removed or changed
// between two renders.
func compareFiles(of, nf map[string][]byte) []File {
	out := []File{}
	for _, p := range keys(of, nf) {
		ob, inOld := of[p]
		nb, inNew := nf[p]
		switch {
		case !inOld:
			out = append(out, File{Path: p, Change: Added})
		case !inNew:
			out = append(out, File{Path: p, Change: Removed})
		case !bytes.Equal(ob, nb):
			out = append(out, File{Path: p, Change: Changed})
		}
	}
	return out
}

// Package semdiff compares two versions of a fleet the way a reviewer reads a
// pull request: per profile, added, removed or changed; for a changed profile,
// every setting whose effective value changes (read off the settings table,
// with where each value is written) and the bundle files that change; for the
// proxy team, per proxy, the destinations added and removed.
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
// two compiled versions of a fleet. Only the profiles that differ are
// rendered, with list, to find the files that change.
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
		d := Profile{Profile: name, Settings: settings(o[name], n[name]), Files: []File{}}
		switch {
		case o[name] == nil:
			d.Change = Added
		case n[name] == nil:
			d.Change = Removed
		case len(d.Settings) == 0:
			continue // every effective setting is equal, and so is every file
		default:
			d.Change = Changed
		}
		files, err := fileChanges(o[name], n[name], list)
		if err != nil {
			return nil, err
		}
		d.Files = files
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

// settings lists the settings whose effective value differs; a missing
// profile has every setting empty.
func settings(old, new *model.Profile) []Setting {
	row := func(p *model.Profile, d *model.Def) (text, at string) {
		if p == nil {
			return "", ""
		}
		s := p.Setting(d)
		if s.Written {
			at = s.Origin.Pos.String()
		}
		return display(s), at
	}
	out := []Setting{}
	for _, d := range model.Settings {
		ov, oat := row(old, d)
		nv, nat := row(new, d)
		if ov != nv {
			out = append(out, Setting{Path: string(d.Path), Old: ov, New: nv, OldAt: oat, NewAt: nat})
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
			fs, err := fe.EmitFleet(ps)
			if err != nil {
				return nil, err
			}
			for _, f := range fs {
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

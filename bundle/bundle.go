// Package bundle runs the emitters over every profile, streams the files to a
// sink (a folder being written, a folder being checked, or memory), and adds the
// manifest. File contents are never all held at once: a 100,000-profile fleet
// keeps only the manifest's entries in memory.
package bundle

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/bundle/readme"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/par"
	"github.com/mdeproxyc/mdeproxyc/internal/version"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// File is one file of the bundle.
type File struct {
	// Path is slash-separated and relative to the bundle root.
	Path       string
	Profile    string // empty for the manifest
	Target     string
	Data       []byte
	Executable bool
}

// Sink receives every file of a build. Put is called from several goroutines at
// once, never twice for one path.
type Sink interface {
	Put(f File) error
}

// Build runs the emitters over every profile in parallel, then each profile's
// final step (its README), hands each file to sink, and as the build's final
// step hands it the manifest. It returns the manifest. The bytes produced
// do not depend on scheduling: each file is a pure function of its profile, and
// the manifest is sorted. opts configure each profile's shared renders (a
// script signer).
func Build(profiles []*model.Profile, list []emitters.Emitter, sink Sink, opts ...emitters.Option) (*manifest.Manifest, error) {
	return build(profiles, list, dest{sink: sink}, newPlan(profiles, list, Options{Render: opts}))
}

// dest is where a build puts what it makes: every file it renders goes to
// sink; the other three say, explicitly, what else the destination takes,
// nil where it has no use for it.
type dest struct {
	sink Sink
	// carry takes the file e over from the previous bundle in the folder
	// from, without rendering it; nil: nothing can be carried (the plan
	// then carries nothing).
	carry func(from string, e manifest.Entry) error
	// putManifest takes the manifest as a value (streamed into a file, or
	// compared with one); nil: it is encoded and put as a file.
	putManifest func(m *manifest.Manifest) error
	// profileDone is told when a profile's files are all put; nil: no one
	// asks.
	profileDone func(profile string)
}

// done tells d, if it asks, that profile's files are all put.
func (d dest) done(profile string) {
	if d.profileDone != nil {
		d.profileDone(profile)
	}
}

// errNoCarry is a plan that carries files over to a destination that cannot
// take them: a bug.
var errNoCarry = errors.New("internal error: a build that carries files over needs a folder to write to")

// build is Build following a plan: profiles the plan carries over are linked
// from the previous bundle instead of rendered (incremental.go).
func build(profiles []*model.Profile, list []emitters.Emitter, d dest, pl *plan) (*manifest.Manifest, error) {
	perProfile := make([][]manifest.Entry, len(profiles))
	err := par.Until(len(profiles), func(i int) error {
		entries, err := pl.profile(i, profiles[i], list, d)
		perProfile[i] = entries
		return err
	})
	if err != nil {
		return nil, err
	}
	m := &manifest.Manifest{Tool: manifest.ToolName, Version: version.Version}
	if err := pl.carryKept(d); err != nil {
		return nil, err
	}
	// The fleet-level steps, after every profile: the proxy team's folder
	// (kept as it was, with the kept profiles, by a partial build), then the
	// index of the profiles.
	fleet, err := pl.fleetFiles(profiles, list, d)
	if err != nil {
		return nil, err
	}
	m.Fleet = pl.fleet
	index, err := pl.index(profiles, d.sink)
	if err != nil {
		return nil, err
	}
	blocks := append(append(perProfile, fleet...), []manifest.Entry{index}, pl.keptEntries)
	perProfile, fleet = nil, nil // assemble releases each block as it copies it
	m.Files = assemble(blocks, pl.like)
	// Sorted, the entries show a path listed twice next to itself: an
	// emitter that wrote one file twice (a bug; the folder's O_EXCL has
	// already refused the second write).
	for i := 1; i < len(m.Files); i++ {
		if m.Files[i].Path == m.Files[i-1].Path {
			return nil, fmt.Errorf("internal error: %s was written twice", m.Files[i].Path)
		}
	}
	m.Profiles = pl.profiles(profiles)
	if d.putManifest != nil {
		return m, d.putManifest(m)
	}
	data, err := m.Encode()
	if err != nil {
		return nil, err
	}
	if err := d.sink.Put(File{Path: manifest.Path, Target: "manifest", Data: data}); err != nil {
		return nil, err
	}
	return m, nil
}

// assemble returns the entries of blocks in one slice sorted by path. The
// blocks are made of runs that share their first path element (a profile's
// files, proxy/'s, a file at the root), each nearly always sorted already:
// sorting the runs, and a run only when it needs it, then copying them once
// into place is linear in practice where concatenating and sorting 1.6
// million entries of five fields (100,000 profiles) is not, and holds one
// copy of them, not two. Whatever the input, the result is checked and, should
// the runs not order it, sorted whole. The blocks' entries are never
// modified (a carried profile's block is the previous manifest's), but the
// slice of blocks is: each is dropped as it is copied, so that a rendered
// profile's entries can be collected while the copy grows (at 100,000
// profiles both copies held at once came to the memory limit).
//
// When the result would equal like (the previous manifest's entries, when
// every profile was carried over: a rebuild with nothing changed), like is
// returned instead of a copy of it: the runs are checked against it in
// place, most of them by where they lie in memory, being its own runs.
func assemble(blocks [][]manifest.Entry, like []manifest.Entry) []manifest.Entry {
	byPath := func(a, b manifest.Entry) int { return strings.Compare(a.Path, b.Path) }
	// A run's key is its first path element with the slash, or the whole
	// path of a file at the root.
	top := func(e manifest.Entry) string {
		if i := strings.IndexByte(e.Path, '/'); i >= 0 {
			return e.Path[:i+1]
		}
		return e.Path
	}
	var all [][]manifest.Entry
	n := 0
	for i, b := range blocks {
		blocks[i] = nil
		n += len(b)
		for _, r := range runs(b, top) {
			if !slices.IsSortedFunc(r, byPath) {
				r = slices.Clone(r)
				slices.SortFunc(r, byPath)
			}
			all = append(all, r)
		}
	}
	slices.SortFunc(all, func(a, b []manifest.Entry) int { return byPath(a[0], b[0]) })
	if n == len(like) && n > 0 && slices.IsSortedFunc(like, byPath) {
		at := 0
		for _, r := range all {
			if &r[0] != &like[at] && !slices.Equal(r, like[at:at+len(r)]) {
				break
			}
			at += len(r)
		}
		if at == n {
			return like
		}
	}
	out := make([]manifest.Entry, 0, n)
	for i, r := range all {
		out = append(out, r...)
		all[i] = nil
	}
	if !slices.IsSortedFunc(out, byPath) {
		slices.SortFunc(out, byPath)
	}
	return out
}

// buildFleet runs the selected emitters that also render the whole fleet
// (emitters.FleetEmitter: the proxy/ folder), after every profile's files and
// before the manifest. Their files belong to no profile. It returns their
// entries a part at a time, in the emitter's order: assemble takes them as
// they are, so they are never copied into one list (350,000 entries at
// 100,000 profiles, held twice at the build's memory peak).
func buildFleet(profiles []*model.Profile, list []emitters.Emitter, sink Sink) ([][]manifest.Entry, error) {
	var all [][]manifest.Entry
	for _, e := range list {
		fe, ok := e.(emitters.FleetEmitter)
		if !ok {
			continue
		}
		ff, err := fe.EmitFleet(profiles)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fe.Name(), err)
		}
		// A part (one proxy's folder, one PAC file) at a time, on every
		// core: rendered, written, and dropped but for its entries, so
		// proxy/ (over a gigabyte at 100,000 profiles) is never in memory
		// whole.
		parts := make([][]manifest.Entry, ff.Parts)
		err = par.Until(ff.Parts, func(i int) error {
			files := ff.Part(i)
			parts[i] = make([]manifest.Entry, 0, len(files))
			for _, f := range files {
				parts[i] = append(parts[i], manifest.Entry{Path: f.Path, Target: fe.Name(), Size: len(f.Data), SHA256: sha256.Sum256(f.Data), Executable: f.Executable})
				if err := sink.Put(File{Path: f.Path, Target: fe.Name(), Data: f.Data, Executable: f.Executable}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		all = append(all, parts...)
	}
	return all, nil
}

// buildProfile runs the emitters over one profile, then the profile's final
// step, its README, which describes what the emitters produced.
func buildProfile(mp *model.Profile, list []emitters.Emitter, sink Sink, opts []emitters.Option) ([]manifest.Entry, error) {
	var (
		p       = emitters.NewProfile(mp, opts...)
		files   []emitters.File
		targets []string
		deploy  []string
	)
	for _, e := range list {
		fs, err := e.Emit(p)
		if err != nil {
			return nil, fmt.Errorf("profile %s: %s: %w", p.Name, e.Name(), mp.Locate(err))
		}
		for range fs {
			targets = append(targets, e.Name())
		}
		files = append(files, fs...)
		if d, ok := e.(emitters.Deployer); ok && len(fs) > 0 {
			deploy = append(deploy, d.Deploy(p))
		}
	}
	files = append(files, readme.Render(mp, files, deploy))
	targets = append(targets, readme.Target)
	entries := make([]manifest.Entry, len(files))
	seen := make(map[string]bool, len(files))
	for i, f := range files {
		if seen[f.Path] {
			return nil, fmt.Errorf("internal error: profile %s: two emitters wrote %s", p.Name, f.Path)
		}
		seen[f.Path] = true
		bf := File{Path: path.Join(p.Name, f.Path), Profile: p.Name, Target: targets[i], Data: f.Data, Executable: f.Executable}
		if err := sink.Put(bf); err != nil {
			return nil, err
		}
		entries[i] = manifest.Entry{Path: bf.Path, Profile: p.Name, Target: bf.Target, Size: len(f.Data), SHA256: sha256.Sum256(f.Data), Executable: f.Executable}
	}
	return entries, nil
}

// Memory is a Sink that keeps every file, for tests and small tools.
type Memory struct {
	mu    sync.Mutex
	files []File
}

// Put implements Sink.
func (m *Memory) Put(f File) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files = append(m.files, f)
	return nil
}

// Files returns what was put, sorted by path.
func (m *Memory) Files() []File {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Clone(m.files)
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return out
}

package bundle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
	"github.com/mdeproxyc/mdeproxyc/bundle/readme"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/par"
	"github.com/mdeproxyc/mdeproxyc/internal/version"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Incremental and partial builds (docs/incremental.md). Each profile's files
// are a pure function of its resolved model, the emitters selected and the
// tool's version; the manifest records a digest of these per profile, and a
// build carries a profile whose digest is unchanged over from the previous
// bundle, as hard links made inside the new bundle's temporary folder, instead
// of rendering it. The swap stays atomic: the new bundle is complete before it
// takes out's place. No file of a bundle is ever written in place (every file
// is created anew with O_EXCL), so an inode shared with the previous bundle,
// which is removed after the swap anyway, is never modified through either.

// Options tune Update.
type Options struct {
	// Partial says that the profiles given are a selection (build -p): every
	// other profile of the previous bundle is kept as it is, files and
	// manifest entries. Without it, profiles missing from the intent are
	// removed.
	Partial bool
	// Full renders every profile, ignoring the previous bundle's digests.
	Full bool
	// Inputs are further inputs of every profile's render that the model does
	// not hold (a signing certificate, say); they enter every digest.
	Inputs []string
	// Render configures every profile's shared renders (a script signer);
	// whatever it changes must also be named in Inputs, or an unchanged
	// profile is carried over as it was rendered before.
	Render []emitters.Option
	// Progress, when set, is updated as profiles are rendered or carried.
	Progress *Progress
	// Ahead, when set, is the previous bundle's manifest as ReadAhead read
	// it while the caller compiled; Update reads it again if out no longer
	// holds that very file.
	Ahead *Ahead
}

// readsPrevious says whether a build with these options reads the previous
// bundle's manifest: to carry unchanged profiles over, or to keep the
// profiles a partial build does not name. A full build of every profile
// reads none.
func (opt Options) readsPrevious() bool { return opt.Partial || !opt.Full }

// Progress counts a build's work as it goes; a reporter reads it from another
// goroutine.
type Progress struct {
	// Total is the number of profiles to render or carry.
	Total atomic.Int64
	// Rendered and Carried count profiles done each way.
	Rendered, Carried atomic.Int64
	// Files counts the files written or linked.
	Files atomic.Int64
}

// Result says what Update did.
type Result struct {
	Manifest *manifest.Manifest
	// Rendered, Carried and Kept count profiles: rendered anew, carried over
	// unchanged, kept as they were by a partial build.
	Rendered, Carried, Kept int
	// Unchanged is set when out already held exactly this build: nothing
	// was written.
	Unchanged bool
	// FleetKept is set when a partial build kept the fleet-level files (the
	// proxy/ folder) as they were: they describe the kept profiles as those
	// were built, and only a build of every profile updates them.
	FleetKept bool
}

// Digest is the digest of everything a profile's files are rendered from: the
// tool's version, the emitters selected, the further inputs, and the resolved
// model — every field, so that a field added later is covered without a
// change here — less where each value was written (positions move when other
// profiles are edited, and reach no file).
func Digest(p *model.Profile, list []emitters.Emitter, inputs []string) string {
	q := *p
	q.Pos = model.Pos{}
	q.Origins = nil
	q.LintIgnore = nil
	for _, li := range p.LintIgnore {
		li.Pos = model.Pos{}
		q.LintIgnore = append(q.LintIgnore, li)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\x00", manifest.ToolName, version.Version)
	for _, e := range list {
		fmt.Fprintf(h, "emitter %s\x00", e.Name())
	}
	for _, in := range inputs {
		fmt.Fprintf(h, "input %q\x00", in)
	}
	enc := json.NewEncoder(h)
	if err := enc.Encode(&q); err != nil {
		// A model that does not encode is never carried over.
		fmt.Fprintf(h, "unencodable %v", err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// plan says, for a build, which profiles are carried over from the previous
// bundle and which are kept by a partial build.
type plan struct {
	opt     Options
	list    []emitters.Emitter
	from    string // the previous bundle's folder
	digests []string
	// carry[i] holds the previous entries of profile i when it is carried over;
	// exact[i] says its folder held nothing else.
	carry [][]manifest.Entry
	exact []bool
	// fleet is the digest of what the fleet-level files are rendered from
	// (fleetDigest), or, when keepFleet, of what the kept ones were.
	fleet string
	// carryFleet says the fleet-level files are carried over from the
	// previous bundle (fleetEntries), their digest unchanged; fleetExact
	// that their folders held nothing else.
	carryFleet   bool
	fleetExact   bool
	fleetEntries []manifest.Entry
	kept         []manifest.Profile
	keptEntries  []manifest.Entry
	// keepFleet says the fleet-level files are among keptEntries, not
	// rendered (a partial build over a previous bundle).
	keepFleet bool
	keptRows  map[string]string
	// like is the previous manifest's entries, which assemble returns when
	// the build's would be the same.
	like     []manifest.Entry
	rendered atomic.Int64
	carried  atomic.Int64
}

// newPlan makes the plan of a build that renders every profile.
func newPlan(profiles []*model.Profile, list []emitters.Emitter, opt Options) *plan {
	pl := &plan{opt: opt, list: list, digests: make([]string, len(profiles)), carry: make([][]manifest.Entry, len(profiles)), exact: make([]bool, len(profiles))}
	parallel(len(profiles), func(i int) { pl.digests[i] = Digest(profiles[i], list, opt.Inputs) })
	pl.fleet = fleetDigest(profiles, pl.digests, list)
	return pl
}

// fleetDigest is the digest of everything the fleet-level files (the proxy/
// folder) are rendered from: the fleet emitters selected and every profile's
// name and digest, in the order given (a fleet emitter lists profiles in the
// order it is given them). A build whose fleet digest equals the previous
// bundle's carries those files over instead of rendering them.
func fleetDigest(profiles []*model.Profile, digests []string, list []emitters.Emitter) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\x00", manifest.ToolName, version.Version)
	for _, e := range list {
		if _, ok := e.(emitters.FleetEmitter); ok {
			fmt.Fprintf(h, "fleet emitter %s\x00", e.Name())
		}
	}
	for i, p := range profiles {
		fmt.Fprintf(h, "profile %q %s\x00", p.Name, digests[i])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// parallel runs f(0) … f(n-1) on every core.
func parallel(n int, f func(i int)) { par.Each(n, func(_, i int) { f(i) }) }

// runs splits entries into runs of consecutive entries with the same key:
// a profile's files, proxy/'s, a file at the root. Each run is capped, so an
// append to it copies instead of writing into the next run.
func runs(entries []manifest.Entry, key func(manifest.Entry) string) [][]manifest.Entry {
	var out [][]manifest.Entry
	for lo := 0; lo < len(entries); {
		k := key(entries[lo])
		hi := lo + 1
		for hi < len(entries) && key(entries[hi]) == k {
			hi++
		}
		out = append(out, entries[lo:hi:hi])
		lo = hi
	}
	return out
}

// byProfile is runs' key for a profile's entries ("" for the others).
func byProfile(e manifest.Entry) string { return e.Profile }

// profile renders profile i, or carries it over, and returns its entries.
func (pl *plan) profile(i int, p *model.Profile, list []emitters.Emitter, d dest) ([]manifest.Entry, error) {
	prog := pl.opt.Progress
	if prev := pl.carry[i]; prev != nil {
		if d.carry == nil {
			return nil, errNoCarry
		}
		for _, e := range prev {
			if err := d.carry(pl.from, e); err != nil {
				return nil, fmt.Errorf("profile %s: carrying %s over from the previous bundle: %w", p.Name, e.Path, err)
			}
			if prog != nil {
				prog.Files.Add(1)
			}
		}
		pl.carried.Add(1)
		if prog != nil {
			prog.Carried.Add(1)
		}
		d.done(p.Name)
		return prev, nil
	}
	entries, err := buildProfile(p, list, d.sink, pl.opt.Render)
	if err != nil {
		return nil, err
	}
	d.done(p.Name)
	pl.rendered.Add(1)
	if prog != nil {
		prog.Rendered.Add(1)
		prog.Files.Add(int64(len(entries)))
	}
	return entries, nil
}

// carryKept links the files of the profiles a partial build keeps.
func (pl *plan) carryKept(d dest) error {
	if len(pl.keptEntries) == 0 {
		return nil
	}
	if d.carry == nil {
		return errNoCarry
	}
	// A profile's entries are one run of keptEntries: each is kept by one
	// goroutine, which then says the profile is done.
	kept := runs(pl.keptEntries, byProfile)
	return par.Until(len(kept), func(i int) error {
		for _, e := range kept[i] {
			if err := d.carry(pl.from, e); err != nil {
				return fmt.Errorf("profile %s: keeping %s from the previous bundle: %w", e.Profile, e.Path, err)
			}
		}
		if p := kept[i][0].Profile; p != "" {
			d.done(p)
		}
		return nil
	})
}

// fleetFiles puts the fleet-level files, carried over from the previous
// bundle or rendered, and returns their entries, in blocks. A partial build
// that keeps them has them among keptEntries and puts nothing here.
func (pl *plan) fleetFiles(profiles []*model.Profile, list []emitters.Emitter, d dest) ([][]manifest.Entry, error) {
	switch {
	case pl.keepFleet:
		return nil, nil
	case pl.carryFleet:
		if d.carry == nil {
			return nil, errNoCarry
		}
		for _, e := range pl.fleetEntries {
			if err := d.carry(pl.from, e); err != nil {
				return nil, fmt.Errorf("carrying %s over from the previous bundle: %w", e.Path, err)
			}
		}
		return [][]manifest.Entry{pl.fleetEntries}, nil
	}
	return buildFleet(profiles, list, d.sink)
}

// index is the build's fleet-level step: the fleet index, a row per profile
// built and per profile kept.
func (pl *plan) index(profiles []*model.Profile, sink Sink) (manifest.Entry, error) {
	type row struct{ name, text string }
	rows := make([]row, len(profiles), len(profiles)+len(pl.kept))
	parallel(len(profiles), func(i int) { rows[i] = row{profiles[i].Name, readme.IndexRow(profiles[i])} })
	for _, k := range pl.kept {
		r, ok := pl.keptRows[k.Name]
		if !ok {
			// A bundle older than the index: the row names the profile only.
			r = fmt.Sprintf("| [%s](%s/%s) | — | — | — |", k.Name, k.Name, readme.Path)
		}
		rows = append(rows, row{k.Name, r})
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.name, b.name) })
	text := make([]string, len(rows))
	for i, r := range rows {
		text[i] = r.text
	}
	data := readme.Index(text)
	if err := sink.Put(File{Path: readme.IndexPath, Target: readme.IndexTarget, Data: data}); err != nil {
		return manifest.Entry{}, err
	}
	return manifest.Entry{Path: readme.IndexPath, Target: readme.IndexTarget, Size: len(data), SHA256: sha256.Sum256(data)}, nil
}

// profiles is the manifest's list of profiles: those built and those kept.
func (pl *plan) profiles(profiles []*model.Profile) []manifest.Profile {
	out := make([]manifest.Profile, 0, len(profiles)+len(pl.kept))
	for i, p := range profiles {
		out = append(out, manifest.Profile{Name: p.Name, Digest: pl.digests[i]})
	}
	out = append(out, pl.kept...)
	slices.SortFunc(out, func(a, b manifest.Profile) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// over makes pl, newPlan's for profiles, the plan of a build over the
// previous bundle pv (nil: none).
func (pl *plan) over(profiles []*model.Profile, pv *previous) error {
	opt := pl.opt
	if pv == nil {
		return nil
	}
	pl.like = pv.manifest.Files
	pl.from = pv.dir
	if opt.Partial {
		building := make(map[string]bool, len(profiles))
		for _, p := range profiles {
			building[p.Name] = true
		}
		var names []string
		for name := range pv.byProfile {
			if !building[name] {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		// Every kept file is checked by content, on every core.
		intact := make([]bool, len(names))
		parallel(len(names), func(i int) { intact[i], _ = pv.intact(names[i]) })
		for i, name := range names {
			entries := pv.byProfile[name]
			if !intact[i] {
				return fmt.Errorf("cannot keep profile %s from the previous bundle: its files are not as its manifest lists them (missing, edited, of another mode, linked elsewhere, not regular files, or beside a symlink, FIFO or device); build every profile (without -p) to repair it", name)
			}
			pl.kept = append(pl.kept, manifest.Profile{Name: name, Digest: pv.digest[name]})
			pl.keptEntries = append(pl.keptEntries, entries...)
		}
		// The fleet-level files describe the kept profiles as they were
		// built, which no model here says: keep them too, or a changed
		// intent of a kept profile would rewrite the proxy team's files for
		// devices that still run the old ones.
		if len(names) > 0 && len(pv.fleet) > 0 {
			if ok, _ := pv.fleetIntact(); !ok {
				return errors.New("cannot keep the proxy/ folder of the previous bundle: its files are not as its manifest lists them; build every profile (without -p) to repair it")
			}
			pl.keepFleet = true
			pl.fleet = pv.manifest.Fleet
			pl.keptEntries = append(pl.keptEntries, pv.fleet...)
		}
		if len(names) > 0 {
			if data, _, err := outdir.ReadRegular(pv.dir, readme.IndexPath, outdir.MaxRead); err == nil {
				pl.keptRows = readme.IndexRows(data)
			}
		}
	}
	if opt.Full {
		return nil
	}
	// Whether the folders hold anything else (exact) matters only when
	// this build may write nothing at all: every digest as before.
	mayBeUnchanged := len(pl.kept) == 0 && len(profiles) == len(pv.byProfile) && pv.manifest.Fleet == pl.fleet
	for i, p := range profiles {
		mayBeUnchanged = mayBeUnchanged && pv.digest[p.Name] == pl.digests[i]
	}
	// One more item than profiles: the fleet-level files, checked alongside.
	// They come first: at 10,000 profiles the proxy/ folder holds 35,000
	// files, and taken last they would be checked on one core while the
	// other has nothing left to do.
	parallel(len(profiles)+1, func(item int) {
		if item == 0 {
			if !pl.keepFleet && pv.manifest.Fleet == pl.fleet {
				if ok, exact := pv.fleetIntact(); ok {
					pl.carryFleet, pl.fleetExact, pl.fleetEntries = true, exact, pv.fleet
				}
			}
			return
		}
		i := item - 1
		name := profiles[i].Name
		if d, ok := pv.digest[name]; ok && d == pl.digests[i] {
			if entries := pv.byProfile[name]; len(entries) > 0 {
				if !mayBeUnchanged {
					if filesCheck(pv.dir, name, entries) {
						pl.carry[i] = entries
					}
				} else if ok, exact := pv.intact(name); ok {
					pl.carry[i], pl.exact[i] = entries, exact
				}
			}
		}
	})
	return nil
}

// unchanged reports whether the bundle in pv.dir is exactly what the plan
// would write: every profile and the fleet-level files carried, no other
// file in their folders or at the root, and the same fleet index and
// manifest bytes.
func (pl *plan) unchanged(profiles []*model.Profile, pv *previous) bool {
	if pv == nil || len(pl.kept) > 0 || len(profiles) != len(pv.byProfile) || !pl.carryFleet || !pl.fleetExact {
		return false
	}
	root := map[string]bool{manifest.Path: false, readme.IndexPath: false}
	for i, p := range profiles {
		if pl.carry[i] == nil || !pl.exact[i] {
			return false
		}
		root[p.Name] = true
	}
	folders, _ := fleetFolders(pl.fleetEntries)
	for _, f := range folders {
		root[f] = true
	}
	// A dry run: everything is carried, so this renders only the fleet
	// index, in memory, and compares the manifest as it is encoded with the
	// file's bytes (carryMemory.putManifest).
	sink := &carryMemory{Memory: &Memory{}, dir: pv.dir}
	prog := pl.opt.Progress
	pl.opt.Progress = nil
	_, err := build(profiles, pl.list, dest{sink: sink, carry: func(string, manifest.Entry) error { return nil }, putManifest: sink.putManifest}, pl)
	pl.opt.Progress = prog
	pl.carried.Store(0)
	if err != nil || !sink.same {
		return false
	}
	index := sink.data(readme.IndexPath)
	have, _, err := outdir.ReadRegular(pv.dir, readme.IndexPath, int64(len(index)))
	if err != nil || !bytes.Equal(have, index) {
		return false
	}
	// Nothing else may be at the root: a full build would not write it.
	ents, err := os.ReadDir(pv.dir)
	if err != nil || len(ents) != len(root) {
		return false
	}
	for _, e := range ents {
		folder, ok := root[e.Name()]
		if !ok || folder != e.IsDir() || !folder && !e.Type().IsRegular() {
			return false
		}
	}
	return true
}

// carryMemory is a Memory sink for unchanged's dry run (which takes carried
// files as they are, copying nothing) that compares the manifest, as it is
// encoded, with the previous one's file in dir, without holding either whole.
type carryMemory struct {
	*Memory
	dir  string
	same bool
}

func (c *carryMemory) putManifest(m *manifest.Manifest) error {
	c.same = false
	f, st, err := outdir.OpenRegular(c.dir, manifest.Path, math.MaxInt64)
	if err != nil {
		return nil
	}
	defer f.Close()
	r := bufio.NewReaderSize(io.LimitReader(f, st.Size()), 64<<10)
	buf := make([]byte, 0, (64<<10)+1024)
	same := true
	m.EncodeChunks(func(chunk []byte) bool {
		if cap(buf) < len(chunk) {
			buf = make([]byte, len(chunk))
		}
		buf = buf[:len(chunk)]
		if _, err := io.ReadFull(r, buf); err != nil || !bytes.Equal(buf, chunk) {
			same = false
		}
		return same
	})
	if same {
		_, err := r.ReadByte()
		c.same = err == io.EOF
	}
	return nil
}

// data returns the bytes put at path.
func (m *Memory) data(p string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.files {
		if f.Path == p {
			return f.Data
		}
	}
	return nil
}

package bundle

import (
	"io/fs"
	"maps"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mdeproxyc/mdeproxyc/bundle/readme"
)

// A rebuild with nothing changed spends most of its time on the bundle it
// replaces: reading a manifest of 165,000 entries and listing 60,000 folders
// at 10,000 profiles. None of that needs the compiled fleet, so a build can
// start it first and compile meanwhile: compiling leaves a core idle for part
// of its time, and listing is system calls that take no lock the compiler
// holds. Each profile's folder is listed as soon as the manifest has been
// read past its entries (docs/PERFORMANCE.md).

// A Survey is a look at the bundle a build is about to replace, taken in the
// background while the fleet compiles: its manifest read, and every folder
// the manifest records listed. Update takes it in Options.Survey and uses
// what it found instead of reading the bundle again. What the survey found
// is what was there when it looked, as what Update reads itself is what was
// there when it read it: a bundle edited while a build runs is a race either
// way, and the swap that ends the build is atomic all the same.
type Survey struct {
	dir     string // out as Update resolves it; "" when it does not resolve
	done    chan struct{}
	stopped atomic.Bool
	seen    surveyed  // the bundle as the survey began
	pv      *previous // nil: no previous bundle, or the survey was stopped
	// stale says the survey found the manifest replaced while it read it:
	// pv is nil, but not because there is no previous bundle, and Update
	// reads the bundle again (a partial build taking it for none would keep
	// no profile).
	stale bool
	// trusted counts the folders (a profile's, or proxy/) the survey
	// checked by their stamps instead of listing them.
	trusted int64
}

// maxSurveyedManifest is the largest previous manifest a survey reads while
// the fleet compiles: 64 MiB, about 16,000 profiles. Its entries take about
// half its size in memory (a 10,000-profile manifest is 38 MB), and at
// 100,000 profiles (400 MB) holding them through the compile would break the
// build's 1 GiB memory budget.
var maxSurveyedManifest int64 = 64 << 20

// StartSurvey starts surveying the bundle in out, the folder a build will
// replace, and returns at once; stamps is the folder stamp books are kept in
// (Options.Stamps). Stop it if the build ends before Update.
func StartSurvey(out, stamps string) *Survey {
	s := &Survey{done: make(chan struct{})}
	dir, err := resolveOut(out)
	if err != nil {
		close(s.done)
		return s
	}
	st, err := lstatIn(dir, ManifestPath)
	if err == nil && st.Size() > maxSurveyedManifest {
		// The entries of a manifest this large would be held through the
		// compile's peak: Update reads it after, as without a survey.
		close(s.done)
		return s
	}
	s.dir, s.seen = dir, bundleState(dir)
	go func() {
		defer close(s.done)
		s.pv, s.trusted, s.stale = survey(dir, stamps, &s.stopped)
	}()
	return s
}

// Stop abandons the survey: its listing ends at the next folder, and Update
// will not use it. It does not wait.
func (s *Survey) Stop() {
	if s != nil {
		s.stopped.Store(true)
	}
}

// previous returns what the survey found of the bundle in dir (as Update
// resolved it) once it is done, or, when there is no survey, or it looked
// elsewhere, was stopped or found the manifest replaced, reads dir now.
func (s *Survey) previous(dir string) *previous {
	if s == nil || s.dir != dir {
		return readPrevious(dir, reading{})
	}
	<-s.done
	if s.stopped.Load() || s.stale || !s.seen.same(bundleState(dir)) {
		// Another build may have swapped its bundle in while this one
		// compiled: what the survey found is then another bundle's.
		return readPrevious(dir, reading{})
	}
	return s.pv
}

// surveyed is what a survey saw of the bundle folder and its manifest
// before it began: the folder, and the manifest's file, size and time.
type surveyed struct {
	root, manifest fs.FileInfo
}

func bundleState(dir string) surveyed {
	var s surveyed
	s.root, _ = os.Lstat(dir)
	s.manifest, _ = lstatIn(dir, ManifestPath)
	return s
}

// same reports whether the bundle is as the survey saw it: the same folder
// and the same manifest file, of the same size and time. Update checks it
// when it takes the survey: a survey is up to a compile's time old.
func (s surveyed) same(now surveyed) bool {
	sameFile := func(a, b fs.FileInfo) bool {
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
	}
	return sameFile(s.root, now.root) && sameFile(s.manifest, now.manifest)
}

// listing is what listing a folder found: whether it holds its manifest
// entries as recorded (intact) and nothing else (exact).
type listing struct{ intact, exact bool }

// listed holds a survey's listings of a previous bundle's folders.
type listed struct {
	profiles map[string]listing
	fleet    listing
}

// runListing is the listing of a folder against run, the entries in it: a
// profile's folder (named by the entries' profile), or a fleet-level folder
// (top; proxy/).
type runListing struct {
	top string
	run []ManifestEntry
	listing
}

// survey reads the previous bundle in dir, listing each profile's folder on
// every core as the manifest is read (or checking it by its stamps, kept in
// the folder stamps); nil when there is none, or when stopped. trusted
// counts the folders checked by their stamps. stale says the manifest was
// replaced while it was read: pv is nil, and the bundle must be read again.
func survey(dir, stamps string, stopped *atomic.Bool) (pv *previous, trusted int64, stale bool) {
	sv := newSurveyor(dir, stamps)
	defer sv.close()
	defer func() { trusted = sv.trusted.Load() }()
	var (
		runs  = make(chan []ManifestEntry, 256)
		wg    sync.WaitGroup
		found = make([][]runListing, len(sv.fresh))
	)
	for w := range sv.fresh {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for run := range runs {
				if stopped.Load() {
					continue
				}
				// The manifest is not checked yet: a run that names a
				// folder outside the bundle is not listed (readPrevious
				// then rejects the whole manifest).
				valid := true
				for _, e := range run {
					valid = valid && entryValid(e)
				}
				if !valid {
					continue
				}
				if run[0].Profile == "" {
					found[w] = append(found[w], sv.listFleetRun(w, run)...)
					continue
				}
				found[w] = append(found[w], runListing{run: run, listing: sv.list(w, run[0].Profile, run)})
			}
		}()
	}
	// A stamp book kept for this very manifest says its checksum matched.
	pv = readPrevious(dir, reading{onRun: func(run []ManifestEntry) { runs <- run }, checked: sv.book != nil})
	close(runs)
	wg.Wait()
	if stopped.Load() {
		return nil, 0, false
	}
	if sv.root != nil && !sv.root.manifestUnchanged(dir) {
		// The stamps and the book were for the bundle and manifest as
		// they were when the survey began, and this one was read from
		// another (or none was read, being replaced as it was opened).
		return nil, 0, true
	}
	if pv == nil {
		return nil, 0, false
	}
	if pv.adopt(found) {
		sv.save()
	}
	if !pv.listRest(stopped) {
		return nil, 0, false
	}
	return pv, 0, false
}

// surveyor lists a previous bundle's folders for a survey, through the stamp
// book kept for it where its file system allows, and collects the stamps of
// the folders it finds exactly as the manifest lists them.
type surveyor struct {
	dir   string
	books string     // Options.Stamps
	root  *stampRoot // nil: no stamps
	book  *stampBook // nil: none kept, or not for this manifest
	// fresh holds, per worker, the stamps of the folders this survey
	// listed and found as the manifest lists them.
	fresh []map[string]stamp
	// trusted counts the runs checked by their stamps, not listed.
	trusted atomic.Int64
}

func newSurveyor(dir, books string) *surveyor {
	sv := &surveyor{dir: dir, books: books, root: stampsRoot(books, dir)}
	if sv.root != nil {
		sv.book = loadStamps(books, dir, sv.root)
	}
	sv.fresh = make([]map[string]stamp, runtime.GOMAXPROCS(0))
	for w := range sv.fresh {
		sv.fresh[w] = map[string]stamp{}
	}
	return sv
}

func (sv *surveyor) close() {
	if sv.root != nil {
		sv.root.close()
	}
}

// list reports whether the folder top holds entries as the manifest records
// them, and nothing else (folderIntact), as worker w: by the folders' stamps
// when the book has them all and they are unchanged, else by listing it.
func (sv *surveyor) list(w int, top string, entries []ManifestEntry) listing {
	var l listing
	if sv.root == nil {
		l.intact, l.exact = folderIntact(sv.dir, top, entries)
		return l
	}
	folders := runFolders(top, entries)
	if sv.book != nil {
		if l, ok := sv.book.check(sv.root, entries, folders); ok {
			sv.trusted.Add(1)
			return l
		}
	}
	since := stampClock()
	l.intact, l.exact = folderIntact(sv.dir, top, entries)
	if l.intact && l.exact {
		maps.Copy(sv.fresh[w], sv.root.record(folders, since))
	}
	return l
}

// listFleetRun lists the fleet-level folders (proxy/) that a run of entries
// without a profile lies in; the fleet index at the root is no folder's.
func (sv *surveyor) listFleetRun(w int, run []ManifestEntry) []runListing {
	var out []runListing
	for lo := 0; lo < len(run); {
		top, _, nested := strings.Cut(run[lo].Path, "/")
		hi := lo + 1
		for hi < len(run) && strings.HasPrefix(run[hi].Path, top+"/") {
			hi++
		}
		if nested && run[lo].Target != readme.IndexTarget {
			out = append(out, runListing{top: top, run: run[lo:hi], listing: sv.list(w, top, run[lo:hi])})
		}
		lo = hi
	}
	return out
}

// save adds the stamps of the folders this survey listed to the book, when
// there are any. A stamp the book holds of a folder that has changed since
// stays: it says what the folder held when it had that stamp, which it will
// not have again.
func (sv *surveyor) save() {
	b := &stampBook{folders: map[string]stamp{}}
	for _, got := range sv.fresh {
		maps.Copy(b.folders, got)
	}
	if sv.root == nil || len(b.folders) == 0 {
		return
	}
	b.root, b.manifest = sv.root.id, sv.root.manifest
	if sv.book != nil {
		for f, st := range sv.book.folders {
			if _, ok := b.folders[f]; !ok {
				b.folders[f] = st
			}
		}
	}
	b.save(sv.books, sv.dir)
}

// adopt keeps the listings taken while the manifest was read of the profiles
// whose entries they were taken against: the very entries pv holds (not a
// second reading of a manifest found in another layout half way, nor one run
// of a profile whose entries came in two).
//
// The fleet-level folders' listings are taken where they were listed
// against the same files (fleetIntact). It returns whether every profile's
// listing was adopted; the stamps found alongside are kept only then, as
// they hold for the runs that were listed.
func (pv *previous) adopt(found [][]runListing) (all bool) {
	pv.listed = &listed{profiles: make(map[string]listing, len(pv.byProfile))}
	fleet := map[string]runListing{}
	all = true
	for _, ls := range found {
		for _, l := range ls {
			if l.top != "" {
				fleet[l.top] = l
				continue
			}
			name := l.run[0].Profile
			if have := pv.byProfile[name]; len(have) == len(l.run) && &have[0] == &l.run[0] {
				pv.listed.profiles[name] = l.listing
			} else {
				all = false
			}
		}
	}
	pv.listed.fleet.intact, pv.listed.fleet.exact = fleetIntact(pv.dir, pv.fleet, fleet)
	return all
}

// listRest lists, on every core, the folders adopt did not find listed;
// false when stopped first.
func (pv *previous) listRest(stopped *atomic.Bool) bool {
	var names []string
	for name := range pv.byProfile {
		if _, ok := pv.listed.profiles[name]; !ok {
			names = append(names, name)
		}
	}
	rest := make([]listing, len(names))
	parallel(len(names), func(i int) {
		if !stopped.Load() {
			rest[i].intact, rest[i].exact = folderIntact(pv.dir, names[i], pv.byProfile[names[i]])
		}
	})
	if stopped.Load() {
		return false
	}
	for i, name := range names {
		pv.listed.profiles[name] = rest[i]
	}
	return true
}

// intact reports whether the previous bundle's folder of the profile name
// holds its manifest entries as recorded, and in exact whether it holds
// nothing else (folderIntact): as the survey found it, or listed now.
func (pv *previous) intact(name string) (intact, exact bool) {
	if pv.listed != nil {
		if l, ok := pv.listed.profiles[name]; ok {
			return l.intact, l.exact
		}
	}
	return folderIntact(pv.dir, name, pv.byProfile[name])
}

// fleetIntact is intact for the fleet-level files (proxy/).
func (pv *previous) fleetIntact() (intact, exact bool) {
	if pv.listed != nil {
		return pv.listed.fleet.intact, pv.listed.fleet.exact
	}
	return fleetIntact(pv.dir, pv.fleet, nil)
}

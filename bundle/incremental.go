package bundle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"unsafe"

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
	// Survey, when set, is the previous bundle as StartSurvey found it: it
	// is not read again, unless the survey was stopped, looked at another
	// folder, or the bundle or its manifest was replaced as it looked or
	// since.
	Survey *Survey
	// Stamps is the folder in which a stamp book of the bundle's folders is
	// kept for the next build's survey (stamps.go); empty: none is kept.
	Stamps string
}

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
	Manifest *Manifest
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
	fmt.Fprintf(h, "%s %s\x00", ToolName, version.Version)
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
	carry [][]ManifestEntry
	exact []bool
	// fleet is the digest of what the fleet-level files are rendered from
	// (fleetDigest), or, when keepFleet, of what the kept ones were.
	fleet string
	// carryFleet says the fleet-level files are carried over from the
	// previous bundle (fleetEntries), their digest unchanged; fleetExact
	// that their folders held nothing else.
	carryFleet   bool
	fleetExact   bool
	fleetEntries []ManifestEntry
	kept         []ManifestProfile
	keptEntries  []ManifestEntry
	// keepFleet says the fleet-level files are among keptEntries, not
	// rendered (a partial build over a previous bundle).
	keepFleet bool
	keptRows  map[string]string
	// like is the previous manifest's entries, which assemble returns when
	// the build's would be the same.
	like     []ManifestEntry
	rendered atomic.Int64
	carried  atomic.Int64
}

// newPlan makes the plan of a build that renders every profile.
func newPlan(profiles []*model.Profile, list []emitters.Emitter, opt Options) *plan {
	pl := &plan{opt: opt, list: list, digests: make([]string, len(profiles)), carry: make([][]ManifestEntry, len(profiles)), exact: make([]bool, len(profiles))}
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
	fmt.Fprintf(h, "%s %s\x00", ToolName, version.Version)
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
func runs(entries []ManifestEntry, key func(ManifestEntry) string) [][]ManifestEntry {
	var out [][]ManifestEntry
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
func byProfile(e ManifestEntry) string { return e.Profile }

// profile renders profile i, or carries it over, and returns its entries.
func (pl *plan) profile(i int, p *model.Profile, list []emitters.Emitter, sink Sink) ([]ManifestEntry, error) {
	prog := pl.opt.Progress
	if prev := pl.carry[i]; prev != nil {
		c, ok := sink.(carrier)
		if !ok {
			return nil, errors.New("internal error: a carried profile needs a folder sink")
		}
		for _, e := range prev {
			if err := c.carry(pl.from, e); err != nil {
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
		done(sink, p.Name)
		return prev, nil
	}
	entries, err := buildProfile(p, list, sink, pl.opt.Render)
	if err != nil {
		return nil, err
	}
	done(sink, p.Name)
	pl.rendered.Add(1)
	if prog != nil {
		prog.Rendered.Add(1)
		prog.Files.Add(int64(len(entries)))
	}
	return entries, nil
}

// profileSink is implemented by sinks that want to know when a profile's
// files have all been put.
type profileSink interface {
	profileDone(profile string)
}

// done tells sink, if it wants to know, that profile's files are all put.
func done(sink Sink, profile string) {
	if ps, ok := sink.(profileSink); ok {
		ps.profileDone(profile)
	}
}

// carryKept links the files of the profiles a partial build keeps.
func (pl *plan) carryKept(sink Sink) error {
	if len(pl.keptEntries) == 0 {
		return nil
	}
	c, ok := sink.(carrier)
	if !ok {
		return errors.New("internal error: kept profiles need a folder sink")
	}
	// A profile's entries are one run of keptEntries: each is kept by one
	// goroutine, which then says the profile is done.
	kept := runs(pl.keptEntries, byProfile)
	return par.Until(len(kept), func(i int) error {
		for _, e := range kept[i] {
			if err := c.carry(pl.from, e); err != nil {
				return fmt.Errorf("profile %s: keeping %s from the previous bundle: %w", e.Profile, e.Path, err)
			}
		}
		if p := kept[i][0].Profile; p != "" {
			done(sink, p)
		}
		return nil
	})
}

// fleetFiles puts the fleet-level files, carried over from the previous
// bundle or rendered, and returns their entries. A partial build that keeps
// them has them among keptEntries and puts nothing here.
func (pl *plan) fleetFiles(profiles []*model.Profile, list []emitters.Emitter, sink Sink) ([]ManifestEntry, error) {
	switch {
	case pl.keepFleet:
		return nil, nil
	case pl.carryFleet:
		c, ok := sink.(carrier)
		if !ok {
			return nil, errors.New("internal error: carried fleet files need a folder sink")
		}
		for _, e := range pl.fleetEntries {
			if err := c.carry(pl.from, e); err != nil {
				return nil, fmt.Errorf("carrying %s over from the previous bundle: %w", e.Path, err)
			}
		}
		return pl.fleetEntries, nil
	}
	return buildFleet(profiles, list, sink)
}

// index is the build's fleet-level step: the fleet index, a row per profile
// built and per profile kept.
func (pl *plan) index(profiles []*model.Profile, sink Sink) (ManifestEntry, error) {
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
		return ManifestEntry{}, err
	}
	return ManifestEntry{Path: readme.IndexPath, Target: readme.IndexTarget, Size: len(data), SHA256: sha256.Sum256(data)}, nil
}

// profiles is the manifest's list of profiles: those built and those kept.
func (pl *plan) profiles(profiles []*model.Profile) []ManifestProfile {
	out := make([]ManifestProfile, 0, len(profiles)+len(pl.kept))
	for i, p := range profiles {
		out = append(out, ManifestProfile{Name: p.Name, Digest: pl.digests[i]})
	}
	out = append(out, pl.kept...)
	slices.SortFunc(out, func(a, b ManifestProfile) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// carrier is implemented by sinks that can take a file over from a previous
// bundle without rendering it.
type carrier interface {
	carry(from string, e ManifestEntry) error
}

// carry implements carrier: a hard link in the temporary folder to the
// previous bundle's file, or a copy where the file system has no hard links.
func (f *folder) carry(from string, e ManifestEntry) error {
	if err := f.stopped(); err != nil {
		return err
	}
	if rel := path.Dir(e.Path); rel != "." {
		if err := f.mkdirs(e.Profile, rel); err != nil {
			return err
		}
	}
	src := filepath.Join(from, filepath.FromSlash(e.Path))
	dst := filepath.Join(f.root, filepath.FromSlash(e.Path))
	// link(2) does not follow a symlink in its last component, and plan
	// checked every folder on the way with Lstat.
	err := os.Link(src, dst)
	if err == nil {
		return nil
	}
	var le *os.LinkError
	if !errors.As(err, &le) || !(errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EMLINK)) {
		return err
	}
	data, st, err := readRegular(from, e.Path, int64(e.Size))
	if err != nil {
		return err
	}
	return f.Put(File{Path: e.Path, Profile: e.Profile, Target: e.Target, Data: data, Executable: st.Mode()&0o100 != 0})
}

// previous is what a build reads of the bundle it replaces.
type previous struct {
	dir      string
	manifest *Manifest
	// exact says the manifest's file is what Encode writes for it.
	exact bool
	// byProfile holds each profile's entries, in manifest order.
	byProfile map[string][]ManifestEntry
	// fleet holds the fleet-level files' entries (proxy/), not the index.
	fleet  []ManifestEntry
	digest map[string]string
	// listed holds the folders' listings when a Survey took them ahead.
	listed *listed
}

// readPrevious reads the manifest of the bundle in dir; nil when dir holds
// none this tool can read (then nothing is carried over). rd.onRun, when
// not nil, is called as the manifest is read with each run of entries of one
// profile (runs of one profile are consecutive in a manifest Encode wrote);
// a run's entries are never modified afterwards, but they are not checked
// yet: see entryValid.
func readPrevious(dir string, rd reading) *previous {
	if !IsBundle(dir) {
		return nil
	}
	st, err := lstatIn(dir, ManifestPath)
	if err != nil {
		return nil
	}
	m, exact, err := readManifest(dir, st.Size(), rd)
	if err != nil || m.Tool != ToolName {
		return nil
	}
	for _, e := range m.Files {
		if !entryValid(e) {
			return nil
		}
	}
	pv := &previous{dir: dir, manifest: m, exact: exact, byProfile: map[string][]ManifestEntry{}, digest: map[string]string{}}
	// A manifest is sorted by path, so a profile's entries are one run of
	// Files: each profile's list is that run, not a copy of it. A run met
	// twice (a manifest edited by hand) is appended to a copy.
	for _, run := range runs(m.Files, byProfile) {
		name := run[0].Profile
		if name == "" {
			// The fleet index sorts first (README.md): the proxy/ files
			// after it are kept as a run of Files, not copied, so that
			// assemble finds them where they lie.
			if pv.fleet == nil && run[0].Target == readme.IndexTarget && !slices.ContainsFunc(run[1:], isIndex) {
				pv.fleet = run[1:]
				continue
			}
			for _, e := range run {
				if !isIndex(e) {
					pv.fleet = append(pv.fleet, e)
				}
			}
			continue
		}
		if prev, dup := pv.byProfile[name]; dup {
			run = append(prev, run...)
		}
		pv.byProfile[name] = run
	}
	// A full build writes no fleet-level file in a profile's folder. One
	// listed there would be listed, and carried, twice over: as the
	// profile's folder and as a fleet-level one (and a stamp of the folder
	// found exact against the profile's entries would vouch for it).
	for _, e := range pv.fleet {
		if top, _, _ := strings.Cut(e.Path, "/"); pv.byProfile[top] != nil {
			return nil
		}
	}
	for _, p := range m.Profiles {
		pv.digest[p.Name] = p.Digest
	}
	return pv
}

// isIndex reports whether e is the fleet index's entry.
func isIndex(e ManifestEntry) bool { return e.Target == readme.IndexTarget }

// entryValid reports whether a previous manifest's entry names a file this
// tool could have written. The manifest may come from anyone who can write
// to the folder: a path that climbs out of the bundle ("..") or a file filed
// under another profile's folder would make the check list, and a build link
// from, the wrong place. A manifest with such an entry is not this tool's:
// nothing is carried over from it.
func entryValid(e ManifestEntry) bool {
	top, _, nested := strings.Cut(e.Path, "/")
	return fs.ValidPath(e.Path) && e.Path != "." && (e.Profile == "" || nested && top == e.Profile)
}

// readManifest reads the manifest of the bundle in dir, size bytes as
// Lstat found it (decodeManifest).
func readManifest(dir string, size int64, rd reading) (*Manifest, bool, error) {
	f, _, err := openRegular(dir, ManifestPath, size)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	return decodeManifest(f, size, rd)
}

// decodeManifest reads a manifest of size bytes a line at a time in the
// layout Encode writes (a 100,000-profile manifest is 400 MB: it is never
// held whole), and in any other layout with encoding/json, streaming.
// rd.onRun is parseManifestLines's: it sees runs only of a manifest in
// Encode's layout, and runs it saw belong to the manifest returned only when their
// entries are the returned Files' (a layout found wrong half way is read
// again, into other entries).
//
// exact says the manifest was in Encode's layout: Encode writes it back as
// it was read, byte for byte.
func decodeManifest(r io.ReadSeeker, size int64, rd reading) (m *Manifest, exact bool, err error) {
	m, err = parseManifestLines(bufio.NewReaderSize(r, 64<<10), int(size/manifestEntryBytes), rd)
	if err == nil || !errors.Is(err, errLayout) {
		return m, err == nil, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, false, err
	}
	m = &Manifest{}
	if err := json.NewDecoder(io.LimitReader(r, size)).Decode(m); err != nil {
		return nil, false, err
	}
	if !rd.checked && m.Checksum != m.checksum() {
		return nil, false, errChecksum
	}
	return m, false, nil
}

var errLayout = errors.New("not in Encode's layout")

// parseManifestLines parses a manifest a line at a time, in exactly the
// layout Encode writes and no other (errLayout): every line, indentation,
// comma and value token as Encode would write it for the values read, so
// that what it reads, Encode writes back byte for byte, and encoding/json
// reads the same manifest (FuzzManifestLinesMatchEncodingJSON). Only what is
// kept is copied out of the line: a path, one copy of each profile's name
// and of each target (a 10,000-profile manifest has 165,000 entries), the
// hash as its 32 bytes.
func parseManifestLines(r *bufio.Reader, entries int, rd reading) (*Manifest, error) {
	m, sum, err := parseManifestLayout(r, entries, rd)
	if err == nil && !rd.checked && m.Checksum != sum {
		return nil, errChecksum
	}
	return m, err
}

// parseManifestLayout is parseManifestLines less the checksum's check: it
// returns the checksum of what it read, as Encode computes it. onRun may
// have seen runs of a manifest whose checksum then does not match.
func parseManifestLayout(r *bufio.Reader, entries int, rd reading) (*Manifest, string, error) {
	onRun := rd.onRun
	// Files is made once at about its final length: grown by doubling, the
	// copies it leaves behind come to its size again (16 MB at 10,000
	// profiles), while a build surveys the bundle as the fleet compiles.
	m := &Manifest{Files: touched(make([]ManifestEntry, 0, entries))}
	var paths stringArena
	run := 0 // where the run of entries being read starts in Files
	targets := map[string]string{}
	sum := hash.Hash(nopHash{})
	if !rd.checked {
		sum = sha256.New()
	}
	lr := lineReader{r: r, sum: sum}
	lr.line("{")
	m.Tool = strings.Clone(lr.str("  ", "tool", false))
	m.Version = strings.Clone(lr.str("  ", "version", false))
	m.Fleet = strings.Clone(lr.str("  ", "fleet", false))
	switch lr.next() {
	case `  "profiles": [],`:
	case `  "profiles": [`:
		for more := true; more && lr.err == nil; {
			lr.line("    {")
			var p ManifestProfile
			p.Name = strings.Clone(lr.str("      ", "name", false))
			p.Digest = strings.Clone(lr.str("      ", "digest", true))
			m.Profiles = append(m.Profiles, p)
			more = lr.close()
		}
		lr.line("  ],")
	default:
		lr.fail()
	}
	// The checksum covers the manifest up to the bracket that closes files:
	// the lines around that bracket are read unhashed, and their part of it
	// hashed here.
	lr.sum = nil
	switch lr.next() {
	case `  "files": [],`:
		sum.Write([]byte(`  "files": []`))
	case `  "files": [`:
		sum.Write([]byte("  \"files\": [\n"))
		lr.sum = sum
		for more := true; more && lr.err == nil; {
			lr.line("    {")
			e := ManifestEntry{Path: paths.clone(lr.str("      ", "path", false))}
			profile := lr.str("      ", "profile", false)
			// A profile's entries are together: its name is copied once.
			if n := len(m.Files); n > 0 && m.Files[n-1].Profile == profile {
				e.Profile = m.Files[n-1].Profile
			} else {
				e.Profile = strings.Clone(profile)
			}
			target := lr.str("      ", "target", false)
			t, ok := targets[target]
			if !ok {
				t = strings.Clone(target)
				targets[t] = t
			}
			e.Target = t
			e.Size = lr.int("      ", "size")
			e.SHA256 = lr.hash("      ", "sha256")
			if lr.err != nil {
				break
			}
			if n := len(m.Files); onRun != nil && n > run && m.Files[n-1].Profile != e.Profile {
				// Every run goes out while the next is read, which a
				// survey lists meanwhile (survey.go). Appending never
				// changes entries already in Files, grown or not.
				onRun(m.Files[run:n:n])
				run = n
			}
			m.Files = append(m.Files, e)
			more = lr.close()
		}
		lr.sum = nil
		lr.line("  ],")
		sum.Write([]byte("  ]"))
	default:
		lr.fail()
	}
	m.Checksum = strings.Clone(lr.str("  ", "checksum", true))
	lr.line("}")
	if lr.err == nil {
		if _, err := r.ReadByte(); err != io.EOF {
			lr.fail() // more after the closing brace
		}
	}
	if lr.err != nil {
		return nil, "", lr.err
	}
	if n := len(m.Files); onRun != nil && n > run {
		onRun(m.Files[run:n:n])
	}
	if rd.checked {
		return m, "", nil
	}
	return m, "sha256:" + hex.EncodeToString(sum.Sum(nil)), nil
}

// reading says how a manifest is read: onRun, when set, sees its runs of
// entries as they are read (parseManifestLines); checked says its checksum
// is known to match already, and is not computed again: a stamp book was
// kept for this very file, which a build kept only after reading it whole
// with its checksum checked, or writing it (38 MB hashed at 10,000
// profiles); or that nothing is carried over from it (--check's summary
// reads only the names of its profiles).
type reading struct {
	onRun   func([]ManifestEntry)
	checked bool
}

// nopHash takes what a manifest read checked would hash, and hashes nothing;
// its Sum is never called.
type nopHash struct{ hash.Hash }

func (nopHash) Write(p []byte) (int, error) { return len(p), nil }

// errChecksum is the error of a manifest whose files are not those its
// checksum was written for: edited by hand, or a merge conflict resolved in
// it. Nothing is carried over from it.
var errChecksum = errors.New("the manifest's checksum does not match its contents")

// lineReader reads a manifest in Encode's layout a line at a time; its first
// error stays in err, and every read after it gives nothing. Each line read
// goes into sum, when set.
type lineReader struct {
	r   *bufio.Reader
	err error
	sum hash.Hash
}

// next returns the next line, without its newline; the bytes are the
// reader's until the next read. A line Encode did not end with a newline,
// or over the reader's buffer, is not Encode's.
func (lr *lineReader) next() string {
	if lr.err != nil {
		return ""
	}
	raw, err := lr.r.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull || err == io.EOF:
		lr.fail()
		return ""
	case err != nil:
		lr.err = err
		return ""
	}
	if lr.sum != nil {
		lr.sum.Write(raw)
	}
	return unsafe.String(unsafe.SliceData(raw), len(raw)-1)
}

func (lr *lineReader) fail() {
	if lr.err == nil {
		lr.err = errLayout
	}
}

// line reads a line that must be want.
func (lr *lineReader) line(want string) {
	if got := lr.next(); got != want {
		lr.fail()
	}
}

// close reads the line that closes an array's element: true when another
// element follows ("},"), false when the array ends ("}").
func (lr *lineReader) close() (more bool) {
	switch lr.next() {
	case "    },":
		return true
	case "    }":
		return false
	}
	lr.fail()
	return false
}

// member reads the line indent"key": VALUE, followed by a comma unless last,
// and returns VALUE's token.
func (lr *lineReader) member(indent, key string, last bool) string {
	line := lr.next()
	if lr.err != nil {
		return ""
	}
	rest, ok := strings.CutPrefix(line, indent)
	if ok {
		rest, ok = strings.CutPrefix(rest, `"`)
	}
	if ok {
		rest, ok = strings.CutPrefix(rest, key)
	}
	if ok {
		rest, ok = strings.CutPrefix(rest, `": `)
	}
	if ok && !last {
		rest, ok = strings.CutSuffix(rest, ",")
	}
	if !ok || rest == "" {
		lr.fail()
		return ""
	}
	return rest
}

// str reads a member whose value is a string as Encode writes it (HTML
// characters escaped, as encoding/json does) and returns the string; the
// bytes may be the reader's (see next).
func (lr *lineReader) str(indent, key string, last bool) string {
	tok := lr.member(indent, key, last)
	if lr.err != nil {
		return ""
	}
	if len(tok) >= 2 && tok[0] == '"' && tok[len(tok)-1] == '"' {
		inner := tok[1 : len(tok)-1]
		plain := true
		for i := 0; i < len(inner) && plain; i++ {
			plain = plainJSON[inner[i]]
		}
		if plain {
			return inner
		}
	}
	// Escapes, or other than ASCII: read by encoding/json, and taken only
	// if Encode writes it back as it is.
	var s string
	if json.Unmarshal([]byte(tok), &s) != nil || string(appendJSONString(nil, s)) != tok {
		lr.fail()
		return ""
	}
	return s
}

// int reads a member whose value is an integer, written as
// strconv.AppendInt writes it (no sign but a minus, no leading zero).
func (lr *lineReader) int(indent, key string) int {
	tok := lr.member(indent, key, false)
	if lr.err != nil {
		return 0
	}
	n, err := strconv.Atoi(tok)
	var canon [24]byte
	if err != nil || string(strconv.AppendInt(canon[:0], int64(n), 10)) != tok {
		lr.fail()
		return 0
	}
	return n
}

// hash reads the last member of an entry, a hash in lowercase hex.
func (lr *lineReader) hash(indent, key string) Hash {
	tok := lr.member(indent, key, true)
	if lr.err != nil {
		return Hash{}
	}
	h, ok := Hash{}, len(tok) == 2+2*len(Hash{}) && tok[0] == '"' && tok[len(tok)-1] == '"'
	if ok {
		h, ok = parseHash(tok[1 : len(tok)-1])
	}
	for i := 1; ok && i < len(tok)-1; i++ {
		ok = tok[i] < 'A' || tok[i] > 'F' // Encode writes lowercase
	}
	if !ok {
		lr.fail()
	}
	return h
}

// plainJSON says which bytes encoding/json writes in a string as they are,
// HTML characters escaped: printable ASCII but for '"', '\\', '<', '>', '&'.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range "\"\\<>&" {
		t[c] = false
	}
	return t
}()

// touched writes to every page of s's capacity and returns s. The collector
// scans a large array whole, capacity included, and reading a page never
// written maps the shared zero page; each page written afterwards then costs
// a copy-on-write fault and a TLB flush on every core. Written first, a page
// costs one plain fault: 4% of a no-change rebuild at 10,000 profiles, whose
// manifest's entries take 16 MB (perf: do_wp_page and its IPIs).
func touched(s []ManifestEntry) []ManifestEntry {
	all := s[:cap(s)]
	step := max(1, 4096/int(unsafe.Sizeof(ManifestEntry{})))
	for i := 0; i < len(all); i += step {
		all[i] = ManifestEntry{}
	}
	return s
}

// manifestEntryBytes is about the length of an entry in a manifest as Encode
// writes it (240 bytes in the 10,000-profile benchmark's), a little less, so
// that a manifest's entries are rarely more than its size says.
const manifestEntryBytes = 220

// stringArena copies strings into shared blocks: a manifest's 165,000 paths
// (10,000 profiles) are then 120 allocations, not 165,000 the collector must
// track. A block is never written again where a string points into it.
type stringArena struct{ block []byte }

// clone returns a copy of s that does not share the caller's bytes.
func (a *stringArena) clone(s string) string {
	const blockSize = 64 << 10
	if len(s) == 0 || len(s) > blockSize/16 {
		return strings.Clone(s)
	}
	if cap(a.block)-len(a.block) < len(s) {
		a.block = make([]byte, 0, blockSize)
	}
	start := len(a.block)
	a.block = append(a.block, s...)
	return unsafe.String(&a.block[start], len(s))
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
		for _, name := range names {
			entries := pv.byProfile[name]
			if ok, _ := pv.intact(name); !ok {
				return fmt.Errorf("cannot keep profile %s from the previous bundle: its files are not as its manifest lists them (missing, resized, not regular files, or beside a symlink, FIFO or device); build every profile (without -p) to repair it", name)
			}
			pl.kept = append(pl.kept, ManifestProfile{Name: name, Digest: pv.digest[name]})
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
			if data, _, err := readRegular(pv.dir, readme.IndexPath, maxRead); err == nil {
				pl.keptRows = readme.IndexRows(data)
			}
		}
	}
	if opt.Full {
		return nil
	}
	// One more item than profiles: the fleet-level files, listed alongside.
	parallel(len(profiles)+1, func(i int) {
		if i == len(profiles) {
			if !pl.keepFleet && pv.manifest.Fleet == pl.fleet {
				if ok, exact := pv.fleetIntact(); ok {
					pl.carryFleet, pl.fleetExact, pl.fleetEntries = true, exact, pv.fleet
				}
			}
			return
		}
		name := profiles[i].Name
		if d, ok := pv.digest[name]; ok && d == pl.digests[i] {
			if entries := pv.byProfile[name]; len(entries) > 0 {
				if ok, exact := pv.intact(name); ok {
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
	root := map[string]bool{ManifestPath: false, readme.IndexPath: false}
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
	// index, in memory, and compares the manifest as it is encoded (or, given
	// back the very entries of a manifest in Encode's layout, knows it the
	// same: carryMemory.putManifest).
	sink := &carryMemory{Memory: &Memory{}, dir: pv.dir}
	if pv.exact {
		sink.prev = pv.manifest
	}
	prog := pl.opt.Progress
	pl.opt.Progress = nil
	_, err := build(profiles, pl.list, sink, pl)
	pl.opt.Progress = prog
	pl.carried.Store(0)
	if err != nil || !sink.same {
		return false
	}
	index := sink.data(readme.IndexPath)
	have, _, err := readRegular(pv.dir, readme.IndexPath, int64(len(index)))
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

// carryMemory is a Memory sink that accepts carried files without copying
// them, for unchanged's dry run, and compares the manifest, as it is encoded,
// with the previous one's file in dir, without holding either whole.
type carryMemory struct {
	*Memory
	dir  string
	same bool
	// prev is the previous manifest when its file is what Encode writes
	// for it (previous.exact).
	prev *Manifest
}

func (c *carryMemory) putManifest(m *Manifest) error {
	if p := c.prev; p != nil && m.Tool == p.Tool && m.Version == p.Version && m.Fleet == p.Fleet && slices.Equal(m.Profiles, p.Profiles) &&
		len(m.Files) == len(p.Files) && (len(m.Files) == 0 || &m.Files[0] == &p.Files[0]) {
		// The very entries read from the file (assemble returned them), and
		// the file is what Encode writes for what was read from it: the
		// bytes would be the same, without encoding 38 MB to see it.
		c.same = true
		return nil
	}
	c.same = false
	f, st, err := openRegular(c.dir, ManifestPath, math.MaxInt64)
	if err != nil {
		return nil
	}
	defer f.Close()
	r := bufio.NewReaderSize(io.LimitReader(f, st.Size()), 64<<10)
	buf := make([]byte, 0, encodeChunk+1024)
	same := true
	m.encode(func(chunk []byte) bool {
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

func (c *carryMemory) carry(string, ManifestEntry) error { return nil }

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

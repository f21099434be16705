// Package bundle runs the emitters over every profile, streams the files to a
// sink (a folder being written, a folder being checked, or memory), and adds the
// manifest. File contents are never all held at once: a 100,000-profile fleet
// keeps only the manifest's entries in memory.
package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mdeproxyc/mdeproxyc/bundle/readme"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/jsonstr"
	"github.com/mdeproxyc/mdeproxyc/internal/par"
	"github.com/mdeproxyc/mdeproxyc/internal/version"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// ManifestPath is the manifest's path at the bundle's root.
const ManifestPath = "manifest.json"

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
func Build(profiles []*model.Profile, list []emitters.Emitter, sink Sink, opts ...emitters.Option) (*Manifest, error) {
	return build(profiles, list, sink, newPlan(profiles, list, Options{Render: opts}))
}

// build is Build following a plan: profiles the plan carries over are linked
// from the previous bundle instead of rendered (incremental.go).
func build(profiles []*model.Profile, list []emitters.Emitter, sink Sink, pl *plan) (*Manifest, error) {
	perProfile := make([][]ManifestEntry, len(profiles))
	err := par.Until(len(profiles), func(i int) error {
		entries, err := pl.profile(i, profiles[i], list, sink)
		perProfile[i] = entries
		return err
	})
	if err != nil {
		return nil, err
	}
	m := &Manifest{Tool: ToolName, Version: version.Version}
	if err := pl.carryKept(sink); err != nil {
		return nil, err
	}
	// The fleet-level steps, after every profile: the proxy team's folder
	// (kept as it was, with the kept profiles, by a partial build), then the
	// index of the profiles.
	fleet, err := pl.fleetFiles(profiles, list, sink)
	if err != nil {
		return nil, err
	}
	m.Fleet = pl.fleet
	index, err := pl.index(profiles, sink)
	if err != nil {
		return nil, err
	}
	blocks := append(perProfile, fleet, []ManifestEntry{index}, pl.keptEntries)
	perProfile = nil // assemble releases each block as it copies it
	m.Files = assemble(blocks, pl.like)
	m.Profiles = pl.profiles(profiles)
	if ms, ok := sink.(manifestSink); ok {
		return m, ms.putManifest(m)
	}
	data, err := m.Encode()
	if err != nil {
		return nil, err
	}
	if err := sink.Put(File{Path: ManifestPath, Target: "manifest", Data: data}); err != nil {
		return nil, err
	}
	return m, nil
}

// manifestSink is implemented by sinks that take the manifest as a value
// rather than as bytes (a comparison with the previous manifest).
type manifestSink interface {
	putManifest(m *Manifest) error
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
func assemble(blocks [][]ManifestEntry, like []ManifestEntry) []ManifestEntry {
	byPath := func(a, b ManifestEntry) int { return strings.Compare(a.Path, b.Path) }
	// A run's key is its first path element with the slash, or the whole
	// path of a file at the root.
	top := func(e ManifestEntry) string {
		if i := strings.IndexByte(e.Path, '/'); i >= 0 {
			return e.Path[:i+1]
		}
		return e.Path
	}
	var all [][]ManifestEntry
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
	slices.SortFunc(all, func(a, b []ManifestEntry) int { return byPath(a[0], b[0]) })
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
	out := make([]ManifestEntry, 0, n)
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
// before the manifest. Their files belong to no profile.
func buildFleet(profiles []*model.Profile, list []emitters.Emitter, sink Sink) ([]ManifestEntry, error) {
	var entries []ManifestEntry
	seen := map[string]bool{}
	for _, e := range list {
		fe, ok := e.(emitters.FleetEmitter)
		if !ok {
			continue
		}
		fs, err := fe.EmitFleet(profiles)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fe.Name(), err)
		}
		for _, f := range fs {
			if seen[f.Path] {
				return nil, fmt.Errorf("internal error: %s wrote %s twice", fe.Name(), f.Path)
			}
			seen[f.Path] = true
		}
		// One proxy's folder a few files, thousands of proxies: written on
		// every core, recorded in the emitter's order.
		put := make([]ManifestEntry, len(fs))
		err = par.Until(len(fs), func(i int) error {
			f := fs[i]
			put[i] = ManifestEntry{Path: f.Path, Target: fe.Name(), Size: len(f.Data), SHA256: sha256.Sum256(f.Data)}
			return sink.Put(File{Path: f.Path, Target: fe.Name(), Data: f.Data, Executable: f.Executable})
		})
		if err != nil {
			return nil, err
		}
		entries = append(entries, put...)
	}
	return entries, nil
}

// buildProfile runs the emitters over one profile, then the profile's final
// step, its README, which describes what the emitters produced.
func buildProfile(mp *model.Profile, list []emitters.Emitter, sink Sink, opts []emitters.Option) ([]ManifestEntry, error) {
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
	entries := make([]ManifestEntry, len(files))
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
		entries[i] = ManifestEntry{Path: bf.Path, Profile: p.Name, Target: bf.Target, Size: len(f.Data), SHA256: sha256.Sum256(f.Data)}
	}
	return entries, nil
}

// Manifest is the JSON shape of manifest.json.
type Manifest struct {
	Tool    string `json:"tool"`
	Version string `json:"version"`
	// Fleet is the digest of everything the fleet-level files (proxy/) were
	// rendered from; a build whose own equals it carries them over.
	Fleet string `json:"fleet"`
	// Profiles records each profile's render digest (Digest), by name; an
	// incremental build re-renders only the profiles whose digest changed.
	Profiles []ManifestProfile `json:"profiles"`
	Files    []ManifestEntry   `json:"files"`
	// Checksum is the SHA-256 of the manifest as Encode writes it, up to the
	// end of Files: a manifest edited by hand, or a merge conflict resolved
	// in it, no longer matches its files, and a build carries nothing over
	// from it (docs/incremental.md). Encode writes the checksum it
	// computes, whatever this field holds; a manifest read sets it, to be
	// checked.
	Checksum string `json:"checksum"`
}

// ManifestProfile is one profile of the bundle and the digest of everything
// its files were rendered from.
type ManifestProfile struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

// ManifestEntry describes one file of the bundle.
type ManifestEntry struct {
	Path    string `json:"path"`
	Profile string `json:"profile"`
	Target  string `json:"target"`
	Size    int    `json:"size"`
	SHA256  Hash   `json:"sha256"`
}

// Hash is a file's SHA-256, written in the manifest in lowercase hex. Held as
// its 32 bytes rather than as the 64-character string: a 100,000-profile
// manifest has 1.6 million entries.
type Hash [sha256.Size]byte

// String returns the hash in lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText implements encoding.TextMarshaler.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: exactly 64 hex digits.
func (h *Hash) UnmarshalText(text []byte) error {
	v, ok := parseHash(string(text))
	if !ok {
		return fmt.Errorf("%q is not a SHA-256 in hex (64 digits)", text)
	}
	*h = v
	return nil
}

// parseHash reads 64 hex digits, without allocating (the manifest parser
// reads 1.6 million of them at 100,000 profiles).
func parseHash(s string) (Hash, bool) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, false
	}
	for i := range h {
		hi, lo := hexValue[s[2*i]], hexValue[s[2*i+1]]
		if hi > 0xf || lo > 0xf {
			return h, false
		}
		h[i] = hi<<4 | lo
	}
	return h, true
}

// hexValue maps a hex digit to its value, anything else to 0xff.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c], t[c-'a'+'A'] = c-'a'+10, c-'a'+10
	}
	return t
}()

// ToolName identifies bundles this tool wrote; build refuses to replace a
// folder whose manifest does not carry it.
const ToolName = "mdeproxyc"

// Encode renders the manifest: two-space indent, trailing newline, the bytes
// json.MarshalIndent would write with Checksum set to the checksum Encode
// computes (m.Checksum itself is not written). It writes them directly: for a million files
// MarshalIndent holds the output twice (measured: most of a 100,000-profile
// build's peak memory).
func (m *Manifest) Encode() ([]byte, error) {
	out := make([]byte, 0, 64+len(m.Files)*200)
	m.encode(func(chunk []byte) bool {
		out = append(out, chunk...)
		return true
	})
	return out, nil
}

// encodeChunk is how many bytes encode hands on at a time.
const encodeChunk = 64 << 10

// encode renders the manifest in chunks of about encodeChunk bytes, handing
// each to yield (which may keep it only until it returns); it stops when
// yield returns false. It returns the checksum it wrote (Checksum), ""
// when stopped.
func (m *Manifest) encode(yield func(chunk []byte) bool) (checksum string) {
	b := make([]byte, 0, encodeChunk+1024)
	sum := sha256.New()
	flush := func(force bool) bool {
		if len(b) < encodeChunk && !force {
			return true
		}
		sum.Write(b)
		ok := yield(b)
		b = b[:0]
		return ok
	}
	b = append(b, "{\n  \"tool\": "...)
	b = appendJSONString(b, m.Tool)
	b = append(b, ",\n  \"version\": "...)
	b = appendJSONString(b, m.Version)
	b = append(b, ",\n  \"fleet\": "...)
	b = appendJSONString(b, m.Fleet)
	b = append(b, ",\n  \"profiles\": ["...)
	for i, p := range m.Profiles {
		if !flush(false) {
			return ""
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    {\n      \"name\": "...)
		b = appendJSONString(b, p.Name)
		b = append(b, ",\n      \"digest\": "...)
		b = appendJSONString(b, p.Digest)
		b = append(b, "\n    }"...)
	}
	if len(m.Profiles) > 0 {
		b = append(b, "\n  "...)
	}
	b = append(b, "],\n  \"files\": ["...)
	for i, f := range m.Files {
		if !flush(false) {
			return ""
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    {\n      \"path\": "...)
		b = appendJSONString(b, f.Path)
		b = append(b, ",\n      \"profile\": "...)
		b = appendJSONString(b, f.Profile)
		b = append(b, ",\n      \"target\": "...)
		b = appendJSONString(b, f.Target)
		b = append(b, ",\n      \"size\": "...)
		b = strconv.AppendInt(b, int64(f.Size), 10)
		b = append(b, ",\n      \"sha256\": "...)
		b = append(b, '"')
		b = hex.AppendEncode(b, f.SHA256[:])
		b = append(b, '"')
		b = append(b, "\n    }"...)
	}
	if len(m.Files) > 0 {
		b = append(b, "\n  "...)
	}
	b = append(b, ']')
	sum.Write(b)
	checksum = "sha256:" + hex.EncodeToString(sum.Sum(nil))
	b = append(b, ",\n  \"checksum\": \""...)
	b = append(b, checksum...)
	b = append(b, "\"\n}\n"...)
	if !yield(b) {
		return ""
	}
	return checksum
}

// checksum returns the Checksum Encode writes for m.
func (m *Manifest) checksum() string {
	return m.encode(func([]byte) bool { return true })
}

// appendJSONString appends s as json.Marshal writes a string (HTML-safe
// escapes included), so the manifest's bytes match MarshalIndent's.
func appendJSONString(b []byte, s string) []byte { return jsonstr.Append(b, s, true) }

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

package bundle

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdeproxyc/mdeproxyc/bundle/readme"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// twoFiles is an emitter that writes two files a profile, one in a subfolder,
// and a fleet-level file naming every profile's description.
type twoFiles struct{}

func (twoFiles) Name() string    { return "two" }
func (twoFiles) Summary() string { return "two files" }
func (twoFiles) Emit(p *emitters.Profile) ([]emitters.File, error) {
	return []emitters.File{
		{Path: "top.txt", Data: []byte("profile " + p.Name + "\n")},
		{Path: "sub/deep/leaf.txt", Data: []byte(p.Description + "\n")},
	}, nil
}
func (twoFiles) EmitFleet(ps []*model.Profile) ([]emitters.File, error) {
	var b bytes.Buffer
	for _, p := range ps {
		b.WriteString(p.Name + ": " + p.Description + "\n")
	}
	return []emitters.File{{Path: "proxy/all.txt", Data: b.Bytes()}}, nil
}

// spoilCase is a way to make a bundle other than a build would write it.
type spoilCase struct {
	name  string
	spoil func(t *testing.T, out string)
}

// spoilCases returns the ways TestUpToDateMeansExactly spoils a bundle of
// profiles a and b written with twoFiles; the first spoils nothing.
func spoilCases() []spoilCase {
	return []spoilCase{
		{"nothing", func(*testing.T, string) {}},
		{"a stray file in a profile's subfolder", func(t *testing.T, out string) { write(t, out, "a/sub/stray.txt", "x") }},
		{"an empty folder in a profile", func(t *testing.T, out string) { mkdir(t, out, "a/sub/deep/empty") }},
		{"an empty folder at the root", func(t *testing.T, out string) { mkdir(t, out, "empty") }},
		{"a stray file at the root", func(t *testing.T, out string) { write(t, out, "stray.txt", "x") }},
		{"a stray file in proxy/", func(t *testing.T, out string) { write(t, out, "proxy/stray.txt", "x") }},
		{"a file of another size", func(t *testing.T, out string) { write(t, out, "b/sub/deep/leaf.txt", "longer than it was\n") }},
		{"a fleet file of another size", func(t *testing.T, out string) { write(t, out, "proxy/all.txt", "x") }},
		{"a missing file", func(t *testing.T, out string) { remove(t, out, "a/top.txt") }},
		{"a file grown in place", func(t *testing.T, out string) {
			// Its folder's entries are as they were: a stamp book still
			// holds the folder unchanged, and the file's size must tell.
			f, err := os.OpenFile(filepath.Join(out, "b", "sub", "deep", "leaf.txt"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString("more"); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}},
		{"a symlink in place of a folder", func(t *testing.T, out string) {
			remove(t, out, "b/sub/deep/leaf.txt")
			remove(t, out, "b/sub/deep")
			if err := os.Symlink(filepath.Join(out, "a", "sub", "deep"), filepath.Join(out, "b", "sub", "deep")); err != nil {
				t.Fatal(err)
			}
		}},
		{"an index edited to the same size", func(t *testing.T, out string) {
			data, err := os.ReadFile(filepath.Join(out, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			write(t, out, "README.md", string(bytes.ToUpper(data)))
		}},
		{"a manifest with one more space", func(t *testing.T, out string) {
			data, err := os.ReadFile(filepath.Join(out, ManifestPath))
			if err != nil {
				t.Fatal(err)
			}
			write(t, out, ManifestPath, string(data)+" ")
		}},
		{"a manifest in another JSON layout", func(t *testing.T, out string) {
			data, err := os.ReadFile(filepath.Join(out, ManifestPath))
			if err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, data); err != nil {
				t.Fatal(err)
			}
			write(t, out, ManifestPath, compact.String())
		}},
	}
}

// TestUpToDateMeansExactly: a rebuild with nothing changed writes nothing only
// when the bundle is exactly what a full build writes. Each difference makes
// the build write the bundle again, and the result is a full build's.
func TestUpToDateMeansExactly(t *testing.T) {
	f := newAB(t)
	for _, c := range spoilCases() {
		// The build reads the previous bundle itself, or takes what a
		// Survey found while the fleet compiled, or a Survey stopped half
		// way (a build that failed before Update, in a long-lived process).
		for _, how := range []string{"read", "surveyed", "survey stopped"} {
			t.Run(how+"/"+c.name, func(t *testing.T) {
				if _, err := Update(context.Background(), f.out, f.profiles, f.list, Options{}); err != nil {
					t.Fatal(err)
				}
				c.spoil(t, f.out)
				var opt Options
				switch how {
				case "surveyed":
					opt.Survey = StartSurvey(f.out, "")
				case "survey stopped":
					opt.Survey = StartSurvey(f.out, "")
					opt.Survey.Stop()
				}
				f.rebuild(t, opt, c.name == "nothing")
			})
		}
	}
}

func write(t *testing.T, root, rel, data string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	// A new file, not the old one edited: the bundle's files may be hard
	// links shared with the previous bundle.
	_ = os.Remove(p)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, root, rel string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(rel)), 0o755); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, root, rel string) {
	t.Helper()
	if err := os.Remove(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
		t.Fatal(err)
	}
}

// diffTrees names the first difference between two folders: a path in one
// only, of another type, or with other bytes.
func diffTrees(t *testing.T, a, b string) string {
	t.Helper()
	list := func(root string) map[string]string {
		out := map[string]string{}
		err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			switch {
			case info.Mode()&os.ModeSymlink != 0:
				out[rel] = "symlink"
			case info.IsDir():
				out[rel] = "folder"
			default:
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				out[rel] = string(data)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	la, lb := list(a), list(b)
	for p, x := range la {
		if y, ok := lb[p]; !ok {
			return p + " is missing"
		} else if x != y {
			return p + " differs"
		}
	}
	for p := range lb {
		if _, ok := la[p]; !ok {
			return p + " is extra"
		}
	}
	return ""
}

// TestEncodeChunksMatchMarshalIndent: the manifest encoded in chunks, as the
// up-to-date check compares it, is json.MarshalIndent's bytes, for a manifest
// larger than one chunk.
func TestEncodeChunksMatchMarshalIndent(t *testing.T) {
	m := &Manifest{Tool: ToolName, Version: "v<1>", Fleet: "sha256:x"}
	for i := range 2000 {
		name := string(rune('a'+i%26)) + "-\u00e9&" + string(rune('0'+i%10))
		m.Profiles = append(m.Profiles, ManifestProfile{Name: name, Digest: "d"})
		m.Files = append(m.Files, ManifestEntry{Path: name + "/f.txt", Profile: name, Target: "t", Size: i, SHA256: Hash{byte(i), 0xab}})
	}
	// Encode writes the checksum it computes; MarshalIndent, the field.
	m.Checksum = m.checksum()
	if !strings.HasPrefix(m.Checksum, "sha256:") || len(m.Checksum) != len("sha256:")+64 {
		t.Fatalf("checksum %q", m.Checksum)
	}
	want, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	var chunks int
	var got []byte
	m.encode(func(c []byte) bool { chunks++; got = append(got, c...); return true })
	if !bytes.Equal(got, want) {
		t.Fatal("chunked encoding differs from MarshalIndent")
	}
	if chunks < 2 {
		t.Fatalf("%d chunk(s): the test does not cross a chunk boundary", chunks)
	}
	enc, _ := m.Encode()
	if !bytes.Equal(enc, want) {
		t.Fatal("Encode differs from MarshalIndent")
	}
}

// TestAssembleIsASort: assemble orders any list of blocks as a plain sort by
// path does, including names that are prefixes of one another ("a", "a-b",
// "a.b") and runs split or repeated, and leaves the blocks as they were.
func TestAssembleIsASort(t *testing.T) {
	tops := []string{"a", "a-b", "a.b", "ab", "README.md", "manifest.json", "proxy", "b", "a0"}
	rests := []string{"", "README.md", "windows/x.reg", "windows/intune/a.json", "linux/mdatp.json", "z"}
	x := uint32(7)
	next := func(n int) int { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return int(x % uint32(n)) }
	for round := range 500 {
		var in []ManifestEntry
		for range next(40) {
			top, rest := tops[next(len(tops))], rests[next(len(rests))]
			p := top
			if rest != "" {
				p += "/" + rest
			}
			// Runs as a build makes them: a profile's entries together, often.
			for range 1 + next(3) {
				in = append(in, ManifestEntry{Path: p, Size: round})
			}
		}
		want := slices.Clone(in)
		slices.SortStableFunc(want, func(a, b ManifestEntry) int { return strings.Compare(a.Path, b.Path) })
		// Split into blocks as a build hands them over, at random places.
		var blocks [][]ManifestEntry
		for lo := 0; lo < len(in); {
			hi := min(len(in), lo+1+next(8))
			blocks = append(blocks, in[lo:hi])
			lo = hi
		}
		before := slices.Clone(in)
		got := assemble(slices.Clone(blocks), nil)
		if !slices.Equal(in, before) {
			t.Fatalf("round %d: assemble modified its blocks", round)
		}
		// Given entries like its result, it returns the same entries (as
		// a rebuild with nothing changed gives it the previous manifest's
		// runs: then those very entries); given any others, a sort of its
		// own.
		if same := slices.Clone(got); len(same) > 0 {
			if r := assemble(slices.Clone(blocks), same); !slices.Equal(r, got) {
				t.Fatalf("round %d: given entries like its result, assemble returned others", round)
			}
			// A manifest's paths are unique.
			same = slices.CompactFunc(same, func(a, b ManifestEntry) bool { return a.Path == b.Path })
			var own [][]ManifestEntry
			for lo := 0; lo < len(same); {
				hi := min(len(same), lo+1+next(8))
				own = append(own, same[lo:hi:hi])
				lo = hi
			}
			slices.Reverse(own)
			if r := assemble(own, same); &r[0] != &same[0] {
				t.Fatalf("round %d: given runs of the very entries it is given, assemble copied them", round)
			}
			other := slices.Clone(got)
			other[next(len(other))].Size = -1
			if r := assemble(slices.Clone(blocks), other); &r[0] == &other[0] || !slices.Equal(r, got) {
				t.Fatalf("round %d: given other entries, assemble returned them", round)
			}
			if r := assemble(slices.Clone(blocks), got[1:]); !slices.Equal(r, got) {
				t.Fatalf("round %d: given one entry fewer, assemble returned %d entries", round, len(r))
			}
		}
		var gp, wp []string
		for i := range got {
			gp, wp = append(gp, got[i].Path), append(wp, want[i].Path)
		}
		if !slices.Equal(gp, wp) {
			t.Fatalf("round %d: got %q, want %q", round, gp, wp)
		}
	}
}

// TestParseHash: 64 hex digits of either case, nothing else.
func TestParseHash(t *testing.T) {
	want := Hash{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	for _, s := range []string{want.String(), strings.ToUpper(want.String())} {
		if h, ok := parseHash(s); !ok || h != want {
			t.Errorf("%s: %x, %v", s, h, ok)
		}
	}
	for _, s := range []string{"", want.String()[1:], want.String() + "0", "g" + want.String()[1:], want.String()[:63] + "/", want.String()[:63] + ":"} {
		if _, ok := parseHash(s); ok {
			t.Errorf("%q parsed", s)
		}
	}
}

// TestFleetFilesFollowProfileOrder: the fleet-level files list profiles in the
// order they are given, so a build given the same profiles in another order
// writes proxy/ again and is not "up to date" (found by review: the fleet
// digest sorted the profiles, and proxy/ was carried in the old order).
func TestFleetFilesFollowProfileOrder(t *testing.T) {
	a, b := &model.Profile{Name: "a", Description: "A"}, &model.Profile{Name: "b", Description: "B"}
	list := []emitters.Emitter{twoFiles{}}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Update(context.Background(), out, []*model.Profile{b, a}, list, Options{}); err != nil {
		t.Fatal(err)
	}
	r, err := Update(context.Background(), out, []*model.Profile{a, b}, list, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Unchanged {
		t.Error("up to date, though proxy/ lists the profiles in the other order")
	}
	want := filepath.Join(t.TempDir(), "want")
	if _, err := Update(context.Background(), want, []*model.Profile{a, b}, list, Options{Full: true}); err != nil {
		t.Fatal(err)
	}
	if d := diffTrees(t, want, out); d != "" {
		t.Errorf("the bundle is not a full build's: %s", d)
	}
}

// TestParseManifestAnyKeyOrder: a manifest whose members come in another
// order (rewritten by a tool that sorts keys) reads as encoding/json reads it;
// the line parser used to pair each path with the next entry's hash.
func TestParseManifestAnyKeyOrder(t *testing.T) {
	m := &Manifest{Tool: ToolName, Version: "1", Fleet: "sha256:f", Profiles: []ManifestProfile{{Name: "a", Digest: "d"}}}
	for i := range 3 {
		m.Files = append(m.Files, ManifestEntry{Path: "a/f" + string(rune('0'+i)), Profile: "a", Target: "t", Size: i, SHA256: Hash{byte(i)}})
	}
	canonical, _ := m.Encode()
	var generic map[string]any
	if err := json.Unmarshal(canonical, &generic); err != nil {
		t.Fatal(err)
	}
	sorted, err := json.MarshalIndent(generic, "", "  ") // maps: keys sorted
	if err != nil {
		t.Fatal(err)
	}
	// Encode's layout, but each entry's members last to first: the top
	// level as Encode writes it, so only the entries' order differs.
	var reversed bytes.Buffer
	reversed.WriteString("{\n  \"tool\": \"mdeproxyc\",\n  \"version\": \"1\",\n  \"fleet\": \"sha256:f\",\n  \"profiles\": [\n    {\n      \"name\": \"a\",\n      \"digest\": \"d\"\n    }\n  ],\n  \"files\": [")
	for i, e := range m.Files {
		if i > 0 {
			reversed.WriteString(",")
		}
		fmt.Fprintf(&reversed, "\n    {\n      \"sha256\": %q,\n      \"size\": %d,\n      \"target\": %q,\n      \"profile\": %q,\n      \"path\": %q\n    }", e.SHA256.String(), e.Size, e.Target, e.Profile, e.Path)
	}
	fmt.Fprintf(&reversed, "\n  ],\n  \"checksum\": %q\n}\n", m.checksum())
	for name, text := range map[string][]byte{"Encode's layout": canonical, "keys sorted": sorted, "entries' members reversed": reversed.Bytes()} {
		got, _, err := decodeManifest(bytes.NewReader(text), int64(len(text)), reading{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var want Manifest
		if err := json.Unmarshal(text, &want); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Files, want.Files) || !slices.Equal(got.Files, m.Files) {
			t.Errorf("%s: files %v, want %v", name, got.Files, m.Files)
		}
	}
	for name, text := range map[string][]byte{"keys sorted": sorted, "entries' members reversed": reversed.Bytes()} {
		if _, err := parseManifestLines(bufio.NewReader(bytes.NewReader(text)), 0, reading{}); err == nil {
			t.Errorf("the line parser took a manifest with %s", name)
		}
	}
	if _, err := parseManifestLines(bufio.NewReader(bytes.NewReader(canonical[:len(canonical)/2])), 0, reading{}); err == nil {
		t.Error("the line parser took a manifest cut short")
	}
}

// TestPreviousManifestStaysInTheBundle: a manifest naming a path outside the
// bundle, or a profile's file outside its folder, is not read: nothing is
// carried over from it, and the check lists nothing outside the bundle.
func TestPreviousManifestStaysInTheBundle(t *testing.T) {
	list := []emitters.Emitter{twoFiles{}}
	profiles := []*model.Profile{{Name: "a", Description: "A"}, {Name: "b", Description: "B"}}
	for name, entry := range map[string]ManifestEntry{
		"a path that climbs out":        {Path: "../secret/x", Target: "two"},
		"a fleet file at a profile's":   {Path: "b/../../x", Target: "two"},
		"a profile's file in another's": {Path: "b/top.txt", Profile: "a", Target: "two"},
		"an absolute path":              {Path: "/etc/passwd", Target: "two"},
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			m, err := Update(context.Background(), out, profiles, list, Options{})
			if err != nil {
				t.Fatal(err)
			}
			m.Manifest.Files = append(m.Manifest.Files, entry)
			data, _ := m.Manifest.Encode()
			write(t, out, ManifestPath, string(data))
			if pv := readPrevious(out, reading{}); pv != nil {
				t.Fatalf("read a manifest listing %q", entry.Path)
			}
			r, err := Update(context.Background(), out, profiles, list, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Carried != 0 || r.Rendered != 2 {
				t.Errorf("carried %d, rendered %d", r.Carried, r.Rendered)
			}
		})
	}
}

// TestReadManifestLarge: a manifest of many entries, read from its file a
// buffer at a time, is what encoding/json reads; every string read survives
// the buffer's reuse.
func TestReadManifestLarge(t *testing.T) {
	m := &Manifest{Tool: ToolName, Version: "1", Fleet: "sha256:f"}
	for i := range 3000 {
		name := fmt.Sprintf("site-%06d", i)
		m.Profiles = append(m.Profiles, ManifestProfile{Name: name, Digest: fmt.Sprintf("sha256:%064d", i)})
		for _, f := range []string{"README.md", "windows/intune/remediation.json", "linux/set-proxy.sh"} {
			m.Files = append(m.Files, ManifestEntry{Path: name + "/" + f, Profile: name, Target: f[:5], Size: i, SHA256: Hash{byte(i), byte(i >> 8)}})
		}
	}
	data, _ := m.Encode()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ManifestPath), data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, _, err := readManifest(dir, int64(len(data)), reading{})
	if err != nil {
		t.Fatal(err)
	}
	// The line parser itself, not its encoding/json fallback.
	lines, err := parseManifestLines(bufio.NewReaderSize(bytes.NewReader(data), 64<<10), 0, reading{})
	if err != nil {
		t.Fatalf("the line parser: %v", err)
	}
	if !slices.Equal(lines.Profiles, got.Profiles) || !slices.Equal(lines.Files, got.Files) {
		t.Fatal("the line parser read another manifest than readManifest")
	}
	var want Manifest
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if got.Tool != want.Tool || got.Version != want.Version || got.Fleet != want.Fleet ||
		!slices.Equal(got.Profiles, want.Profiles) || !slices.Equal(got.Files, want.Files) {
		t.Fatalf("read %d profiles, %d files; want %d, %d (first file %+v, want %+v)", len(got.Profiles), len(got.Files), len(want.Profiles), len(want.Files), got.Files[0], want.Files[0])
	}
	if len(data) < 4*64<<10 {
		t.Fatalf("the manifest is %d bytes: the reader's buffer is never reused", len(data))
	}
}

// TestReadManifestReportsRuns checks what a survey lists while the manifest
// is read: every entry once, in runs of one profile each, in order, and each
// run the very entries the manifest returned holds.
func TestReadManifestReportsRuns(t *testing.T) {
	m := &Manifest{Tool: ToolName, Version: "1", Fleet: "sha256:f"}
	m.Files = append(m.Files, ManifestEntry{Path: "README.md", Target: readme.IndexTarget})
	for i := range 2000 {
		name := fmt.Sprintf("site-%06d", i)
		m.Profiles = append(m.Profiles, ManifestProfile{Name: name, Digest: "sha256:d"})
		for _, f := range []string{"README.md", "windows/intune/remediation.json", "linux/set-proxy.sh"} {
			m.Files = append(m.Files, ManifestEntry{Path: name + "/" + f, Profile: name, Target: f[:5], Size: i})
		}
		if i == 1000 {
			// Entries without a profile between two profiles' runs.
			m.Files = append(m.Files, ManifestEntry{Path: "site-001000-proxy/a.pac", Target: "proxy"}, ManifestEntry{Path: "site-001000-proxy/b.pac", Target: "proxy"})
		}
	}
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var got [][]ManifestEntry
	read, exact, err := decodeManifest(bytes.NewReader(data), int64(len(data)), reading{onRun: func(run []ManifestEntry) { got = append(got, run) }})
	if err != nil {
		t.Fatal(err)
	}
	if !exact || !slices.Equal(read.Files, m.Files) {
		t.Fatalf("the manifest read (exact %v) is not the one written", exact)
	}
	at := 0
	for i, run := range got {
		if len(run) == 0 || &run[0] != &read.Files[at] {
			t.Fatalf("run %d does not start at entry %d of Files", i, at)
		}
		for _, e := range run {
			if e.Profile != run[0].Profile {
				t.Fatalf("run %d mixes profiles %q and %q", i, run[0].Profile, e.Profile)
			}
		}
		if i > 0 && got[i-1][0].Profile == run[0].Profile {
			t.Fatalf("runs %d and %d are both profile %q's", i-1, i, run[0].Profile)
		}
		if cap(run) != len(run) {
			t.Fatalf("run %d can be appended to in place", i)
		}
		at += len(run)
	}
	if at != len(read.Files) {
		t.Fatalf("the runs cover %d of %d entries", at, len(read.Files))
	}
	// 2,000 profiles, the index, and the entries without a profile.
	if len(got) != 2002 {
		t.Fatalf("%d runs, want 2002", len(got))
	}
}

// BenchmarkDecodeManifest reads a manifest the size of the 10,000-profile
// benchmark fleet's (165,000 entries), as a rebuild's survey does.
func BenchmarkDecodeManifest(b *testing.B) {
	m := &Manifest{Tool: ToolName, Version: "1", Fleet: "sha256:f"}
	files := []string{"README.md", "linux/check-connectivity.sh", "linux/mdatp_managed.json", "linux/set-proxy.sh", "macos/com.microsoft.wdav.mobileconfig",
		"macos/com.microsoft.wdav.plist", "windows/Registry.pol", "windows/Set-MdeProxy.ps1", "windows/Test-MdeProxy.ps1", "windows/configmgr/New-MdeProxyApplication.ps1",
		"windows/gpo/Set-MdeProxyGpo.ps1", "windows/intune/custom-configuration.json", "windows/intune/platform-script.json", "windows/intune/remediation.json", "windows/mde-proxy-undo.reg", "windows/mde-proxy.reg"}
	for i := range 10000 {
		name := fmt.Sprintf("site-%06d", i)
		m.Profiles = append(m.Profiles, ManifestProfile{Name: name, Digest: fmt.Sprintf("sha256:%064d", i)})
		for j, f := range files {
			m.Files = append(m.Files, ManifestEntry{Path: name + "/" + f, Profile: name, Target: strings.Split(f, "/")[0], Size: 1000 + i + j, SHA256: Hash{byte(i), byte(j)}})
		}
	}
	data, err := m.Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := decodeManifest(bytes.NewReader(data), int64(len(data)), reading{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSurveyLeavesLargeManifests checks that a survey does not read a
// manifest over maxSurveyedManifest while the fleet compiles, and that the
// build then reads it itself, carrying every profile over all the same.
func TestSurveyLeavesLargeManifests(t *testing.T) {
	profiles := []*model.Profile{{Name: "a"}, {Name: "b"}}
	list := []emitters.Emitter{twoFiles{}}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Update(context.Background(), out, profiles, list, Options{}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(out, ManifestPath))
	if err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int64{st.Size() - 1, st.Size()} {
		old := maxSurveyedManifest
		maxSurveyedManifest = limit
		s := StartSurvey(out, "")
		maxSurveyedManifest = old
		<-s.done
		if surveyed := s.pv != nil; surveyed != (limit >= st.Size()) {
			t.Errorf("a %d-byte manifest with the limit at %d: surveyed = %v", st.Size(), limit, surveyed)
		}
		r, err := Update(context.Background(), out, profiles, list, Options{Survey: s})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Unchanged || r.Carried != 2 {
			t.Errorf("limit %d: Unchanged = %v, Carried = %d; want an unchanged bundle, both profiles carried", limit, r.Unchanged, r.Carried)
		}
	}
}

// FuzzManifestLinesMatchEncodingJSON: whatever the line parser reads, it
// reads as encoding/json does, and Encode writes it back byte for byte; or
// it declines, and encoding/json reads it.
func FuzzManifestLinesMatchEncodingJSON(f *testing.F) {
	m := &Manifest{Tool: ToolName, Version: "1.0", Fleet: "sha256:f",
		Profiles: []ManifestProfile{{Name: "hq", Digest: "sha256:a"}, {Name: "b\\\"r", Digest: "sha256:b"}},
		Files: []ManifestEntry{
			{Path: "README.md", Target: readme.IndexTarget, Size: 10, SHA256: Hash{1}},
			{Path: "hq/windows/x.reg", Profile: "hq", Target: "regfile", Size: 3, SHA256: Hash{2}},
			{Path: "b\\\"r/é <&>", Profile: "b\\\"r", Target: "t", Size: 0, SHA256: Hash{3}},
		}}
	data, err := m.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	empty, _ := (&Manifest{Tool: ToolName}).Encode()
	f.Add(empty)
	f.Add([]byte("{\n  \"tool\": \"mdeproxyc\",\n  \"files\": [\n    {\n      \"path\": \"a\", \"profile\": \"b\",\n    }\n  ]\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The layout, whatever the checksum: few inputs would have the
		// right one.
		got, sum, err := parseManifestLayout(bufio.NewReader(bytes.NewReader(data)), 0, reading{})
		if err != nil {
			return
		}
		// What Encode writes back is the input with the checksum the
		// line parser computed, which must be Encode's.
		member := func(v string) []byte {
			return append(appendJSONString([]byte(`"checksum": `), v), "\n}\n"...)
		}
		fixed := bytes.Replace(data, member(got.Checksum), member(sum), 1)
		if back, err := got.Encode(); err != nil || !bytes.Equal(back, fixed) {
			t.Fatalf("Encode does not write back what the line parser read (%v):\n%q\n%q", err, fixed, back)
		}
		if got.checksum() != sum {
			t.Fatalf("the line parser's checksum %s, Encode's %s", sum, got.checksum())
		}
		var want Manifest
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("the line parser read a manifest encoding/json rejects (%v):\n%q", err, data)
		}
		norm := func(m *Manifest) {
			if len(m.Files) == 0 {
				m.Files = nil
			}
			if len(m.Profiles) == 0 {
				m.Profiles = nil
			}
		}
		norm(got)
		norm(&want)
		if d := cmp.Diff(&want, got); d != "" {
			t.Fatalf("the line parser and encoding/json read two manifests (-json +lines):\n%s\n%q", d, data)
		}
	})
}

// TestPutManifestTakesTheExactPrevious checks the no-change rebuild's
// shortcut: the very entries of a previous manifest whose file Encode writes
// back as it is are the same bytes, without reading the file; anything else
// is compared with the file.
func TestPutManifestTakesTheExactPrevious(t *testing.T) {
	prev := &Manifest{Tool: ToolName, Version: "1", Fleet: "sha256:f", Profiles: []ManifestProfile{{Name: "a", Digest: "d"}},
		Files: []ManifestEntry{{Path: "a/x", Profile: "a", Target: "t", Size: 1}}}
	missing := filepath.Join(t.TempDir(), "nothing here")
	for _, c := range []struct {
		name string
		m    Manifest
		same bool
	}{
		{"the same entries", *prev, true},
		{"equal entries elsewhere", Manifest{Tool: prev.Tool, Version: prev.Version, Fleet: prev.Fleet, Profiles: prev.Profiles, Files: slices.Clone(prev.Files)}, false},
		{"another fleet digest", Manifest{Tool: prev.Tool, Version: prev.Version, Fleet: "sha256:g", Profiles: prev.Profiles, Files: prev.Files}, false},
		{"another profile digest", Manifest{Tool: prev.Tool, Version: prev.Version, Fleet: prev.Fleet, Profiles: []ManifestProfile{{Name: "a", Digest: "e"}}, Files: prev.Files}, false},
		{"another version", Manifest{Tool: prev.Tool, Version: "2", Fleet: prev.Fleet, Profiles: prev.Profiles, Files: prev.Files}, false},
	} {
		// The previous bundle's folder is gone: only the shortcut can say
		// "the same".
		sink := &carryMemory{Memory: &Memory{}, dir: missing, prev: prev}
		if err := sink.putManifest(&c.m); err != nil {
			t.Fatal(err)
		}
		if sink.same != c.same {
			t.Errorf("%s: same = %v, want %v", c.name, sink.same, c.same)
		}
	}
}

// TestSurveyOfABundleSwappedSince checks that Update does not take a survey
// of a bundle that another build has replaced since: the survey is up to a
// compile's time old, and carrying by it would link the other build's files
// under this one's manifest.
func TestSurveyOfABundleSwappedSince(t *testing.T) {
	f := newAB(t)
	profiles, list, out := f.profiles, f.list, f.out
	other := []*model.Profile{{Name: "a", Description: "first"}, {Name: "b", Description: "another build's"}}
	if _, err := Update(context.Background(), out, profiles, list, Options{}); err != nil {
		t.Fatal(err)
	}
	s := StartSurvey(out, "")
	<-s.done
	// Another build, of other intent, swaps its bundle in meanwhile.
	if _, err := Update(context.Background(), out, other, list, Options{}); err != nil {
		t.Fatal(err)
	}
	r, err := Update(context.Background(), out, profiles, list, Options{Survey: s})
	if err != nil {
		t.Fatal(err)
	}
	if r.Unchanged || r.Rendered != 1 {
		t.Errorf("Unchanged = %v, %d profiles rendered; want b rendered again", r.Unchanged, r.Rendered)
	}
	if d := diffTrees(t, f.want, out); d != "" {
		t.Errorf("the bundle is not a full build's: %s", d)
	}
}

// TestManifestChecksumCatchesHandEdits checks that a manifest edited by hand
// (or a merge conflict resolved in it) carries nothing over: with an entry
// taken out, a build used to carry the profile without that file, and a
// rebuild then reported success with the file gone. The same manifest only
// laid out otherwise is still read.
func TestManifestChecksumCatchesHandEdits(t *testing.T) {
	f := newAB(t)
	edit := func(f func(m *Manifest)) func([]byte) []byte {
		return func(data []byte) []byte {
			var m Manifest
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			f(&m)
			out, err := json.MarshalIndent(&m, "", "  ") // the old checksum kept
			if err != nil {
				t.Fatal(err)
			}
			return append(out, '\n')
		}
	}
	for _, c := range []struct {
		name   string
		change func([]byte) []byte
		read   bool
	}{
		{"an entry taken out", edit(func(m *Manifest) { m.Files = slices.Delete(m.Files, 1, 2) }), false},
		{"a size changed", edit(func(m *Manifest) { m.Files[1].Size++ }), false},
		{"a profile's digest changed", edit(func(m *Manifest) { m.Profiles[0].Digest = "sha256:0" }), false},
		{"the checksum taken out", edit(func(m *Manifest) { m.Checksum = "" }), false},
		{"laid out with tabs", func(data []byte) []byte {
			var out bytes.Buffer
			if err := json.Indent(&out, data, "", "\t"); err != nil {
				t.Fatal(err)
			}
			return out.Bytes()
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(f.dir, "out")
			if _, err := Update(context.Background(), out, f.profiles, f.list, Options{}); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(out, ManifestPath))
			if err != nil {
				t.Fatal(err)
			}
			write(t, out, ManifestPath, string(c.change(data)))
			if pv := readPrevious(out, reading{}); (pv != nil) != c.read {
				t.Fatalf("read = %v, want %v", pv != nil, c.read)
			}
			r, err := Update(context.Background(), out, f.profiles, f.list, Options{Survey: StartSurvey(out, "")})
			if err != nil {
				t.Fatal(err)
			}
			if !c.read && r.Carried != 0 {
				t.Errorf("%d profiles carried over from an edited manifest", r.Carried)
			}
			if d := diffTrees(t, f.want, out); d != "" {
				t.Errorf("the bundle is not a full build's: %s", d)
			}
		})
	}
}

// TestManifestChecksumIsOfItsBytes checks the checksum as anyone can: the
// SHA-256 of the file's bytes up to the bracket that closes "files".
func TestManifestChecksumIsOfItsBytes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Update(context.Background(), out, []*model.Profile{{Name: "a"}}, []emitters.Emitter{twoFiles{}}, Options{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, ManifestPath))
	if err != nil {
		t.Fatal(err)
	}
	const member = ",\n  \"checksum\": \"sha256:"
	i := bytes.LastIndex(data, []byte(member))
	if i < 0 {
		t.Fatalf("no checksum member:\n%s", data)
	}
	sum := sha256.Sum256(data[:i])
	if want := string(data[i:]); want != member+hex.EncodeToString(sum[:])+"\"\n}\n" {
		t.Fatalf("the file ends %q; its bytes before hash to %x", want, sum)
	}
}

// TestPartialBuildKeepsNothingOfAManifestItCannotRead checks that build -p
// over a bundle whose manifest is not read (a checksum that does not match:
// edited by hand, or written before the manifest had one) stops rather than
// writing a bundle of the named profiles only: the other profiles would be
// gone, with success reported.
func TestPartialBuildKeepsNothingOfAManifestItCannotRead(t *testing.T) {
	profiles := []*model.Profile{{Name: "a", Description: "first"}, {Name: "b", Description: "second"}}
	list := []emitters.Emitter{twoFiles{}}
	for _, c := range []struct {
		name   string
		change func(data []byte) []byte
	}{
		{"an entry taken out", func(data []byte) []byte {
			var m Manifest
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			m.Files = slices.Delete(m.Files, 1, 2)
			out, err := json.MarshalIndent(&m, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			return append(out, '\n')
		}},
		{"no checksum (written before it had one)", func(data []byte) []byte {
			i := bytes.LastIndex(data, []byte(",\n  \"checksum\": "))
			return append(data[:i:i], "\n}\n"...)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			if _, err := Update(context.Background(), out, profiles, list, Options{}); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(out, ManifestPath))
			if err != nil {
				t.Fatal(err)
			}
			write(t, out, ManifestPath, string(c.change(data)))
			r, err := Update(context.Background(), out, profiles[:1], list, Options{Partial: true})
			if err == nil {
				t.Errorf("build -p a succeeded (%d kept); want an error", r.Kept)
			}
			if _, serr := os.Stat(filepath.Join(out, "b", "top.txt")); serr != nil {
				t.Errorf("profile b is gone after build -p a: %v", serr)
			}
		})
	}
}

// TestCheckSummaryOfAManifestWithoutChecksum checks --check's summary of a
// committed bundle whose manifest has no checksum (written before it had
// one) or a wrong one: the summary needs only the names of the profiles the
// manifest lists, which it lists whatever its checksum. A profile changed is
// "changed", not "added", and one gone from the intent is "removed", not
// left out.
func TestCheckSummaryOfAManifestWithoutChecksum(t *testing.T) {
	list := []emitters.Emitter{twoFiles{}}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Update(context.Background(), out, []*model.Profile{{Name: "a", Description: "first"}, {Name: "b", Description: "second"}}, list, Options{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, ManifestPath))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(data, []byte(",\n  \"checksum\": "))
	write(t, out, ManifestPath, string(data[:i])+"\n}\n")
	r, err := CheckReport(out, []*model.Profile{{Name: "a", Description: "edited"}}, list)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range r.Profiles {
		got[p.Name] = p.Change
	}
	if want := map[string]string{"a": "changed", "b": "removed"}; !maps.Equal(got, want) {
		t.Errorf("summary %v, want %v", got, want)
	}
}

// abFixture is the bundle most incremental tests work on: profiles a and b,
// rendered by twoFiles, in the temporary folder dir, with want a full build
// of them to compare with, out the bundle the test builds, and books a
// stamp book folder.
type abFixture struct {
	profiles              []*model.Profile
	list                  []emitters.Emitter
	dir, want, out, books string
}

func newAB(t *testing.T) *abFixture {
	t.Helper()
	dir := t.TempDir()
	f := &abFixture{
		profiles: []*model.Profile{{Name: "a", Description: "first"}, {Name: "b", Description: "second"}},
		list:     []emitters.Emitter{twoFiles{}},
		dir:      dir,
		want:     filepath.Join(dir, "want"),
		out:      filepath.Join(dir, "out"),
		books:    filepath.Join(dir, "books"),
	}
	if _, err := Update(context.Background(), f.want, f.profiles, f.list, Options{Full: true}); err != nil {
		t.Fatal(err)
	}
	return f
}

// rebuild builds out again with opt and checks that the build wrote nothing
// exactly when unchanged is set, and that out is then what a full build
// writes.
func (f *abFixture) rebuild(t *testing.T, opt Options, unchanged bool) {
	t.Helper()
	r, err := Update(context.Background(), f.out, f.profiles, f.list, opt)
	if err != nil {
		t.Fatal(err)
	}
	if r.Unchanged != unchanged {
		t.Errorf("Unchanged = %v, want %v", r.Unchanged, unchanged)
	}
	if d := diffTrees(t, f.want, f.out); d != "" {
		t.Errorf("the bundle is not a full build's: %s", d)
	}
}

// TestFleetListingOnlyForTheSameFiles checks that a survey's listing of
// proxy/ is taken only for the very files the manifest read lists there: a
// listing taken against fewer (a manifest whose proxy/ entries came in two
// runs) says nothing of the others.
func TestFleetListingOnlyForTheSameFiles(t *testing.T) {
	f := newAB(t)
	if _, err := Update(context.Background(), f.out, f.profiles, f.list, Options{}); err != nil {
		t.Fatal(err)
	}
	pv := readPrevious(f.out, reading{})
	if pv == nil || len(pv.fleet) == 0 {
		t.Fatal("no previous bundle with proxy/ files")
	}
	listedRun := slices.Clone(pv.fleet)
	pv.fleet = append(slices.Clone(pv.fleet), ManifestEntry{Path: "proxy/missing.txt", Target: "proxy", Size: 1})
	pv.adopt([][]runListing{{{top: "proxy", run: listedRun, listing: listing{intact: true, exact: true}}}})
	if in, _ := pv.fleetIntact(); in {
		t.Fatal("proxy/ taken as intact by a listing of fewer files than the manifest lists")
	}
	pv.fleet = listedRun
	pv.adopt([][]runListing{{{top: "proxy", run: listedRun, listing: listing{intact: true, exact: true}}}})
	if in, ex := pv.fleetIntact(); !in || !ex {
		t.Fatalf("proxy/ listed against its very files: intact %v, exact %v", in, ex)
	}
}

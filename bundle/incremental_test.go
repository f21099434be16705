package bundle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/bundle/internal/bundletest"
	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// spoilCase is a way to make a bundle other than a build would write it.
type spoilCase struct {
	name  string
	spoil func(t *testing.T, out string)
}

// spoilCases returns the ways TestUpToDateMeansExactly spoils a bundle of
// profiles a and b written with bundletest.TwoFiles; the first spoils nothing.
func spoilCases() []spoilCase {
	return []spoilCase{
		{"nothing", func(*testing.T, string) {}},
		{"a stray file in a profile's subfolder", func(t *testing.T, out string) { bundletest.Write(t, out, "a/sub/stray.txt", "x") }},
		{"an empty folder in a profile", func(t *testing.T, out string) { mkdir(t, out, "a/sub/deep/empty") }},
		{"an empty folder at the root", func(t *testing.T, out string) { mkdir(t, out, "empty") }},
		{"a stray file at the root", func(t *testing.T, out string) { bundletest.Write(t, out, "stray.txt", "x") }},
		{"a stray file in proxy/", func(t *testing.T, out string) { bundletest.Write(t, out, "proxy/stray.txt", "x") }},
		{"a file of another size", func(t *testing.T, out string) {
			bundletest.Write(t, out, "b/sub/deep/leaf.txt", "longer than it was\n")
		}},
		{"a fleet file of another size", func(t *testing.T, out string) { bundletest.Write(t, out, "proxy/all.txt", "x") }},
		{"a missing file", func(t *testing.T, out string) { bundletest.Remove(t, out, "a/top.txt") }},
		{"a file grown in place", func(t *testing.T, out string) {
			// Its folder's entries are as they were: only the file
			// itself can tell.
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
			bundletest.Remove(t, out, "b/sub/deep/leaf.txt")
			bundletest.Remove(t, out, "b/sub/deep")
			if err := os.Symlink(filepath.Join(out, "a", "sub", "deep"), filepath.Join(out, "b", "sub", "deep")); err != nil {
				t.Fatal(err)
			}
		}},
		{"a folder replaced by a symlink to a copy of it", func(t *testing.T, out string) {
			// The same bytes, reached through a symlink: what a build
			// links through it is a file outside the bundle.
			outside := filepath.Join(filepath.Dir(out), "copy-of-b-sub")
			os.RemoveAll(outside)
			bundletest.Write(t, outside, "deep/leaf.txt", "second\n")
			bundletest.Remove(t, out, "b/sub/deep/leaf.txt")
			bundletest.Remove(t, out, "b/sub/deep")
			bundletest.Remove(t, out, "b/sub")
			if err := os.Symlink(outside, filepath.Join(out, "b", "sub")); err != nil {
				t.Fatal(err)
			}
		}},
		{"an index edited to the same size", func(t *testing.T, out string) {
			data, err := os.ReadFile(filepath.Join(out, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			bundletest.Write(t, out, "README.md", string(bytes.ToUpper(data)))
		}},
		{"a file edited to the same size", func(t *testing.T, out string) { bundletest.Write(t, out, "b/sub/deep/leaf.txt", "SECOND\n") }},
		{"a fleet file edited to the same size", func(t *testing.T, out string) {
			data, err := os.ReadFile(filepath.Join(out, "proxy", "all.txt"))
			if err != nil {
				t.Fatal(err)
			}
			bundletest.Write(t, out, "proxy/all.txt", strings.ToUpper(string(data)))
		}},
		{"a file edited in place to the same size", func(t *testing.T, out string) {
			// The same inode, the same size: only the bytes tell.
			f, err := os.OpenFile(filepath.Join(out, "a", "top.txt"), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt([]byte("P"), 0); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}},
		{"a file made 0666", func(t *testing.T, out string) { chmod(t, out, "a/top.txt", 0o666) }},
		{"a file made setuid", func(t *testing.T, out string) { chmod(t, out, "a/top.txt", 0o644|os.ModeSetuid) }},
		{"a file made executable", func(t *testing.T, out string) { chmod(t, out, "proxy/all.txt", 0o755) }},
		{"a folder made 0777", func(t *testing.T, out string) { chmod(t, out, "a/sub", 0o777|os.ModeDir) }},
		{"a file hard-linked to one outside the bundle", func(t *testing.T, out string) {
			outside := filepath.Join(filepath.Dir(out), "outside.txt")
			os.Remove(outside)
			if err := os.Link(filepath.Join(out, "a", "top.txt"), outside); err != nil {
				t.Fatal(err)
			}
		}},
		{"a file replaced by a symlink to the same bytes", func(t *testing.T, out string) {
			data, err := os.ReadFile(filepath.Join(out, "a", "top.txt"))
			if err != nil {
				t.Fatal(err)
			}
			outside := filepath.Join(filepath.Dir(out), "same.txt")
			if err := os.WriteFile(outside, data, 0o644); err != nil {
				t.Fatal(err)
			}
			bundletest.Remove(t, out, "a/top.txt")
			if err := os.Symlink(outside, filepath.Join(out, "a", "top.txt")); err != nil {
				t.Fatal(err)
			}
		}},
		{"a manifest with one more space", func(t *testing.T, out string) {
			data, err := os.ReadFile(filepath.Join(out, manifest.Path))
			if err != nil {
				t.Fatal(err)
			}
			bundletest.Write(t, out, manifest.Path, string(data)+" ")
		}},
		{"a manifest in another JSON layout", func(t *testing.T, out string) {
			data, err := os.ReadFile(filepath.Join(out, manifest.Path))
			if err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, data); err != nil {
				t.Fatal(err)
			}
			bundletest.Write(t, out, manifest.Path, compact.String())
		}},
	}
}

// TestUpToDateMeansExactly: a rebuild with nothing changed writes nothing only
// when the bundle is exactly what a full build writes. Each difference makes
// the build write the bundle again, and the result is a full build's. The
// same holds with the manifest read ahead before the bundle is spoiled, as
// build reads it while the fleet compiles (ReadAhead).
func TestUpToDateMeansExactly(t *testing.T) {
	f := newAB(t)
	for _, readAhead := range []bool{false, true} {
		for _, c := range spoilCases() {
			t.Run(fmt.Sprintf("%s/read ahead=%v", c.name, readAhead), func(t *testing.T) {
				if _, err := Update(context.Background(), f.out, f.profiles, f.list, Options{}); err != nil {
					t.Fatal(err)
				}
				var opt Options
				if readAhead {
					opt.Ahead = ReadAhead(f.out, Options{})
				}
				c.spoil(t, f.out)
				f.rebuild(t, opt, c.name == "nothing")
			})
		}
	}
}

// TestCarriedFilesAreCheckedWhenAnotherProfileChanges: a build that writes a
// new bundle anyway (profile c changed) checks what it carries over of the
// profiles that did not change by their listed files only (filesCheck, not
// folderCheck), and must still carry nothing spoiled: the result is a full
// build's whatever was done to a and b.
func TestCarriedFilesAreCheckedWhenAnotherProfileChanges(t *testing.T) {
	f := newAB(t)
	before := append(f.profiles, &model.Profile{Name: "c", Description: "third"})
	f.profiles = append(f.profiles[:2:2], &model.Profile{Name: "c", Description: "third, edited"})
	if _, err := Update(context.Background(), f.want, f.profiles, f.list, Options{Full: true}); err != nil {
		t.Fatal(err)
	}
	spoiled := 0
	for _, c := range spoilCases() {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Update(context.Background(), f.out, before, f.list, Options{}); err != nil {
				t.Fatal(err)
			}
			c.spoil(t, f.out)
			r, err := Update(context.Background(), f.out, f.profiles, f.list, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if d := diffTrees(t, f.want, f.out); d != "" {
				t.Errorf("the bundle is not a full build's: %s", d)
			}
			if r.Rendered < 1 || r.Rendered+r.Carried != 3 {
				t.Errorf("rendered %d, carried %d of 3 profiles, c among the rendered", r.Rendered, r.Carried)
			}
			if r.Rendered > 1 {
				spoiled++
			}
		})
	}
	// The cases that spoil a file of a or b must have made it rendered
	// again: without the check, this count would be 0 and the trees
	// above would differ.
	if spoiled < 8 {
		t.Errorf("only %d spoil cases had a or b rendered again", spoiled)
	}
}

func chmod(t *testing.T, root, rel string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(filepath.Join(root, filepath.FromSlash(rel)), mode); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, root, rel string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(rel)), 0o755); err != nil {
		t.Fatal(err)
	}
}

// diffTrees names the first difference between two folders: a path in one
// only, of another type, mode or link count, or with other bytes.
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
				out[rel] = "folder " + info.Mode().String()
			default:
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				// A build's file is linked nowhere else once the
				// previous bundle is gone.
				n, _ := outdir.LinkCount(info)
				out[rel] = fmt.Sprintf("%v %d links\n%s", info.Mode(), n, data)
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

// TestAssembleIsASort: assemble orders any list of blocks as a plain sort by
// path does, including names that are prefixes of one another ("a", "a-b",
// "a.b") and runs split or repeated, and leaves the blocks as they were.
func TestAssembleIsASort(t *testing.T) {
	tops := []string{"a", "a-b", "a.b", "ab", "README.md", "manifest.json", "proxy", "b", "a0"}
	rests := []string{"", "README.md", "windows/x.reg", "windows/intune/a.json", "linux/mdatp.json", "z"}
	x := uint32(7)
	next := func(n int) int { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return int(x % uint32(n)) }
	for round := range 500 {
		var in []manifest.Entry
		for range next(40) {
			top, rest := tops[next(len(tops))], rests[next(len(rests))]
			p := top
			if rest != "" {
				p += "/" + rest
			}
			// Runs as a build makes them: a profile's entries together, often.
			for range 1 + next(3) {
				in = append(in, manifest.Entry{Path: p, Size: round})
			}
		}
		want := slices.Clone(in)
		slices.SortStableFunc(want, func(a, b manifest.Entry) int { return strings.Compare(a.Path, b.Path) })
		// Split into blocks as a build hands them over, at random places.
		var blocks [][]manifest.Entry
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
			same = slices.CompactFunc(same, func(a, b manifest.Entry) bool { return a.Path == b.Path })
			var own [][]manifest.Entry
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

// twiceFleet is a fleet emitter with a bug: its two parts write one path.
type twiceFleet struct{ bundletest.TwoFiles }

func (twiceFleet) EmitFleet([]*model.Profile) (emitters.FleetFiles, error) {
	return emitters.FleetFiles{Parts: 2, Part: func(i int) []emitters.File {
		return []emitters.File{{Path: "proxy/same.txt", Data: []byte{byte('0' + i)}}}
	}}, nil
}

// TestAFileWrittenTwiceFailsTheBuild: an emitter that writes one path twice
// fails the build, in memory (where nothing else would notice) as into a
// folder, and the bundle in out stays as it was.
func TestAFileWrittenTwiceFailsTheBuild(t *testing.T) {
	profiles := []*model.Profile{{Name: "a"}}
	list := []emitters.Emitter{twiceFleet{}}
	if _, err := Build(profiles, list, &Memory{}); err == nil || !strings.Contains(err.Error(), "proxy/same.txt") {
		t.Errorf("in memory: err = %v, want one naming proxy/same.txt", err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Update(context.Background(), out, profiles, []emitters.Emitter{bundletest.TwoFiles{}}, Options{}); err != nil {
		t.Fatal(err)
	}
	before := filepath.Join(t.TempDir(), "before")
	if err := os.CopyFS(before, os.DirFS(out)); err != nil {
		t.Fatal(err)
	}
	if _, err := Update(context.Background(), out, profiles, list, Options{Full: true}); err == nil {
		t.Error("into a folder: the build succeeded")
	}
	if d := diffTrees(t, before, out); d != "" {
		t.Errorf("the failed build changed out: %s", d)
	}
}

// TestFleetFilesFollowProfileOrder: the fleet-level files list profiles in the
// order they are given, so a build given the same profiles in another order
// writes proxy/ again and is not "up to date" (found by review: the fleet
// digest sorted the profiles, and proxy/ was carried in the old order).
func TestFleetFilesFollowProfileOrder(t *testing.T) {
	a, b := &model.Profile{Name: "a", Description: "A"}, &model.Profile{Name: "b", Description: "B"}
	list := []emitters.Emitter{bundletest.TwoFiles{}}
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

// TestPreviousManifestStaysInTheBundle: a manifest naming a path outside the
// bundle, or a profile's file outside its folder, is not read: nothing is
// carried over from it, and the check lists nothing outside the bundle.
func TestPreviousManifestStaysInTheBundle(t *testing.T) {
	list := []emitters.Emitter{bundletest.TwoFiles{}}
	profiles := []*model.Profile{{Name: "a", Description: "A"}, {Name: "b", Description: "B"}}
	for name, entry := range map[string]manifest.Entry{
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
			bundletest.Write(t, out, manifest.Path, string(data))
			if pv := readPrevious(out, true); pv != nil {
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

// TestManifestChecksumCatchesHandEdits checks that a manifest edited by hand
// (or a merge conflict resolved in it) carries nothing over: with an entry
// taken out, a build used to carry the profile without that file, and a
// rebuild then reported success with the file gone. The same manifest only
// laid out otherwise is still read.
func TestManifestChecksumCatchesHandEdits(t *testing.T) {
	f := newAB(t)
	edit := func(f func(m *manifest.Manifest)) func([]byte) []byte {
		return func(data []byte) []byte {
			var m manifest.Manifest
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
		{"an entry taken out", edit(func(m *manifest.Manifest) { m.Files = slices.Delete(m.Files, 1, 2) }), false},
		{"a size changed", edit(func(m *manifest.Manifest) { m.Files[1].Size++ }), false},
		{"a profile's digest changed", edit(func(m *manifest.Manifest) { m.Profiles[0].Digest = "sha256:0" }), false},
		{"the checksum taken out", edit(func(m *manifest.Manifest) { m.Checksum = "" }), false},
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
			data, err := os.ReadFile(filepath.Join(out, manifest.Path))
			if err != nil {
				t.Fatal(err)
			}
			bundletest.Write(t, out, manifest.Path, string(c.change(data)))
			if pv := readPrevious(out, true); (pv != nil) != c.read {
				t.Fatalf("read = %v, want %v", pv != nil, c.read)
			}
			r, err := Update(context.Background(), out, f.profiles, f.list, Options{})
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
	if _, err := Update(context.Background(), out, []*model.Profile{{Name: "a"}}, []emitters.Emitter{bundletest.TwoFiles{}}, Options{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, manifest.Path))
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
	list := []emitters.Emitter{bundletest.TwoFiles{}}
	for _, c := range []struct {
		name   string
		change func(data []byte) []byte
	}{
		{"an entry taken out", func(data []byte) []byte {
			var m manifest.Manifest
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
			data, err := os.ReadFile(filepath.Join(out, manifest.Path))
			if err != nil {
				t.Fatal(err)
			}
			bundletest.Write(t, out, manifest.Path, string(c.change(data)))
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

// abFixture is the bundle most incremental tests work on: profiles a and b,
// rendered by bundletest.TwoFiles, in the temporary folder dir, with want a full build
// of them to compare with, and out the bundle the test builds.
type abFixture struct {
	profiles       []*model.Profile
	list           []emitters.Emitter
	dir, want, out string
}

func newAB(t *testing.T) *abFixture {
	t.Helper()
	dir := t.TempDir()
	f := &abFixture{
		profiles: []*model.Profile{{Name: "a", Description: "first"}, {Name: "b", Description: "second"}},
		list:     []emitters.Emitter{bundletest.TwoFiles{}},
		dir:      dir,
		want:     filepath.Join(dir, "want"),
		out:      filepath.Join(dir, "out"),
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

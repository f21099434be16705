package bundle

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// trustTempFileSystem makes the file system of dir one whose change times a
// stamp book trusts, for the test (CI may keep its temporary folders on
// overlayfs).
func trustTempFileSystem(t *testing.T, dir string) {
	t.Helper()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	typ := int64(fs.Type)
	if ctimeFileSystems[typ] {
		return
	}
	ctimeFileSystems[typ] = true
	t.Cleanup(func() { delete(ctimeFileSystems, typ) })
}

// TestStampsTrustOnlyUnchangedFolders checks that a survey with a stamp book
// checks the folders the book holds unchanged by their stamps, without
// listing them, and that every way of spoiling the bundle still makes the
// build write it again, ending as a full build's.
func TestStampsTrustOnlyUnchangedFolders(t *testing.T) {
	f := newAB(t)
	trustTempFileSystem(t, f.dir)
	for _, c := range spoilCases() {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Update(context.Background(), f.out, f.profiles, f.list, Options{Stamps: f.books}); err != nil {
				t.Fatal(err)
			}
			// A folder changed within the clock tick of a look keeps its
			// change time: a book takes only folders a tick older.
			time.Sleep(30 * time.Millisecond)
			if _, err := Update(context.Background(), f.out, f.profiles, f.list, Options{Survey: StartSurvey(f.out, f.books), Stamps: f.books}); err != nil {
				t.Fatal(err)
			}
			s := StartSurvey(f.out, f.books)
			r, err := Update(context.Background(), f.out, f.profiles, f.list, Options{Survey: s, Stamps: f.books})
			if err != nil {
				t.Fatal(err)
			}
			// a, b and proxy/.
			if !r.Unchanged || s.trusted != 3 {
				t.Fatalf("with the book kept: Unchanged = %v, %d folders checked by their stamps; want true, 3", r.Unchanged, s.trusted)
			}
			c.spoil(t, f.out)
			f.rebuild(t, Options{Survey: StartSurvey(f.out, f.books), Stamps: f.books}, c.name == "nothing")
		})
	}
}

// TestBuildPrimesStamps checks that a build keeps the stamps of the folders
// it wrote a clock tick or more before its swap, so that the next build's
// survey lists none of them, and still sees a stray file added after.
func TestBuildPrimesStamps(t *testing.T) {
	profiles := []*model.Profile{{Name: "a"}, {Name: "b"}}
	list := []emitters.Emitter{twoFiles{}}
	dir := t.TempDir()
	trustTempFileSystem(t, dir)
	books := filepath.Join(dir, "books")
	out := filepath.Join(dir, "out")
	clock := stampClock
	for _, swappedLate := range []bool{false, true} {
		if swappedLate {
			// A build long enough for its folders to be a tick older
			// than its swap.
			stampClock = func() int64 { return clock() + int64(time.Second) }
		}
		if _, err := Update(context.Background(), out, profiles, list, Options{Full: true, Stamps: books}); err != nil {
			t.Fatal(err)
		}
		stampClock = clock
		s := StartSurvey(out, books)
		r, err := Update(context.Background(), out, profiles, list, Options{Survey: s, Stamps: books})
		if err != nil {
			t.Fatal(err)
		}
		// Without the late swap the folders were written within a tick or
		// so of the swap's reading, and may be listed; after it, none is.
		if !r.Unchanged || swappedLate && s.trusted != 3 {
			t.Fatalf("swapped late %v: Unchanged = %v, %d folders checked by their stamps; want true, 3 after a late swap", swappedLate, r.Unchanged, s.trusted)
		}
	}
	write(t, out, "a/sub/stray.txt", "x")
	r, err := Update(context.Background(), out, profiles, list, Options{Survey: StartSurvey(out, books), Stamps: books})
	if err != nil {
		t.Fatal(err)
	}
	if r.Unchanged {
		t.Fatal("a stray file after a primed build: the bundle was taken as up to date")
	}
}

// TestRecordTakesOnlySettledFolders checks the guard against a change made
// within the clock tick of a look: a folder whose change time is not before
// the reading gets no stamp.
func TestRecordTakesOnlySettledFolders(t *testing.T) {
	dir := t.TempDir()
	trustTempFileSystem(t, dir)
	write(t, dir, ManifestPath, "{}")
	mkdir(t, dir, "a/b")
	root := openStampRoot(dir)
	if root == nil {
		t.Fatal("openStampRoot: nil")
	}
	defer root.close()
	s, ok := root.folder("a")
	if !ok {
		t.Fatal("folder a: not a folder")
	}
	if got := root.record([]string{"a"}, s.ctime); len(got) != 0 {
		t.Errorf("read at the folder's own change time: stamped %v", got)
	}
	if got := root.record([]string{"a"}, s.ctime+1); got["a"] != s {
		t.Errorf("read a nanosecond later: stamped %v, want %v", got, s)
	}
}

// TestPartialBuildKeepsProfilesOfAManifestReplacedDuringTheSurvey checks
// that a survey that finds the manifest replaced while it read it (another
// build's swap, a checkout) makes the build read the bundle again, not take
// it for no bundle at all: a partial build would then keep none of the
// profiles it does not build, and write a bundle of the selected ones only.
func TestPartialBuildKeepsProfilesOfAManifestReplacedDuringTheSurvey(t *testing.T) {
	f := newAB(t)
	trustTempFileSystem(t, f.dir)
	if _, err := Update(context.Background(), f.out, f.profiles, f.list, Options{}); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(f.out, ManifestPath)
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	// The survey reads the clock before it lists a folder: the manifest is
	// replaced, by one of the same bytes, while the survey runs.
	clock := stampClock
	var once sync.Once
	stampClock = func() int64 {
		once.Do(func() {
			tmp := manifest + ".new"
			if err := os.WriteFile(tmp, data, 0o644); err != nil {
				panic(err)
			}
			if err := os.Rename(tmp, manifest); err != nil {
				panic(err)
			}
		})
		return clock()
	}
	s := StartSurvey(f.out, f.books)
	<-s.done
	stampClock = clock
	r, err := Update(context.Background(), f.out, f.profiles[:1], f.list, Options{Partial: true, Survey: s, Stamps: f.books})
	if err != nil {
		t.Fatal(err)
	}
	if r.Kept != 1 {
		t.Errorf("build -p a kept %d profiles, want 1 (b)", r.Kept)
	}
	if _, err := os.Stat(filepath.Join(f.out, "b", "top.txt")); err != nil {
		t.Errorf("build -p a dropped profile b: %v", err)
	}
}

// TestStampsOfAProfileFolderDoNotVouchForAFleetEntry checks a manifest
// edited by hand to list, besides profile a's own entry for a/top.txt, a
// fleet-level entry for the same file: a listing of folder a against the
// fleet entries finds a's other files there, so the bundle is not what a
// full build writes. The stamp of folder a, found exact against a's own
// entries, must not vouch for the fleet-level run in the same folder.
func TestStampsOfAProfileFolderDoNotVouchForAFleetEntry(t *testing.T) {
	f := newAB(t)
	trustTempFileSystem(t, f.dir)
	r, err := Update(context.Background(), f.out, f.profiles, f.list, Options{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	m := r.Manifest
	var files []ManifestEntry
	for _, e := range m.Files {
		files = append(files, e)
		if e.Path == "a/top.txt" {
			e.Profile = ""
			files = append(files, e)
		}
	}
	m.Files = files
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	write(t, f.out, ManifestPath, string(data))
	// Folder a a tick older than the survey's look: it gets a stamp.
	time.Sleep(30 * time.Millisecond)
	for i := range 3 {
		r, err := Update(context.Background(), f.out, f.profiles, f.list, Options{Survey: StartSurvey(f.out, f.books), Stamps: f.books})
		if err != nil {
			t.Errorf("build %d: %v", i+1, err)
			continue
		}
		if d := diffTrees(t, f.want, f.out); d != "" {
			t.Fatalf("build %d (Unchanged = %v): the bundle is not a full build's: %s", i+1, r.Unchanged, d)
		}
	}
}

// TestSurveyNoticesTheBundleReplaced checks a bundle folder replaced while
// a survey with a stamp book runs (moved aside, and a copy of it with a
// stray file put in its place): the book's stamps are of the folder the
// survey opened, now elsewhere, and must not vouch for the one the build
// replaces.
func TestSurveyNoticesTheBundleReplaced(t *testing.T) {
	f := newAB(t)
	trustTempFileSystem(t, f.dir)
	if _, err := Update(context.Background(), f.out, f.profiles, f.list, Options{Full: true, Stamps: f.books}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	if r, err := Update(context.Background(), f.out, f.profiles, f.list, Options{Survey: StartSurvey(f.out, f.books), Stamps: f.books}); err != nil || !r.Unchanged {
		t.Fatalf("a rebuild with nothing changed: %v", err)
	}
	// b's folder changes and changes back: the survey lists it, and the
	// bundle is replaced as it does.
	write(t, f.out, "b/x", "x")
	remove(t, f.out, "b/x")
	dirty := filepath.Join(f.dir, "dirty")
	copyTree(t, f.out, dirty)
	write(t, dirty, "a/sub/stray.txt", "x")
	clock := stampClock
	var once sync.Once
	stampClock = func() int64 {
		once.Do(func() {
			if err := os.Rename(f.out, f.out+".old"); err != nil {
				panic(err)
			}
			if err := os.Rename(dirty, f.out); err != nil {
				panic(err)
			}
		})
		return clock()
	}
	s := StartSurvey(f.out, f.books)
	<-s.done
	stampClock = clock
	r, err := Update(context.Background(), f.out, f.profiles, f.list, Options{Survey: s, Stamps: f.books})
	if err != nil {
		t.Fatal(err)
	}
	if d := diffTrees(t, f.want, f.out); d != "" {
		t.Fatalf("Unchanged = %v: the bundle is not a full build's: %s", r.Unchanged, d)
	}
}

// copyTree copies the folder from to to, file by file.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPrimingNoticesTheManifestReplaced checks a manifest replaced just
// after a build's swap, by one that no longer lists b's file in b/sub: the
// stamps the build keeps are of the folders as it wrote them, for its own
// manifest, and must not be kept for the other one, where they would vouch
// for folder b holding nothing but b/top.txt.
func TestPrimingNoticesTheManifestReplaced(t *testing.T) {
	f := newAB(t)
	trustTempFileSystem(t, f.dir)
	clock := stampClock
	// A build long enough for its folders to be a tick older than its swap.
	stampClock = func() int64 { return clock() + int64(time.Second) }
	afterSwap = func() {
		pv := readPrevious(f.out, reading{})
		if pv == nil {
			panic("no manifest after the swap")
		}
		m := pv.manifest
		m.Files = slices.DeleteFunc(slices.Clone(m.Files), func(e ManifestEntry) bool { return e.Path == "b/sub/deep/leaf.txt" })
		data, err := m.Encode()
		if err != nil {
			panic(err)
		}
		tmp := filepath.Join(f.out, ManifestPath+".new")
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			panic(err)
		}
		if err := os.Rename(tmp, filepath.Join(f.out, ManifestPath)); err != nil {
			panic(err)
		}
	}
	_, err := Update(context.Background(), f.out, f.profiles, f.list, Options{Full: true, Stamps: f.books})
	stampClock, afterSwap = clock, func() {}
	if err != nil {
		t.Fatal(err)
	}
	// (Not compared with a full build: a profile whose manifest entries
	// were edited down is carried over with the fewer files, stamps or not.)
	r, err := Update(context.Background(), f.out, f.profiles, f.list, Options{Survey: StartSurvey(f.out, f.books), Stamps: f.books})
	if err != nil {
		t.Fatal(err)
	}
	if r.Unchanged {
		t.Fatal("a bundle holding a file its manifest does not list was taken as up to date")
	}
}

// TestStampBookDoesNotVouchForAManifestEditedSince checks the shortcut that
// skips the checksum of a manifest a stamp book was kept for: a manifest
// edited by hand after the book was kept, replaced or rewritten in place
// with its modification time set back, is checked, and nothing is carried
// over from it.
func TestStampBookDoesNotVouchForAManifestEditedSince(t *testing.T) {
	profiles := []*model.Profile{{Name: "a", Description: "first"}, {Name: "b", Description: "second"}}
	list := []emitters.Emitter{twoFiles{}}
	for _, inPlace := range []bool{false, true} {
		dir := t.TempDir()
		trustTempFileSystem(t, dir)
		books := filepath.Join(dir, "books")
		out := filepath.Join(dir, "out")
		if _, err := Update(context.Background(), out, profiles, list, Options{Stamps: books}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond)
		if _, err := Update(context.Background(), out, profiles, list, Options{Survey: StartSurvey(out, books), Stamps: books}); err != nil {
			t.Fatal(err)
		}
		s := StartSurvey(out, books)
		if r, err := Update(context.Background(), out, profiles, list, Options{Survey: s, Stamps: books}); err != nil || !r.Unchanged || s.trusted != 3 {
			t.Fatalf("the book is not used (%v): trusted %d", err, s.trusted)
		}
		manifest := filepath.Join(out, ManifestPath)
		before, err := os.Stat(manifest)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(manifest)
		if err != nil {
			t.Fatal(err)
		}
		var m Manifest
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		m.Files = slices.Delete(m.Files, 1, 2) // the old checksum kept
		edited, err := json.MarshalIndent(&m, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		edited = append(edited, '\n')
		if inPlace {
			if err := os.WriteFile(manifest, edited, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(manifest, before.ModTime(), before.ModTime()); err != nil {
				t.Fatal(err)
			}
		} else {
			write(t, out, ManifestPath, string(edited))
		}
		r, err := Update(context.Background(), out, profiles, list, Options{Survey: StartSurvey(out, books), Stamps: books})
		if err != nil {
			t.Fatal(err)
		}
		if r.Carried != 0 {
			t.Errorf("in place %v: %d profiles carried over from a manifest edited since its book was kept", inPlace, r.Carried)
		}
	}
}

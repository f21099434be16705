package bundle

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStampBookRoundTrip checks that a stamp book reads back as written, and
// that anything cut short or added to is no book at all.
func TestStampBookRoundTrip(t *testing.T) {
	b := &stampBook{
		root:     fileID{dev: 1, ino: 2},
		manifest: fileID{dev: 1, ino: 3, size: 4, ctime: 5, mtime: -6},
		folders:  map[string]stamp{"a": {7, 8}, "a/sub": {9, 10}, "proxy/10.0.0.1_3128": {11, 1<<62 + 12}},
	}
	data := b.encode()
	got, err := decodeStamps(data)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(b, got, cmp.AllowUnexported(stampBook{}, fileID{}, stamp{})); d != "" {
		t.Fatalf("read back (-written +read):\n%s", d)
	}
	for n := range len(data) {
		if _, err := decodeStamps(data[:n]); err == nil {
			t.Fatalf("the first %d of %d bytes read as a book", n, len(data))
		}
	}
	if _, err := decodeStamps(append(data, 0)); err == nil {
		t.Fatal("a book with a byte more read as a book")
	}
}

// TestRunFolders checks the folders a run of entries lies in: the top, then
// every folder on the way to an entry, parents first, each once.
func TestRunFolders(t *testing.T) {
	got := runFolders("a", []ManifestEntry{{Path: "a/x"}, {Path: "a/s/t/y"}, {Path: "a/s/z"}, {Path: "a/s.txt"}})
	want := []string{"a", "a/s", "a/s/t"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

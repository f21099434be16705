// Package golden compares test output with golden files, and rewrites them
// when MDEPROXYC_UPDATE_GOLDEN=1 is set: one update mechanism for every golden
// file and generated document of the project, whatever package checks it.
//
//	MDEPROXYC_UPDATE_GOLDEN=1 go test ./...   # then read `git diff` before committing
//
// A failing comparison prints one bounded diff per differing file, so one
// changed value cannot bury the report under the whole bundle.
package golden

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/diff"
)

// Env is the environment variable that turns comparison into rewriting.
const Env = "MDEPROXYC_UPDATE_GOLDEN"

// MaxDiffLines bounds the diff printed for one differing file.
const MaxDiffLines = 40

// Updating reports whether this run rewrites golden files.
func Updating() bool { return os.Getenv(Env) == "1" }

// Check compares got with the golden file at path, byte for byte (line ends
// and encodings are part of the contract). When updating, it writes got.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if Updating() {
		if err := write(path, got); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%s: %v (%s=1 go test ./... writes it)", path, err, Env)
		return
	}
	if !bytes.Equal(want, got) {
		if filepath.Base(path) == manifestName {
			t.Errorf("%s differs from the golden file:\n%s\n%s", path, Diff(path, want, got), manifestNote)
			return
		}
		t.Errorf("%s differs from the golden file (%s=1 go test ./... rewrites it):\n%s", path, Env, Diff(path, want, got))
	}
}

// manifestName is a bundle's manifest, whose golden copy records every
// profile's render digest and every file's hash.
const manifestName = "manifest.json"

// manifestNote is what a differing golden manifest says instead of offering
// to rewrite it: a changed digest means the files of some profile change,
// which another golden file shows, or an incremental build that carries a
// profile over would keep files a fresh build no longer writes.
const manifestNote = "A changed digest or hash in manifest.json is a change of behaviour: find the intent, emitter or version change that explains it " +
	"(the other golden files show which files change) and say so in the commit. Do not rewrite it (" + Env + "=1) only to make this test pass: " +
	"a digest that moved without its files, or files that moved without their digest, is an incremental-build bug."

// Tree compares files (slash-separated paths relative to root → bytes) with
// the folder root: each differing file gets one bounded diff, and a file
// missing from either side one line. When updating, root is made to hold
// exactly files.
func Tree(t testing.TB, root string, files map[string][]byte) {
	t.Helper()
	have := map[string]bool{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			have[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if Updating() {
		for rel := range have {
			if _, keep := files[rel]; !keep {
				os.Remove(filepath.Join(root, filepath.FromSlash(rel)))
			}
		}
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		Check(t, filepath.Join(root, filepath.FromSlash(p)), files[p])
	}
	if Updating() {
		return
	}
	var extra []string
	for rel := range have {
		if _, ok := files[rel]; !ok {
			extra = append(extra, rel)
		}
	}
	sort.Strings(extra)
	for _, rel := range extra {
		t.Errorf("golden file %s is no longer produced (%s=1 go test ./... removes it)", filepath.Join(root, rel), Env)
	}
}

// Diff shows how got differs from want: a unified diff of at most
// MaxDiffLines lines for text, and the first differing byte for anything else
// (UTF-16 files: their decoded goldens show the change as text).
func Diff(name string, want, got []byte) string {
	if !utf8.Valid(want) || !utf8.Valid(got) || bytes.IndexByte(want, 0) >= 0 || bytes.IndexByte(got, 0) >= 0 {
		i := 0
		for i < len(want) && i < len(got) && want[i] == got[i] {
			i++
		}
		return fmt.Sprintf("binary or UTF-16: %d bytes golden, %d bytes now; first difference at byte %d\n", len(want), len(got), i)
	}
	lines := strings.SplitAfter(string(diff.Diff("golden", want, "got", got)), "\n")
	if len(lines) > MaxDiffLines {
		more := len(lines) - MaxDiffLines
		lines = append(lines[:MaxDiffLines], fmt.Sprintf("… %d more diff lines\n", more))
	}
	var b strings.Builder
	for _, l := range lines {
		// Base64 script bodies make single lines of tens of kilobytes.
		if len(l) > 300 {
			l = l[:300] + fmt.Sprintf("… (%d more bytes)\n", len(l)-300)
		}
		b.WriteString(l)
	}
	return b.String()
}

// write replaces path atomically, creating its folder and keeping its mode.
func write(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".golden-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm() // an executable golden stays executable
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

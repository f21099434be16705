package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIncrementalEqualsFull checks incremental builds by behaviour, not by
// the golden manifest's hashes: after each kind of partial build (-t, an
// intent edit, -p) the bundle is, file for file, byte for byte and mode for
// mode, what a fresh build of the same command line writes into an empty
// folder. (A digest that left out something a file depends on would carry
// a stale file over; only this comparison notices.)
func TestIncrementalEqualsFull(t *testing.T) {
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet")
	if err := copyDir("../../examples/contoso", fleet); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "dist")
	n := 0
	fresh := func(args ...string) string {
		t.Helper()
		n++
		dst := filepath.Join(dir, fmt.Sprintf("fresh-%d", n))
		build(t, append([]string{fleet, "-o", dst, "--full"}, args...)...)
		return dst
	}
	sites := filepath.Join(fleet, "sites.cue")
	v1, err := os.ReadFile(sites)
	if err != nil {
		t.Fatal(err)
	}
	v2 := bytes.Replace(v1, []byte(`proxy:       "10.20.0.5:3128"`), []byte(`proxy:       "10.20.0.5:3129"`), 1)
	if bytes.Equal(v1, v2) {
		t.Fatal("examples/contoso no longer gives berlin the proxy 10.20.0.5:3128")
	}

	build(t, fleet, "-o", out)
	full1 := fresh()
	sameTree(t, "a full build", full1, out, nil)

	// -t: one emitter, over a bundle of every emitter; then every emitter
	// again over that.
	build(t, fleet, "-o", out, "-t", "reg")
	sameTree(t, "build -t reg", fresh("-t", "reg"), out, nil)
	build(t, fleet, "-o", out, "-t", "reg,linux,proxy")
	sameTree(t, "build -t reg,linux,proxy", fresh("-t", "reg,linux,proxy"), out, nil)
	build(t, fleet, "-o", out)
	sameTree(t, "build after -t", full1, out, nil)

	// An intent edit: berlin's proxy, which berlin's files and proxy/ carry.
	if err := os.WriteFile(sites, v2, 0o644); err != nil {
		t.Fatal(err)
	}
	build(t, fleet, "-o", out)
	full2 := fresh()
	sameTree(t, "build after an intent edit", full2, out, nil)

	// -p: berlin edited back and rebuilt alone. Its folder and the index are
	// a fresh build's of the new intent; every other profile and proxy/ are
	// kept as the previous bundle had them (the manifest records that mix,
	// and is left out here); a build of every profile then makes the bundle
	// a fresh build's again.
	if err := os.WriteFile(sites, v1, 0o644); err != nil {
		t.Fatal(err)
	}
	build(t, fleet, "-o", out, "-p", "berlin")
	sameTree(t, "build -p berlin, berlin/", full1, out, func(rel string) bool { return strings.HasPrefix(rel, "berlin/") || rel == "README.md" })
	sameTree(t, "build -p berlin, the others", full2, out, func(rel string) bool {
		return !strings.HasPrefix(rel, "berlin/") && rel != "README.md" && rel != "manifest.json"
	})
	build(t, fleet, "-o", out)
	sameTree(t, "build after -p", full1, out, nil)
}

// build runs mdeproxyc build with args and fails the test on an error.
func build(t *testing.T, args ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"build", "-q"}, args...), &stdout, &stderr); code != exitOK {
		t.Fatalf("build %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
}

// sameTree fails the test unless the folders want and got hold the same paths
// (only those keep accepts, when set), each of the same type, mode, link
// count and bytes.
func sameTree(t *testing.T, what, want, got string, keep func(rel string) bool) {
	t.Helper()
	a, b := treeOf(t, want, keep), treeOf(t, got, keep)
	var diffs []string
	for p, x := range a {
		if y, ok := b[p]; !ok {
			diffs = append(diffs, p+" is missing")
		} else if x != y {
			diffs = append(diffs, p+" differs")
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			diffs = append(diffs, p+" is extra")
		}
	}
	if len(diffs) > 0 {
		t.Errorf("%s: the bundle is not what a fresh build writes (%d differences): %s", what, len(diffs), strings.Join(diffs[:min(len(diffs), 10)], "; "))
	}
	if len(a) == 0 {
		t.Errorf("%s: nothing compared", what)
	}
}

// treeOf describes every file and folder below root by its slash path:
// type, mode, link count and bytes.
func treeOf(t *testing.T, root string, keep func(rel string) bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if keep != nil && !keep(rel) && !d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if keep == nil {
				out[rel] = "folder " + info.Mode().String()
			}
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = fmt.Sprintf("%v %d links\n%s", info.Mode(), links(info), data)
		default:
			out[rel] = info.Mode().String()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

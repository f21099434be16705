package bundle

import (
	"path"
	"strings"
)

// Checking the previous bundle on disk is most of what a rebuild with nothing
// changed costs (165,000 files at 10,000 profiles), so each folder a build
// may carry over is listed once: one directory read per folder, and on Unix
// one fstatat per file relative to the folder's descriptor rather than an
// lstat that resolves the whole path again. The listing serves both checks:
// that every file the manifest names is there as recorded, and that nothing
// else is (docs/incremental.md).

// tree is what listTree found below one folder of a bundle: every regular
// file and every folder, by slash path relative to the bundle root, with the
// file's size (a folder's is isFolder).
type tree map[string]int64

// isFolder is the size a tree gives a folder.
const isFolder = -1

// holds reports whether every entry is in t as a regular file of the recorded
// size, and no entry lies outside the folder t lists (under).
func (t tree) holds(under string, entries []ManifestEntry) bool {
	for _, e := range entries {
		if !strings.HasPrefix(e.Path, under+"/") {
			return false
		}
		size, ok := t[e.Path]
		if !ok || size != int64(e.Size) {
			return false
		}
	}
	return true
}

// folderIntact lists the folder rel of the bundle in dir and reports whether
// it holds entries as the manifest records them (and, in exact, whether it
// holds nothing else). A symlink, FIFO or device anywhere below rel, or rel
// not a real folder, makes it not intact: nothing is followed.
func folderIntact(dir, rel string, entries []ManifestEntry) (intact, exact bool) {
	t, ok := listTree(dir, rel)
	if !ok {
		return false, false
	}
	if !t.holds(rel, entries) {
		return false, false
	}
	// Exactly: the entries' files and the folders on their way, no more.
	folders := map[string]bool{}
	for _, e := range entries {
		for d := path.Dir(e.Path); d != rel && d != "." && !folders[d]; d = path.Dir(d) {
			folders[d] = true
		}
	}
	return true, len(t) == len(entries)+len(folders)
}

// fleetFolders returns the folders the fleet-level entries lie in (proxy),
// in order; ok is false when one lies at the bundle's root.
func fleetFolders(entries []ManifestEntry) (folders []string, ok bool) {
	seen := map[string]bool{}
	for _, e := range entries {
		top, _, found := strings.Cut(e.Path, "/")
		if !found {
			return nil, false
		}
		if !seen[top] {
			seen[top] = true
			folders = append(folders, top)
		}
	}
	return folders, true
}

// fleetIntact reports whether the fleet-level entries are in dir as the
// manifest records them, and in exact whether their folders hold nothing else.
func fleetIntact(dir string, entries []ManifestEntry) (intact, exact bool) {
	folders, ok := fleetFolders(entries)
	if !ok {
		return false, false
	}
	exact = true
	for _, top := range folders {
		var in []ManifestEntry
		for _, e := range entries {
			if strings.HasPrefix(e.Path, top+"/") {
				in = append(in, e)
			}
		}
		i, x := folderIntact(dir, top, in)
		if !i {
			return false, false
		}
		exact = exact && x
	}
	return true, exact
}

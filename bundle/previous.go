package bundle

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
	"github.com/mdeproxyc/mdeproxyc/bundle/readme"
)

// previous is what a build reads of the bundle it replaces.
type previous struct {
	dir      string
	manifest *manifest.Manifest
	// byProfile holds each profile's entries, in manifest order.
	byProfile map[string][]manifest.Entry
	// fleet holds the fleet-level files' entries (proxy/), not the index.
	fleet  []manifest.Entry
	digest map[string]string
	// file is the manifest file as it was opened: Ahead.previous compares it
	// with the one out holds when the build needs it.
	file fs.FileInfo
}

// readPrevious reads the manifest of the bundle in dir; nil when dir holds
// none this tool can read (then nothing is carried over). With verify, a
// manifest whose checksum does not match its contents is not read either;
// without, it is read for the names it lists (--check's summary), and
// nothing may be carried over from it.
func readPrevious(dir string, verify bool) *previous {
	if !outdir.IsBundle(dir) {
		return nil
	}
	m, file, err := readManifest(dir, verify)
	if err != nil || m.Tool != manifest.ToolName {
		return nil
	}
	for _, e := range m.Files {
		if !entryValid(e) {
			return nil
		}
	}
	pv := &previous{dir: dir, manifest: m, byProfile: map[string][]manifest.Entry{}, digest: map[string]string{}, file: file}
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
	// listed there would be checked, and carried, twice over: as the
	// profile's folder and as a fleet-level one.
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
func isIndex(e manifest.Entry) bool { return e.Target == readme.IndexTarget }

// entryValid reports whether a previous manifest's entry names a file this
// tool could have written. The manifest may come from anyone who can write
// to the folder: a path that climbs out of the bundle ("..") or a file filed
// under another profile's folder would make the check read, and a build link
// from, the wrong place. A manifest with such an entry is not this tool's:
// nothing is carried over from it.
func entryValid(e manifest.Entry) bool {
	top, _, nested := strings.Cut(e.Path, "/")
	return fs.ValidPath(e.Path) && e.Path != "." && (e.Profile == "" || nested && top == e.Profile)
}

// readManifest reads the manifest of the bundle in dir, streaming, the
// safe way (no symlink followed, no FIFO waited on); with verify, its
// checksum must match (manifest.Decode). It returns the file's Lstat too.
func readManifest(dir string, verify bool) (*manifest.Manifest, fs.FileInfo, error) {
	f, st, err := outdir.OpenRegular(dir, manifest.Path, 1<<40)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	m, err := manifest.Decode(io.LimitReader(f, st.Size()), verify)
	return m, st, err
}

// Carried files are checked by content: "up to date", and every file a build
// carries over from the previous bundle, mean byte for byte what a build
// writes (docs/incremental.md). A file is taken as the build would write it
// when it is a regular file, reached without a symlink, linked nowhere else
// (a link count of 1: a hard link to a file outside the bundle would be
// written through by whoever edits that file), with the mode the build
// gives it, and with the size and SHA-256 its manifest entry records.

// folderCheck checks the folder rel of the bundle in dir against entries, the
// manifest's files below it: intact says every entry's file is as the build
// would write it (fileMatches); exact says, moreover, that the folder holds
// nothing else: no other file, no folder but those on the way to an entry,
// each a real folder of mode 0755. A symlink, FIFO or device anywhere below
// rel, or rel not a real folder, makes it not intact: nothing is followed.
func folderCheck(dir, rel string, entries []manifest.Entry) (intact, exact bool) {
	want := make(map[string]manifest.Entry, len(entries))
	onTheWay := map[string]bool{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Path, rel+"/") {
			return false, false
		}
		if _, dup := want[e.Path]; dup {
			return false, false
		}
		want[e.Path] = e
		for d := e.Path; ; {
			i := strings.LastIndexByte(d, '/')
			if i < 0 {
				break
			}
			d = d[:i]
			if onTheWay[d] {
				break
			}
			onTheWay[d] = true
		}
	}
	root := filepath.Join(dir, filepath.FromSlash(rel))
	if st, err := os.Lstat(root); err != nil || !st.IsDir() {
		return false, false
	}
	exact = true
	found := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		r = filepath.ToSlash(r)
		switch {
		case d.IsDir():
			if !onTheWay[r] {
				exact = false
			} else if outdir.ModesMatter {
				if info, err := d.Info(); err != nil || info.Mode().Perm() != 0o755 || info.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
					exact = false
				}
			}
		case d.Type().IsRegular():
			e, ok := want[r]
			if !ok {
				exact = false
				return nil
			}
			if !fileMatches(dir, e) {
				return errMismatch
			}
			found++
		default:
			return errMismatch
		}
		return nil
	})
	if err != nil || found != len(entries) {
		return false, false
	}
	return true, exact
}

// filesCheck is folderCheck's intact alone, for a build that writes a new
// bundle whatever it finds (some profile changed): the entries' files are
// checked, each reached through real folders only (one Lstat a folder), and
// nothing is listed, since what else a folder holds is not carried over.
func filesCheck(dir, rel string, entries []manifest.Entry) bool {
	seen := make(map[string]bool, len(entries))
	folders := map[string]bool{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Path, rel+"/") || seen[e.Path] {
			return false
		}
		seen[e.Path] = true
		for i := len(rel); i < len(e.Path); i++ {
			if e.Path[i] != '/' {
				continue
			}
			d := e.Path[:i]
			if folders[d] {
				continue
			}
			if st, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(d))); err != nil || !st.IsDir() {
				return false
			}
			folders[d] = true
		}
		if !fileMatches(dir, e) {
			return false
		}
	}
	return true
}

// errMismatch stops a folder's walk at the first file not as the build would
// write it.
var errMismatch = errors.New("not as the build writes it")

// fileMatches reports whether the previous bundle's file e is as a build
// would write it (outdir.Matches).
func fileMatches(dir string, e manifest.Entry) bool {
	return outdir.Matches(dir, e.Path, int64(e.Size), e.SHA256, e.Executable)
}

// fleetFolders returns the folders the fleet-level entries lie in (proxy),
// in order; ok is false when one lies at the bundle's root.
func fleetFolders(entries []manifest.Entry) (folders []string, ok bool) {
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

// intact is folderCheck of the folder of the profile name.
func (pv *previous) intact(name string) (intact, exact bool) {
	return folderCheck(pv.dir, name, pv.byProfile[name])
}

// fleetIntact is folderCheck of the fleet-level files' folders (proxy/).
func (pv *previous) fleetIntact() (intact, exact bool) {
	folders, ok := fleetFolders(pv.fleet)
	if !ok {
		return false, false
	}
	exact = true
	for _, top := range folders {
		var in []manifest.Entry
		for _, e := range pv.fleet {
			if strings.HasPrefix(e.Path, top+"/") {
				in = append(in, e)
			}
		}
		i, x := folderCheck(pv.dir, top, in)
		if !i {
			return false, false
		}
		exact = exact && x
	}
	return true, exact
}

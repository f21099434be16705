package drift

import (
	"io"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Report is what --check found: a summary per profile, then the diff.
type Report struct {
	// Diff is the unified diff of every file that differs, by path.
	Diff []byte
	// Profiles lists, by name, every profile with a file that differs, then,
	// under the empty name, the fleet-level files (proxy/) that differ.
	Profiles []ProfileChange
}

// ProfileChange is one profile whose files differ from the folder checked.
type ProfileChange struct {
	Name string
	// Change is "added" (only the build has it), "removed" (only the folder
	// has it) or "changed".
	Change string
	// Settings are the README's effective-settings rows that differ: the
	// folder's README is the only record of what its bundle was built from.
	Settings []RowChange
	// Files are the profile's files that differ, with "added", "removed" or
	// "changed".
	Files []FileChange
}

// RowChange is one row of a profile README's settings table that differs; a
// side without the row is empty.
type RowChange struct {
	Label, Old, New string
}

// FileChange is one file that differs.
type FileChange struct {
	Path, Change string
}

// summary groups the differing paths by profile. A path's profile is its
// first folder when that names a profile of the build or of the folder's
// manifest; paths in another folder are the fleet-level files, listed last;
// the index and the manifest are left out.
func (c *checker) summary(out string, profiles []*model.Profile, paths []string) []ProfileChange {
	inBuild := map[string]bool{}
	for _, p := range profiles {
		inBuild[p.Name] = true
	}
	inOld := map[string]bool{}
	// Only the names of the profiles the folder's manifest lists: its
	// checksum is not what says them (a bundle committed before manifests
	// had one has none), and nothing is carried over from it here.
	for _, name := range previousProfiles(out) {
		inOld[name] = true
	}
	byName := map[string]*ProfileChange{}
	var names []string
	var fleet *ProfileChange
	for _, p := range paths {
		name, _, ok := strings.Cut(p, "/")
		if !ok {
			continue // the index and the manifest
		}
		if !inBuild[name] && !inOld[name] {
			// A folder of no profile: the fleet-level files (proxy/),
			// listed as diff lists them, under no profile's name.
			if fleet == nil {
				fleet = &ProfileChange{Change: "changed", Settings: []RowChange{}}
			}
			fleet.Files = append(fleet.Files, FileChange{Path: p, Change: fileChange(c.diffs[p])})
			continue
		}
		pc := byName[name]
		if pc == nil {
			pc = &ProfileChange{Name: name, Change: "changed"}
			switch {
			case !inOld[name]:
				pc.Change = "added"
			case !inBuild[name]:
				pc.Change = "removed"
			}
			byName[name] = pc
			names = append(names, name)
		}
		change := fileChange(c.diffs[p])
		pc.Files = append(pc.Files, FileChange{Path: p, Change: change})
	}
	slices.Sort(names)
	out2 := make([]ProfileChange, 0, len(names))
	for _, name := range names {
		pc := byName[name]
		if r, ok := c.readmes[name]; ok {
			pc.Settings = rowChanges(settingsRows(r[0]), settingsRows(r[1]))
		}
		out2 = append(out2, *pc)
	}
	if fleet != nil {
		out2 = append(out2, *fleet)
	}
	return out2
}

// fileChange reads from a file's diff whether the build adds, removes or
// changes it: its header names /dev/null on the side where the file is
// missing ("diff a/x /dev/null", "--- a/x", "+++ /dev/null", or "Binary files
// a/x and /dev/null differ").
func fileChange(d []byte) string {
	lines := strings.SplitN(string(d), "\n", 5)
	for _, l := range lines[:min(len(lines), 4)] {
		switch {
		case l == "--- /dev/null" || strings.HasPrefix(l, "Binary files /dev/null "):
			return "added"
		case l == "+++ /dev/null" || strings.HasPrefix(l, "Binary files ") && strings.HasSuffix(l, " and /dev/null differ"):
			return "removed"
		}
	}
	return "changed"
}

// settingsRows reads the rows of a profile README's "Effective settings"
// table, in order.
func settingsRows(md []byte) [][2]string {
	var rows [][2]string
	in := false
	for _, line := range strings.Split(string(md), "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			in = line == "## Effective settings"
		case in && strings.HasPrefix(line, "| ") && line != "| setting | value |" && line != "| --- | --- |":
			cells := strings.SplitN(strings.TrimSuffix(strings.TrimPrefix(line, "| "), " |"), " | ", 2)
			if len(cells) == 2 {
				rows = append(rows, [2]string{cells[0], cells[1]})
			}
		}
	}
	return rows
}

// rowChanges compares two README settings tables row by row, by label.
func rowChanges(old, new [][2]string) []RowChange {
	oldVal := map[string]string{}
	for _, r := range old {
		oldVal[r[0]] = r[1]
	}
	seen := map[string]bool{}
	var out []RowChange
	for _, r := range new {
		seen[r[0]] = true
		if o, ok := oldVal[r[0]]; !ok || o != r[1] {
			out = append(out, RowChange{Label: r[0], Old: o, New: r[1]})
		}
	}
	for _, r := range old {
		if !seen[r[0]] {
			out = append(out, RowChange{Label: r[0], Old: r[1]})
		}
	}
	return out
}

// previousProfiles names the profiles the manifest in out lists files of;
// none when out holds no bundle this tool wrote, or its manifest cannot be
// read. Its checksum is not checked: only names are taken from it.
func previousProfiles(out string) []string {
	if !outdir.IsBundle(out) {
		return nil
	}
	f, st, err := outdir.OpenRegular(out, manifest.Path, 1<<40)
	if err != nil {
		return nil
	}
	defer f.Close()
	m, err := manifest.Decode(io.LimitReader(f, st.Size()), false)
	if err != nil || m.Tool != manifest.ToolName {
		return nil
	}
	var names []string
	for _, e := range m.Files {
		if top, _, nested := strings.Cut(e.Path, "/"); e.Profile != "" && nested && top == e.Profile {
			names = append(names, e.Profile)
		}
	}
	return names
}

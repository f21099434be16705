//go:build !unix

package bundle

import (
	"io/fs"
	"os"
	"path/filepath"
)

// listTree lists the folder rel (slash-separated) below the bundle root dir;
// ok is false when rel or anything below it is neither a real folder nor a
// regular file, or cannot be read. WalkDir follows no symlink; on Windows the
// entries' sizes come with the directory listing.
func listTree(dir, rel string) (tree, bool) {
	root := filepath.Join(dir, filepath.FromSlash(rel))
	if st, err := os.Lstat(root); err != nil || !st.IsDir() {
		return nil, false
	}
	t := tree{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root {
				r, err := filepath.Rel(dir, p)
				if err != nil {
					return err
				}
				t[filepath.ToSlash(r)] = isFolder
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return fs.ErrInvalid
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		r, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		t[filepath.ToSlash(r)] = info.Size()
		return nil
	})
	if err != nil {
		return nil, false
	}
	return t, true
}

//go:build !unix

package bundle

import (
	"io/fs"
	"os"
	"path/filepath"
)

// listTree visits every file and folder below the folder rel (slash-separated)
// of the bundle root dir: visit gets each one's slash path relative to the
// root and a file's size, or isFolder, and stops the listing by returning
// false. ok is false when stopped, or when rel or anything below it is
// neither a real folder nor a regular file, or cannot be read. WalkDir
// follows no symlink; on Windows the sizes come with the directory listing.
func listTree(dir, rel string, visit func(p []byte, size int64) bool) (ok bool) {
	root := filepath.Join(dir, filepath.FromSlash(rel))
	if st, err := os.Lstat(root); err != nil || !st.IsDir() {
		return false
	}
	stopped := false
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		r, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		size := int64(isFolder)
		switch {
		case d.IsDir():
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			size = info.Size()
		default:
			return fs.ErrInvalid
		}
		if !visit([]byte(filepath.ToSlash(r)), size) {
			stopped = true
			return fs.SkipAll
		}
		return nil
	})
	return err == nil && !stopped
}

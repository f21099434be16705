//go:build unix

package bundle

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// listTree lists the folder rel (slash-separated) below the bundle root dir;
// ok is false when rel or anything below it is neither a real folder nor a
// regular file, or cannot be read. Each folder is opened relative to its
// parent's descriptor with O_NOFOLLOW, and each file is looked at with
// fstatat on its folder's descriptor: no symlink is followed and no path is
// resolved twice.
func listTree(dir, rel string) (tree, bool) {
	full := filepath.Join(dir, filepath.FromSlash(rel))
	fd, err := unix.Open(full, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	t := tree{}
	if !listFd(fd, full, rel, t) {
		return nil, false
	}
	return t, true
}

// listFd lists the open folder fd (closing it), found at full and at rel in
// the bundle, into t.
func listFd(fd int, full, rel string, t tree) bool {
	// os.File reads the entries with their types (getdents); it is named by
	// its full path so that a file system that gives no type in its entries
	// is looked up where it is.
	f := os.NewFile(uintptr(fd), full)
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return false
	}
	for _, e := range ents {
		name := e.Name()
		switch typ := e.Type(); {
		case typ.IsDir():
			t[rel+"/"+name] = isFolder
			sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil || !listFd(sub, full+"/"+name, rel+"/"+name, t) {
				return false
			}
		case typ.IsRegular():
			var st unix.Stat_t
			if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
				return false
			}
			t[rel+"/"+name] = st.Size
		default:
			return false
		}
	}
	return true
}

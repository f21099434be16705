//go:build unix && !linux

package bundle

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// listTree visits every file and folder below the folder rel (slash-separated)
// of the bundle root dir: visit gets each one's slash path relative to the
// root (valid only during the call) and a file's size, or isFolder, and
// stops the listing by returning false. ok is false when stopped, or when rel
// or anything below it is neither a real folder nor a regular file, or cannot
// be read. Each folder is opened relative to its parent's descriptor with
// O_NOFOLLOW, and each file looked at with fstatat on its folder's
// descriptor: no symlink is followed and no path is resolved twice.
func listTree(dir, rel string, visit func(p []byte, size int64) bool) (ok bool) {
	full := filepath.Join(dir, filepath.FromSlash(rel))
	fd, err := unix.Open(full, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	buf := make([]byte, 0, 256)
	return listFd(fd, full, append(buf, rel...), visit)
}

// listFd lists the open folder fd (closing it), found at full and at p in the
// bundle.
func listFd(fd int, full string, p []byte, visit func(p []byte, size int64) bool) bool {
	// os.File reads the entries with their types (getdents); it is named by
	// its full path so that, on a file system whose entries carry no type,
	// it looks each one up where it is.
	f := os.NewFile(uintptr(fd), full)
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return false
	}
	for _, e := range ents {
		name := e.Name()
		q := append(append(p, '/'), name...)
		switch typ := e.Type(); {
		case typ.IsDir():
			if !visit(q, isFolder) {
				return false
			}
			sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil || !listFd(sub, full+"/"+name, q, visit) {
				return false
			}
		case typ.IsRegular():
			var st unix.Stat_t
			if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
				return false
			}
			if !visit(q, st.Size) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

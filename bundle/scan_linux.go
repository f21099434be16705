package bundle

import (
	"encoding/binary"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// listTree visits every file and folder below the folder rel (slash-separated)
// of the bundle root dir: visit gets each one's slash path relative to the
// root (valid only during the call) and a file's size, or isFolder, and
// stops the listing by returning false. ok is false when stopped, or when rel
// or anything below it is neither a real folder nor a regular file, or cannot
// be read. Each folder is opened relative to its parent's descriptor with
// O_NOFOLLOW and read with getdents64 into a reused buffer; each file is
// looked at with fstatat on its folder's descriptor: no symlink is followed,
// no path is resolved twice, and no system call is made that the listing
// does not need (os.File would add an fcntl a folder).
func listTree(dir, rel string, visit func(p []byte, size int64) bool) (ok bool) {
	fd, err := unix.Open(filepath.Join(dir, filepath.FromSlash(rel)), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	l := listers.Get().(*lister)
	defer listers.Put(l)
	l.visit = visit
	return l.list(fd, append(l.path[:0], rel...), 0)
}

// lister holds one listing's buffers: a getdents buffer per folder depth
// (a folder is read while its subfolders are) and the path being built.
type lister struct {
	bufs  [][]byte
	path  []byte
	visit func(p []byte, size int64) bool
}

var listers = sync.Pool{New: func() any { return &lister{path: make([]byte, 0, 256)} }}

// list reads the open folder fd (closing it), at p in the bundle, depth
// folders below the listing's root.
func (l *lister) list(fd int, p []byte, depth int) bool {
	defer unix.Close(fd)
	for len(l.bufs) <= depth {
		l.bufs = append(l.bufs, make([]byte, 8192))
	}
	buf := l.bufs[depth]
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false
		}
		if n == 0 {
			return true
		}
		// struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16,
		// d_type u8, d_name NUL-terminated.
		for off := 0; off < n; {
			reclen := int(binary.NativeEndian.Uint16(buf[off+16:]))
			if reclen < 20 || off+reclen > n {
				return false
			}
			typ := buf[off+18]
			name := buf[off+19 : off+reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			off += reclen
			if string(name) == "." || string(name) == ".." {
				continue
			}
			q := append(append(p, '/'), name...)
			if typ == unix.DT_UNKNOWN {
				// Some file systems give no type in their entries.
				var st unix.Stat_t
				if unix.Fstatat(fd, string(name), &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
					return false
				}
				switch st.Mode & unix.S_IFMT {
				case unix.S_IFDIR:
					typ = unix.DT_DIR
				case unix.S_IFREG:
					typ = unix.DT_REG
				}
			}
			switch typ {
			case unix.DT_DIR:
				if !l.visit(q, isFolder) {
					return false
				}
				sub, err := unix.Openat(fd, string(name), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
				if err != nil || !l.list(sub, q, depth+1) {
					return false
				}
			case unix.DT_REG:
				var st unix.Stat_t
				if err := unix.Fstatat(fd, string(name), &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
					return false
				}
				if !l.visit(q, st.Size) {
					return false
				}
			default:
				return false
			}
		}
	}
}

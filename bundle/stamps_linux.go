package bundle

import "golang.org/x/sys/unix"

// stampRoot is a bundle folder opened for stamps: its descriptor, its own
// identity, and its manifest's, as they were when it was opened.
type stampRoot struct {
	fd           int
	id, manifest fileID
}

// File systems whose folders' change times a stamp book trusts: local ones
// that keep them to the nanosecond and move them on every change of an entry.
// Network and FUSE file systems may cache or invent them; overlayfs is left
// out too.
var ctimeFileSystems = map[int64]bool{
	0x01021994: true, // tmpfs
	0xEF53:     true, // ext2, ext3, ext4 (see the nanosecond check below)
	0x58465342: true, // xfs
	0x9123683E: true, // btrfs
}

// openStampRoot opens the bundle folder dir for stamps; nil when it is on a
// file system whose change times are not trusted, or has no manifest.
func openStampRoot(dir string) *stampRoot {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	var fs unix.Statfs_t
	var st, ms unix.Stat_t
	ok := unix.Fstatfs(fd, &fs) == nil && ctimeFileSystems[int64(fs.Type)] &&
		unix.Fstat(fd, &st) == nil &&
		unix.Fstatat(fd, ManifestPath, &ms, unix.AT_SYMLINK_NOFOLLOW) == nil && ms.Mode&unix.S_IFMT == unix.S_IFREG &&
		// ext4 keeps whole seconds in 128-byte inodes (and ext2 and ext3
		// always): there a change within the second of a look would keep the
		// stamp. Nanoseconds of 0 on both the folder and its manifest is
		// what such a file system shows.
		(st.Ctim.Nsec != 0 || ms.Ctim.Nsec != 0)
	if !ok {
		unix.Close(fd)
		return nil
	}
	return &stampRoot{
		fd:       fd,
		id:       fileID{dev: uint64(st.Dev), ino: st.Ino},
		manifest: fileID{dev: uint64(ms.Dev), ino: ms.Ino, size: ms.Size, ctime: ms.Ctim.Nano(), mtime: ms.Mtim.Nano()},
	}
}

// close releases the folder's descriptor.
func (r *stampRoot) close() { unix.Close(r.fd) }

// folder returns the stamp of the folder rel (slash-separated) of the
// bundle; false when it is not a real folder on the bundle's own file system.
// Its parents are not looked at here: check looks at every folder from the
// top down, so a symlink on the way has already failed as a folder.
func (r *stampRoot) folder(rel string) (stamp, bool) {
	var st unix.Stat_t
	if unix.Fstatat(r.fd, rel, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR || uint64(st.Dev) != r.id.dev {
		return stamp{}, false
	}
	return stamp{ino: st.Ino, ctime: st.Ctim.Nano()}, true
}

// file returns the size of the file rel of the bundle; false when it is not
// a regular file.
func (r *stampRoot) file(rel string) (int64, bool) {
	var st unix.Stat_t
	if unix.Fstatat(r.fd, rel, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0, false
	}
	return st.Size, true
}

// stampClock reads the clock file systems take change times from (the
// kernel's coarse real-time clock): a change made after the reading has a
// change time no earlier than it.
// It is a variable for tests that stand for a build long enough for its
// folders' change times to lie a tick behind.
var stampClock = func() int64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_REALTIME_COARSE, &ts) != nil {
		return 0
	}
	return ts.Nano()
}

// manifestUnchanged reports whether the bundle's manifest is still the file
// it was when the folder was opened, and dir, the bundle's path, still that
// folder: the stamps are looked at through the folder opened, the manifest
// is read and other folders listed by path, and a bundle moved aside and
// replaced meanwhile would have one vouch for the other.
func (r *stampRoot) manifestUnchanged(dir string) bool {
	var ds, ms unix.Stat_t
	return unix.Stat(dir, &ds) == nil && (fileID{dev: uint64(ds.Dev), ino: ds.Ino}) == r.id &&
		unix.Fstatat(r.fd, ManifestPath, &ms, unix.AT_SYMLINK_NOFOLLOW) == nil &&
		(fileID{dev: uint64(ms.Dev), ino: ms.Ino, size: ms.Size, ctime: ms.Ctim.Nano(), mtime: ms.Mtim.Nano()}) == r.manifest
}

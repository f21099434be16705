//go:build unix

package outdir

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// lockLive takes an exclusive flock on the build's temporary folder itself and
// holds it until unlock; the kernel drops it when the process dies, however it
// dies, which is what tells a stale folder from a running build's.
func lockLive(dir string) (unlock func(), err error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "flock", Path: dir, Err: err}
	}
	return func() { unix.Close(fd) }, nil
}

// lockStale takes the lock of a temporary folder left beside --out; ok is
// false when a running build holds it (or it cannot be opened).
func lockStale(dir string) (unlock func(), ok bool) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		return nil, false
	}
	return func() { unix.Close(fd) }, true
}

// isMountPoint reports whether dir is on another device than its parent: a
// rename cannot move it. (A bind mount of a folder of the same file system is
// not seen here; its rename fails with EBUSY, which OutError explains.)
func isMountPoint(dir string) bool {
	var st, pst syscall.Stat_t
	if syscall.Lstat(dir, &st) != nil || syscall.Stat(dir+"/..", &pst) != nil {
		return false
	}
	return st.Dev != pst.Dev
}

package outdir

import (
	"golang.org/x/sys/windows"
)

// lockSuffix names the lock file beside a build's temporary folder: Windows
// has no flock on folders, so a file opened with no sharing stands for it.
const lockSuffix = ".lock"

// openLock opens dir's lock file exclusively (share mode 0) and deletes it on
// close, which Windows does when the process dies, however it dies.
func openLock(dir string) (windows.Handle, error) {
	p, err := windows.UTF16PtrFromString(dir + lockSuffix)
	if err != nil {
		return 0, err
	}
	return windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil,
		windows.OPEN_ALWAYS, windows.FILE_ATTRIBUTE_HIDDEN|windows.FILE_FLAG_DELETE_ON_CLOSE, 0)
}

// lockLive holds the lock file of a running build's temporary folder.
func lockLive(dir string) (unlock func(), err error) {
	h, err := openLock(dir)
	if err != nil {
		return nil, err
	}
	return func() { windows.CloseHandle(h) }, nil
}

// lockStale opens the lock file of a temporary folder left beside --out; a
// sharing violation means a running build holds it.
func lockStale(dir string) (unlock func(), ok bool) {
	h, err := openLock(dir)
	if err != nil {
		return nil, false
	}
	return func() { windows.CloseHandle(h) }, true
}

// isMountPoint is false on Windows: a rename of a mounted folder fails, and
// OutError explains that failure.
func isMountPoint(string) bool { return false }

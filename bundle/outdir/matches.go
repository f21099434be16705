package outdir

import (
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// errShort is hashFile's error for a file that is not the size it was.
var errShort = errors.New("the file changed size while it was read")

// ModesMatter says the file system keeps Unix modes; elsewhere (Windows) the
// modes a build gives are not checked.
var ModesMatter = filepath.Separator == '/'

// Matches reports whether the file rel (slash-separated) below dir is as a
// build writes it: a regular file, opened without following a symlink, with
// a link count of 1 (a hard link to a file outside the bundle would be
// written through by whoever edits that file), the mode the build gives it
// (FileMode), size bytes long, and with the SHA-256 sum. The folders on the
// way are the caller's to have checked. (matches_unix.go does the same with
// fewer system calls: a no-change rebuild makes 165,000 of these checks at
// 10,000 profiles.)
func Matches(dir, rel string, size int64, sum [sha256.Size]byte, executable bool) bool {
	return matches(filepath.Join(dir, filepath.FromSlash(rel)), size, sum, executable)
}

// matchesFile is Matches through package os, for every system.
func matchesFile(name string, size int64, sum [sha256.Size]byte, executable bool) bool {
	f, err := os.OpenFile(name, os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() != size {
		return false
	}
	if ModesMatter && st.Mode() != FileMode(executable) {
		return false
	}
	if n, ok := LinkCount(st); ok && n != 1 {
		return false
	}
	h, err := hashFile(f, st.Size())
	return err == nil && h == sum
}

// hashBuffers are hashFile's read buffers: a bundle's files are a few KB.
var hashBuffers = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// hashFile returns the SHA-256 of the first size bytes of f (its size, as
// Stat found it); a file that holds fewer is an error.
func hashFile(f *os.File, size int64) ([sha256.Size]byte, error) {
	bp := hashBuffers.Get().(*[]byte)
	defer hashBuffers.Put(bp)
	h := sha256.New()
	n, err := io.CopyBuffer(h, io.LimitReader(f, size), *bp)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	if n != size {
		return [sha256.Size]byte{}, errShort
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum, nil
}

// FileMode is the mode a build gives a file: 0755 to a script meant to run,
// 0644 to any other.
func FileMode(executable bool) fs.FileMode {
	if executable {
		return 0o755
	}
	return 0o644
}

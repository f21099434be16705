//go:build unix

package outdir

import (
	"io/fs"
	"syscall"
)

// LinkCount is the number of hard links to the file st describes.
func LinkCount(st fs.FileInfo) (uint64, bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(s.Nlink), true
}

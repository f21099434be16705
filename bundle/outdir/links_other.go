//go:build !unix

package outdir

import "io/fs"

// LinkCount is not known here (Windows' FileInfo does not carry it): the
// link count is not checked.
func LinkCount(fs.FileInfo) (uint64, bool) { return 0, false }

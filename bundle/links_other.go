//go:build !unix

package bundle

import "io/fs"

// linkCount is not known here (Windows' FileInfo does not carry it): the
// link count is not checked.
func linkCount(fs.FileInfo) (uint64, bool) { return 0, false }

//go:build !unix

package outdir

import "crypto/sha256"

// matches is matchesFile where there is no cheaper way.
func matches(name string, size int64, sum [sha256.Size]byte, executable bool) bool {
	return matchesFile(name, size, sum, executable)
}

//go:build !linux

package outdir

import "os"

// swap exchanges the folders tmp and out; without an atomic exchange on this
// system it takes two renames.
func swap(tmp, out string) error { return swapFallback(tmp, out, os.Rename) }

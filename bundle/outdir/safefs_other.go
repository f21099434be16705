//go:build !unix

package outdir

// openNoFollow is empty where open has no such flags (Windows): the Lstat
// before each open and the SameFile check after it do the job there.
const openNoFollow = 0

//go:build unix

package outdir

import "syscall"

// openNoFollow makes open fail on a symlink and return at once on a FIFO, so
// a path swapped after Lstat is never followed and never hangs the reader.
const openNoFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

package outdir

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// swap exchanges the folders tmp and out in one step (renameat2 with
// RENAME_EXCHANGE), so there is no moment at which out is missing.
func swap(tmp, out string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, out, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) {
		// Old kernels and some file systems have no exchange.
		return swapFallback(tmp, out, os.Rename)
	}
	return err
}

//go:build unix

package outdir

import (
	"os"
	"syscall"
	"testing"
)

// TestModesExact: under umask 022 and 002 files and folders get their modes;
// under 027, 077 or 100 they do not.
func TestModesExact(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	for mask, want := range map[int]bool{0o022: true, 0o002: true, 0o000: true, 0o027: false, 0o077: false, 0o100: false} {
		syscall.Umask(mask)
		dir := t.TempDir()
		if got := ModesExact(dir); got != want {
			t.Errorf("umask %03o: exact = %v, want %v", mask, got, want)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("umask %03o: the probes were left: %v", mask, ents)
		}
	}
}

package outdir

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// TestMatches: a file is taken as the build's only with its content, size,
// mode and a link count of 1, reached without a symlink; the check with few
// system calls (matches) and the one through package os (matchesFile) agree
// on each case.
func TestMatches(t *testing.T) {
	data := []byte("profile a\n")
	sum := sha256.Sum256(data)
	for _, c := range []struct {
		name       string
		make       func(t *testing.T, dir, p string)
		executable bool
		want       bool
	}{
		{"as built", func(*testing.T, string, string) {}, false, true},
		{"as built, a script", func(t *testing.T, _, p string) { os.Chmod(p, 0o755) }, true, true},
		{"a script made 0644", func(*testing.T, string, string) {}, true, false},
		{"the same size, other bytes", func(t *testing.T, _, p string) { os.WriteFile(p, []byte("PROFILE A\n"), 0o644) }, false, false},
		{"shorter", func(t *testing.T, _, p string) { os.WriteFile(p, data[:4], 0o644) }, false, false},
		{"0666", func(t *testing.T, _, p string) { os.Chmod(p, 0o666) }, false, false},
		{"setuid", func(t *testing.T, _, p string) { os.Chmod(p, 0o644|os.ModeSetuid) }, false, false},
		{"a second link", func(t *testing.T, dir, p string) { os.Link(p, filepath.Join(dir, "outside")) }, false, false},
		{"a symlink to the same bytes", func(t *testing.T, dir, p string) {
			os.WriteFile(filepath.Join(dir, "same"), data, 0o644)
			os.Remove(p)
			os.Symlink(filepath.Join(dir, "same"), p)
		}, false, false},
		{"missing", func(t *testing.T, _, p string) { os.Remove(p) }, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if runtime.GOOS == "windows" && (c.name == "0666" || c.name == "setuid" || c.name == "a script made 0644" || c.name == "a second link") {
				validators.NotOnThisOS(t, "Windows keeps no Unix modes and no link count here")
			}
			dir := t.TempDir()
			p := filepath.Join(dir, "f")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, 0o644); err != nil {
				t.Fatal(err)
			}
			c.make(t, dir, p)
			if got := Matches(dir, "f", int64(len(data)), sum, c.executable); got != c.want {
				t.Errorf("Matches = %v, want %v", got, c.want)
			}
			if got := matchesFile(p, int64(len(data)), sum, c.executable); got != c.want {
				t.Errorf("matchesFile = %v, want %v", got, c.want)
			}
		})
	}
}

//go:build unix

package bundle

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// TestModesIgnoreUmask: under umask 077 the bundle still gets 0755 folders,
// 0644 files and 0755 scripts. (The umask is the process's: no t.Parallel.)
func TestModesIgnoreUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	root := t.TempDir()
	f := folder{outdir.NewFolder(context.Background(), root)}
	if err := f.Put(File{Path: "p/windows/a.reg", Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := f.Put(File{Path: "p/linux/set-proxy.sh", Data: []byte("x"), Executable: true}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist")
	if _, err := Write(out, []*model.Profile{{Name: "p"}}, nil); err != nil {
		t.Fatal(err)
	}
	if outdir.ModesExact(t.TempDir()) {
		t.Error("under umask 077, modes read as exact")
	}
	for p, want := range map[string]fs.FileMode{
		filepath.Join(root, "p"):                    0o755 | fs.ModeDir,
		filepath.Join(root, "p/windows"):            0o755 | fs.ModeDir,
		filepath.Join(root, "p/windows/a.reg"):      0o644,
		filepath.Join(root, "p/linux/set-proxy.sh"): 0o755,
		out:                               0o755 | fs.ModeDir,
		filepath.Join(out, manifest.Path): 0o644,
	} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, st.Mode(), want)
		}
	}
}

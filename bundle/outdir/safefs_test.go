//go:build unix

package outdir

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mdeproxyc/mdeproxyc/bundle/internal/bundletest"
	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
)

// TestReadRegular: a folder on the way that is a symlink is named; a file
// over the cap is not read.
func TestReadRegular(t *testing.T) {
	root := t.TempDir()
	secretDir := filepath.Dir(bundletest.WriteSecret(t))
	if err := os.Symlink(secretDir, filepath.Join(root, "hq")); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadRegular(root, "hq/shadow", 1<<20)
	if te, ok := err.(*TypeError); !ok || te.Rel != "hq" || te.Want != "a folder" {
		t.Errorf("a symlinked folder on the way: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, "big"), make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadRegular(root, "big", 99); err == nil || !strings.Contains(err.Error(), "100 bytes or more, over the 99 bytes") {
		t.Errorf("a file over the cap: %v", err)
	}
	if data, _, err := ReadRegular(root, "big", 100); err != nil || len(data) != 100 {
		t.Errorf("a file at the cap: %d bytes, %v", len(data), err)
	}
}

// TestIsBundle: a FIFO or a symlink as manifest.json is not a bundle (and
// does not hang); the tool member is found without reading further.
func TestIsBundle(t *testing.T) {
	dir := t.TempDir()
	man := filepath.Join(dir, manifest.Path)
	if err := syscall.Mkfifo(man, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	go func() { done <- IsBundle(dir) }()
	select {
	case got := <-done:
		if got {
			t.Error("a FIFO manifest is a bundle")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("IsBundle hung on a FIFO")
	}
	os.Remove(man)
	other := filepath.Join(t.TempDir(), "m.json")
	os.WriteFile(other, []byte(`{"tool": "mdeproxyc"}`), 0o644)
	os.Symlink(other, man)
	if IsBundle(dir) {
		t.Error("a symlinked manifest is a bundle")
	}
	os.Remove(man)
	// Broken JSON after the tool member does not matter: it is never read.
	os.WriteFile(man, []byte(`{"version": "x", "tool": "mdeproxyc", "files": [`), 0o644)
	if !IsBundle(dir) {
		t.Error("a manifest with tool mdeproxyc is not a bundle")
	}
	os.WriteFile(man, []byte(`{"tool": "other"}`), 0o644)
	if IsBundle(dir) {
		t.Error("another tool's manifest is a bundle")
	}
}

// TestMountPoint: a folder on another device than its parent (/proc on
// Linux) is a mount point; a folder of the test's is not. A mount point that
// rename answers EBUSY for gets a message naming the path and what to do.
func TestMountPoint(t *testing.T) {
	if _, err := os.Stat("/proc/self"); err == nil && !isMountPoint("/proc") {
		t.Error("/proc is not seen as a mount point")
	}
	if isMountPoint(t.TempDir()) {
		t.Error("a temporary folder is seen as a mount point")
	}
	err := OutError("/data/out", &os.LinkError{Op: "rename", Old: "/data/.x", New: "/data/out", Err: syscall.EBUSY})
	if err == nil || !strings.Contains(err.Error(), "cannot replace /data/out: it is busy (a mount point, or a folder a process works in); build replaces --out as a whole, so point --out at a folder inside it (-o /data/out/dist)") {
		t.Errorf("EBUSY: %v", err)
	}
}

// TestPrintable: names with control or format characters are quoted.
func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"hq/README.md": "hq/README.md",
		"a\nb":         `"a\nb"`,
		"a\u202eb":     `"a\u202eb"`,
		"caf\u00e9":    "caf\u00e9",
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %s, want %s", in, got, want)
		}
	}
}

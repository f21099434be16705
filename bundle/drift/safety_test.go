//go:build unix

package drift

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mdeproxyc/mdeproxyc/bundle/internal/bundletest"
	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// TestCheckFollowsNothing: a symlink in the checked folder, whether where a
// file is expected, as a stray file, or as a folder on the way, is reported
// by its type, and the content of its target never appears; a FIFO does not
// hang Check; /dev/zero does not exhaust memory.
func TestCheckFollowsNothing(t *testing.T) {
	secret := bundletest.WriteSecret(t)
	out := t.TempDir()
	profiles := []*model.Profile{{Name: "p"}}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(secret, filepath.Join(out, manifest.Path)))
	must(os.Mkdir(filepath.Join(out, "p"), 0o755))
	must(os.Symlink(secret, filepath.Join(out, "p", "README.md")))
	must(os.Symlink("/dev/zero", filepath.Join(out, "p", "zero")))
	must(os.Symlink(filepath.Dir(secret), filepath.Join(out, "q")))
	must(syscall.Mkfifo(filepath.Join(out, "p", "fifo"), 0o644))

	done := make(chan struct{})
	var d []byte
	var err error
	go func() {
		d, err = Check(out, profiles, nil)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Check hung (a FIFO was opened?)")
	}
	must(err)
	s := string(d)
	if strings.Contains(s, "SECRET") {
		t.Fatalf("the symlink's target leaked:\n%s", s)
	}
	for _, want := range []string{
		"manifest.json is a symbolic link, not followed and not read; a build writes a regular file here",
		// Every build writes each profile's README: the link is where a file belongs.
		"p/README.md is a symbolic link, not followed and not read; a build writes a regular file here",
		"--- a/p/fifo\n+++ /dev/null\na named pipe (FIFO), not shown",
		"--- a/p/zero\n+++ /dev/null\na symbolic link, not shown",
		"--- a/q\n+++ /dev/null\na symbolic link, not shown",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in:\n%s", want, s)
		}
	}

	// --out itself a symlink: refused, not followed.
	link := filepath.Join(t.TempDir(), "dist")
	must(os.Symlink(filepath.Dir(secret), link))
	if _, err := Check(link, profiles, nil); err == nil || !strings.Contains(err.Error(), "is a symbolic link, not a folder") {
		t.Errorf("a symlinked --out: %v", err)
	}
}

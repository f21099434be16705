package bundle

import (
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/mdeproxyc/mdeproxyc/bundle/internal/bundletest"
	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// TestModesUnderDefaultACL: a default ACL on the folder that holds --out
// takes the umask's place on Linux. Under one that gives "other" nothing,
// and a harmless umask, the bundle still gets 0644 files and 0755 folders.
// (Found by review: skipping chmod on the umask's word alone gave 0640 and
// 0750.)
func TestModesUnderDefaultACL(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	parent := t.TempDir()
	// posix_acl_xattr version 2: USER_OBJ rwx, GROUP_OBJ r-x, OTHER ---.
	acl := make([]byte, 4+3*8)
	binary.LittleEndian.PutUint32(acl, 2)
	for i, e := range [][2]uint16{{0x01, 7}, {0x04, 5}, {0x20, 0}} {
		binary.LittleEndian.PutUint16(acl[4+8*i:], e[0])
		binary.LittleEndian.PutUint16(acl[4+8*i+2:], e[1])
		binary.LittleEndian.PutUint32(acl[4+8*i+4:], 0xffffffff)
	}
	if err := unix.Setxattr(parent, "system.posix_acl_default", acl, 0); err != nil {
		validators.Missing(t, fmt.Sprintf("the file system of %s takes no POSIX ACL: %v", parent, err))
	}
	if outdir.ModesExact(parent) {
		t.Fatal("modes read as exact under a default ACL that takes other's bits")
	}
	out := filepath.Join(parent, "dist")
	if _, err := Update(context.Background(), out, []*model.Profile{{Name: "a", Description: "x"}}, []emitters.Emitter{bundletest.TwoFiles{}}, Options{}); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		want := fs.FileMode(0o644)
		if d.IsDir() {
			want = 0o755 | fs.ModeDir
		}
		if st.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, st.Mode(), want)
		}
		n++
		return nil
	})
	if err != nil || n < 6 {
		t.Fatalf("walked %d paths: %v", n, err)
	}
}

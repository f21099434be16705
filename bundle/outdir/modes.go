package outdir

import (
	"os"
	"path/filepath"
)

// ModesExact reports whether files and folders created in dir get exactly
// the modes they are created with (0644, 0755), so that a build need not
// chmod each one after creating it (210,000 system calls at 10,000
// profiles). It asks the file system rather than the umask: a default ACL on
// the folder takes the umask's place on Linux, and other file systems have
// rules of their own. It creates a probe file, a probe script and a probe
// folder in dir, compares their modes, and removes them; anything unexpected
// answers false, and every mode is then set with chmod.
func ModesExact(dir string) bool {
	ok := true
	for _, probe := range []struct {
		name   string
		mode   os.FileMode
		folder bool
	}{{".mdeproxyc-probe-file", 0o644, false}, {".mdeproxyc-probe-script", 0o755, false}, {".mdeproxyc-probe-folder", 0o755, true}} {
		p := filepath.Join(dir, probe.name)
		var err error
		if probe.folder {
			err = os.Mkdir(p, probe.mode)
		} else {
			var f *os.File
			if f, err = os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, probe.mode); err == nil {
				err = f.Close()
			}
		}
		if err != nil {
			return false
		}
		st, err := os.Lstat(p)
		want := probe.mode
		if probe.folder {
			want |= os.ModeDir
		}
		ok = ok && err == nil && st.Mode() == want
		if os.Remove(p) != nil {
			return false
		}
	}
	return ok
}

package bundle

import (
	"os"

	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
)

// Ahead is the manifest of the bundle a build will replace, read in the
// background while the caller compiles the fleet (ReadAhead), and handed to
// Update in Options.Ahead. At 10,000 profiles the manifest is 45 MB and
// encoding/json reads it in about half a second on one core; the compile
// then covers that time instead of adding to it (docs/PERFORMANCE.md).
type Ahead struct {
	out  string
	done chan struct{}
	pv   *previous
}

// aheadLimit is the largest manifest ReadAhead reads: 64 MiB, about 14,000
// profiles. A larger one would be held in memory through the compile's
// memory peak (the 1 GiB target at 100,000 profiles); Update reads it after
// the compile instead.
const aheadLimit = 64 << 20

// ReadAhead starts reading the manifest of the bundle in out, as Update
// with opt would (the same checks: no symlink followed, the checksum
// verified). It returns nil, and nothing is read, when a build with opt
// reads no previous manifest (--full) or out holds no regular manifest of
// at most aheadLimit bytes.
func ReadAhead(out string, opt Options) *Ahead {
	if !opt.readsPrevious() {
		return nil
	}
	out, err := outdir.Resolve(out)
	if err != nil {
		return nil
	}
	st, err := outdir.LstatIn(out, manifest.Path)
	if err != nil || !st.Mode().IsRegular() || st.Size() > aheadLimit {
		return nil
	}
	a := &Ahead{out: out, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		a.pv = readPrevious(out, true)
	}()
	return a
}

// previous waits for the read and returns what it found, if out (resolved)
// is the folder it was read from and out's manifest is still the very file
// it read: the same file (device and inode), size and modification time.
// Otherwise it returns nil and Update reads the manifest again, so that a
// bundle swapped in by another build, or a manifest edited, between
// ReadAhead and Update is read as it is now. (A manifest rewritten in place
// with the same size within one tick of the file system's clock would go
// unnoticed; even then nothing stale is carried over, since every carried
// file is checked by content against the entries used, and the no-change
// decision compares the manifest's bytes as they are on disk.)
func (a *Ahead) previous(out string) *previous {
	if a == nil || a.out != out {
		return nil
	}
	<-a.done
	if a.pv == nil {
		return nil
	}
	st, err := outdir.LstatIn(out, manifest.Path)
	if err != nil || !os.SameFile(st, a.pv.file) || st.Size() != a.pv.file.Size() || !st.ModTime().Equal(a.pv.file.ModTime()) {
		return nil
	}
	return a.pv
}

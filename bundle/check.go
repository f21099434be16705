package bundle

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/pol"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Check compares what a build would write with the folder out and returns a
// unified diff of every difference (files changed, missing, or that a build
// would remove), sorted by path; an empty result means out is up to date.
// Nothing is written.
func Check(out string, profiles []*model.Profile, list []emitters.Emitter) ([]byte, error) {
	c := &checker{root: out, diffs: map[string][]byte{}, want: map[string]bool{}}
	if _, err := Build(profiles, list, c); err != nil {
		return nil, err
	}
	var extra []string
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == out {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(out, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); !c.want[rel] {
			extra = append(extra, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, rel := range extra {
		have, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		c.diffs[rel] = textDiff("a/"+rel, have, "/dev/null", nil)
	}
	paths := make([]string, 0, len(c.diffs))
	for p := range c.diffs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var report bytes.Buffer
	for _, p := range paths {
		report.Write(c.diffs[p])
	}
	return report.Bytes(), nil
}

// checker is a Sink that compares each file with the one on disk.
type checker struct {
	root  string
	mu    sync.Mutex
	diffs map[string][]byte
	want  map[string]bool
}

// Put implements Sink.
func (c *checker) Put(f File) error {
	disk := filepath.Join(c.root, filepath.FromSlash(f.Path))
	var d []byte
	have, err := os.ReadFile(disk)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A whole new file's lines would make a first --check against an empty
		// folder print (and hold) the entire bundle: name it instead.
		d = fmt.Appendf(nil, "--- /dev/null\n+++ b/%s\nnew file, %d bytes\n", f.Path, len(f.Data))
	case err != nil:
		return err
	case !bytes.Equal(have, f.Data):
		d = textDiff("a/"+f.Path, have, "b/"+f.Path, f.Data)
	default:
		if st, err := os.Stat(disk); err == nil && execBitMatters && (st.Mode()&0o100 != 0) != f.Executable {
			d = fmt.Appendf(nil, "mode %s: executable %v, want %v\n", f.Path, st.Mode()&0o100 != 0, f.Executable)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.want[f.Path] = true
	if d != nil {
		c.diffs[f.Path] = d
	}
	return nil
}

// textDiff diffs two versions of a file as text. Files that are not text are
// decoded first so the diff shows which value changed — UTF-16 .reg files as
// UTF-8, Registry.pol one record a line — and other binary files are only named.
func textDiff(oldName string, old []byte, newName string, new []byte) []byte {
	o, howOld, okO := readable(oldName, old)
	n, howNew, okN := readable(newName, new)
	if !okO || !okN {
		return fmt.Appendf(nil, "Binary files %s and %s differ\n", oldName, newName)
	}
	d := diff.Diff(oldName, o, newName, n)
	if how := cmp.Or(howOld, howNew); how != "" {
		d = append([]byte(how+"\n"), d...)
	}
	return d
}

var bomUTF16LE = []byte{0xFF, 0xFE}

// readable returns a file's content as text and, when it had to be decoded,
// a line saying how; ok is false for binary content it cannot show. A missing
// side (nil) is empty text.
func readable(name string, b []byte) (text []byte, how string, ok bool) {
	switch {
	case b == nil:
		return nil, "", true
	case strings.HasSuffix(name, ".pol"):
		t, err := pol.Text(b)
		return []byte(t), "(Registry.pol shown decoded, one record a line)", err == nil
	case bytes.HasPrefix(b, bomUTF16LE) && len(b)%2 == 0:
		u := make([]uint16, 0, len(b)/2-1)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])|uint16(b[i+1])<<8)
		}
		return []byte(string(utf16.Decode(u))), "(UTF-16LE shown as UTF-8)", true
	case utf8.Valid(b) && !bytes.ContainsRune(b, 0):
		return b, "", true
	}
	return nil, "", false
}

// execBitMatters is false where the file system has no executable bit.
var execBitMatters = filepath.Separator == '/'

package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/diff"
)

// Check compares the bundle with the folder out and returns a unified diff of
// every difference (files changed, missing, or that a build would remove); an
// empty result means out is exactly what a build would write.
func (b *Bundle) Check(out string) ([]byte, error) {
	var report bytes.Buffer
	want := map[string]bool{}
	for _, f := range b.Files {
		want[f.Path] = true
		disk := filepath.Join(out, filepath.FromSlash(f.Path))
		have, err := os.ReadFile(disk)
		if errors.Is(err, fs.ErrNotExist) {
			report.Write(textDiff("/dev/null", nil, "b/"+f.Path, f.Data))
			continue
		}
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(have, f.Data) {
			report.Write(textDiff("a/"+f.Path, have, "b/"+f.Path, f.Data))
		}
		if st, err := os.Stat(disk); err == nil && execBitMatters && (st.Mode()&0o100 != 0) != f.Executable {
			fmt.Fprintf(&report, "mode %s: executable %v, want %v\n", f.Path, st.Mode()&0o100 != 0, f.Executable)
		}
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
		if rel = filepath.ToSlash(rel); !want[rel] {
			extra = append(extra, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(extra)
	for _, rel := range extra {
		have, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		report.Write(textDiff("a/"+rel, have, "/dev/null", nil))
	}
	return report.Bytes(), nil
}

// textDiff diffs two versions of a file as text: UTF-16 files (.reg) are decoded
// so the diff shows which value changed; binary files (.pol) are only named.
func textDiff(oldName string, old []byte, newName string, new []byte) []byte {
	o, okO := asText(old)
	n, okN := asText(new)
	if !okO || !okN {
		return fmt.Appendf(nil, "Binary files %s and %s differ\n", oldName, newName)
	}
	d := diff.Diff(oldName, o, newName, n)
	if bytes.HasPrefix(old, bomUTF16LE) || bytes.HasPrefix(new, bomUTF16LE) {
		d = append([]byte("(UTF-16LE shown as UTF-8)\n"), d...)
	}
	return d
}

var bomUTF16LE = []byte{0xFF, 0xFE}

func asText(b []byte) ([]byte, bool) {
	if bytes.HasPrefix(b, bomUTF16LE) && len(b)%2 == 0 {
		u := make([]uint16, 0, len(b)/2-1)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])|uint16(b[i+1])<<8)
		}
		return []byte(string(utf16.Decode(u))), true
	}
	if utf8.Valid(b) && !bytes.ContainsRune(b, 0) {
		return b, true
	}
	return nil, false
}

// execBitMatters is false where the file system has no executable bit.
var execBitMatters = filepath.Separator == '/'

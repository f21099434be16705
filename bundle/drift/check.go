// Package drift is build --check: it compares what a build would write with
// a folder, without writing anything, and reports every difference as a
// unified diff (binary formats decoded by the Decoders the command wires in)
// and a summary per profile. The folder may come from a pull request: it is
// read the safe way (bundle/outdir).
package drift

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
	"github.com/mdeproxyc/mdeproxyc/bundle/readme"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Decoder shows a binary file format as text, so --check's diff says which
// value changed. The format packages implement it and the command wires them
// in; bundle itself knows no file format but UTF-16.
type Decoder interface {
	// Readable returns data, the content of the bundle file at path, as text
	// and a line saying how it was decoded; ok is false when the decoder does
	// not handle path or cannot decode data.
	Readable(path string, data []byte) (text, how string, ok bool)
}

// Check compares what a build would write with the folder out and returns a
// unified diff of every difference (files changed, missing, or that a build
// would remove), sorted by path; an empty result means out is up to date.
// Nothing is written. Check never follows a symlink in out, never opens
// anything but a regular file, and reads a capped number of bytes of each:
// anything else is reported by its type (see docs/cli-safety.md).
func Check(out string, profiles []*model.Profile, list []emitters.Emitter, decoders ...Decoder) ([]byte, error) {
	r, err := CheckReport(out, profiles, list, decoders...)
	if err != nil {
		return nil, err
	}
	return r.Diff, nil
}

// CheckReport is Check with a per-profile summary of the changes
// (checkreport.go); the manifest, compared like every file, is shown as one
// line rather than its hash churn.
func CheckReport(out string, profiles []*model.Profile, list []emitters.Emitter, decoders ...Decoder) (*Report, error) {
	out = filepath.Clean(out)
	if st, err := os.Lstat(out); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("%s is %s, not a folder; --check compares only a real folder and follows no link (pass the folder itself)", outdir.Printable(out), outdir.KindOf(st.Mode()))
	}
	c := &checker{root: out, isBundle: outdir.IsBundle(out), diffs: map[string][]byte{}, want: map[string]bool{}, decoders: decoders, readmes: map[string][2][]byte{}}
	if _, err := bundle.Build(profiles, list, c); err != nil {
		return nil, err
	}
	var extra []string
	kinds := map[string]fs.FileMode{}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == out {
				return fs.SkipAll
			}
			return err
		}
		// WalkDir does not follow symlinks: a link to a folder is an entry
		// here, reported below by its type.
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(out, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); !c.want[rel] {
			extra = append(extra, rel)
			kinds[rel] = d.Type()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, rel := range extra {
		if _, done := c.diffs[rel]; done {
			continue // already reported as a symlink on the way to a file
		}
		if k := kinds[rel]; !k.IsRegular() {
			c.diffs[rel] = fmt.Appendf(nil, "--- a/%s\n+++ /dev/null\n%s\n", outdir.Printable(rel), removeNote(outdir.KindOf(k)))
			continue
		}
		have, _, err := outdir.ReadRegular(out, rel, outdir.MaxRead)
		var te *outdir.TypeError
		var tl *outdir.TooLargeError
		switch {
		case errors.As(err, &te):
			c.diffs[rel] = fmt.Appendf(nil, "--- a/%s\n+++ /dev/null\n%s\n", outdir.Printable(rel), removeNote(te.Kind))
		case errors.As(err, &tl):
			c.diffs[rel] = fmt.Appendf(nil, "--- a/%s\n+++ /dev/null\n%s\n", outdir.Printable(rel), removeNote(fmt.Sprintf("a file of %d bytes or more", tl.Size)))
		case err != nil:
			return nil, err
		default:
			c.diffs[rel] = c.textDiff("a/"+rel, have, "/dev/null", nil)
		}
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
	return &Report{Diff: report.Bytes(), Profiles: c.summary(out, profiles, paths)}, nil
}

func removeNote(kind string) string {
	return fmt.Sprintf("%s, not shown; a build would remove it", kind)
}

// checker is a bundle.Sink that compares each file with the one on disk.
type checker struct {
	root string
	// isBundle says root holds a bundle: its new files are shown in full.
	isBundle bool
	decoders []Decoder
	mu       sync.Mutex
	diffs    map[string][]byte
	want     map[string]bool
	// readmes holds the old and new README of each profile whose README
	// differs, for the summary's settings.
	readmes map[string][2][]byte
}

// Put implements bundle.Sink.
func (c *checker) Put(f bundle.File) error {
	if err := bundle.CheckLimits(f); err != nil {
		return err
	}
	key := f.Path
	var d []byte
	have, st, err := outdir.ReadRegular(c.root, f.Path, max(outdir.MaxRead, 2*int64(len(f.Data))))
	var te *outdir.TypeError
	var tl *outdir.TooLargeError
	switch {
	case errors.Is(err, fs.ErrNotExist) && !c.isBundle:
		// Against a folder that holds no bundle yet, every file is new:
		// showing each in full would print (and hold) the entire bundle.
		d = fmt.Appendf(nil, "--- /dev/null\n+++ b/%s\nnew file, %d bytes\n", f.Path, len(f.Data))
	case errors.Is(err, fs.ErrNotExist):
		// A new file in a bundle is shown in full, as a removed one is,
		// decoded like any other.
		d = c.textDiff("/dev/null", nil, "b/"+f.Path, f.Data)
	case errors.As(err, &te):
		// A symlink on the way is reported once, under its own path.
		key = te.Rel
		d = fmt.Appendf(nil, "--- a/%s\n+++ b/%s\n%s is %s, not followed and not read; a build writes %s here\n", outdir.Printable(te.Rel), outdir.Printable(te.Rel), outdir.Printable(te.Rel), te.Kind, te.Want)
	case errors.As(err, &tl):
		d = fmt.Appendf(nil, "--- a/%s\n+++ b/%s\n%d bytes or more, not read; a build writes %d bytes\n", f.Path, f.Path, tl.Size, len(f.Data))
	case err != nil:
		return err
	case !bytes.Equal(have, f.Data) && f.Path == manifest.Path:
		// Its lines are sizes and hashes of the files diffed above: checked,
		// not printed.
		d = fmt.Appendf(nil, "--- a/%s\n+++ b/%s\n%s differs (the sizes, hashes and digests of the changes above; not shown)\n", f.Path, f.Path, f.Path)
	case !bytes.Equal(have, f.Data):
		d = c.textDiff("a/"+f.Path, have, "b/"+f.Path, f.Data)
		if f.Target == readme.Target {
			c.mu.Lock()
			c.readmes[f.Profile] = [2][]byte{have, f.Data}
			c.mu.Unlock()
		}
	default:
		if execBitMatters && (st.Mode()&0o100 != 0) != f.Executable {
			d = fmt.Appendf(nil, "mode %s: executable %v, want %v\n", f.Path, st.Mode()&0o100 != 0, f.Executable)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.want[f.Path] = true
	if d != nil {
		c.diffs[key] = d
	}
	return nil
}

// textDiff diffs two versions of a file as text. Files that are not text are
// decoded first so the diff shows which value changed — UTF-16 .reg files as
// UTF-8, formats a Decoder knows (Registry.pol) one record a line — and other
// binary files are only named.
func (c *checker) textDiff(oldName string, old []byte, newName string, new []byte) []byte {
	oldName, newName = outdir.Printable(oldName), outdir.Printable(newName)
	o, howOld, okO := readable(c.decoders, oldName, old)
	n, howNew, okN := readable(c.decoders, newName, new)
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
// a line saying how; ok is false for content it cannot show: binary content,
// and text holding control characters (an escape sequence or a lone carriage
// return from a hostile bundle must not reach a terminal or a CI log). A
// missing side (nil) is empty text.
func readable(decoders []Decoder, name string, b []byte) (text []byte, how string, ok bool) {
	if b == nil {
		return nil, "", true
	}
	for _, d := range decoders {
		if t, how, ok := d.Readable(name, b); ok {
			return showable([]byte(t), how)
		}
	}
	switch {
	case bytes.HasPrefix(b, bomUTF16LE) && len(b)%2 == 0:
		u := make([]uint16, 0, len(b)/2-1)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])|uint16(b[i+1])<<8)
		}
		return showable([]byte(string(utf16.Decode(u))), "(UTF-16LE shown as UTF-8)")
	case utf8.Valid(b):
		return showable(b, "")
	}
	return nil, "", false
}

// showable passes text through when it holds no control character but tab,
// line feed, and carriage return before a line feed (the .reg and .ps1 files
// end lines with CRLF), and no UTF-8 byte order mark but at the start.
func showable(t []byte, how string) ([]byte, string, bool) {
	for i, w := 0, 0; i < len(t); i += w {
		var r rune
		r, w = utf8.DecodeRune(t[i:])
		switch {
		case r == '\t' || r == '\n':
		case r == '\r' && i+1 < len(t) && t[i+1] == '\n':
		case r == 0xFEFF && i == 0:
		case r == utf8.RuneError && w == 1, r < 0x20, r >= 0x7f && r <= 0x9f, r == 0x2028, r == 0x2029,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return nil, "", false
		}
	}
	return t, how, true
}

// execBitMatters is false where the file system has no executable bit.
var execBitMatters = filepath.Separator == '/'

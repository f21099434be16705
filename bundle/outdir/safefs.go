package outdir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
)

// The folder --check compares and the previous bundle build replaces may come
// from a pull request, that is from an attacker: a symlink there must not make
// the tool print /etc/shadow or .git/config in a CI log, and a FIFO or a link
// to /dev/zero must not hang it or exhaust its memory. So the bundle reader
// looks at every path with Lstat, follows no symlink (not in the last component
// and not in a folder on the way), opens only regular files, without blocking,
// and reads at most a capped number of bytes. docs/cli-safety.md says what is
// reported instead.

// MaxRead caps how much of one file in an existing bundle is read; a file the
// build would write may be read up to twice its new size, so a large manifest
// still diffs.
const MaxRead = 16 << 20

// TypeError reports a path in the bundle that is not what a build writes there:
// a symlink, FIFO, device, socket or folder where a file belongs, or something
// other than a folder on the way to a file.
type TypeError struct {
	Rel  string // slash-separated, relative to the bundle root
	Kind string // "a symbolic link", "a named pipe (FIFO)", …
	Want string // "a regular file" or "a folder"
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("%s is %s, not %s (not followed, not read)", Printable(e.Rel), e.Kind, e.Want)
}

// TooLargeError reports a regular file over the read cap.
type TooLargeError struct {
	Rel         string
	Size, Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is %d bytes or more, over the %d bytes this tool reads of it (not read)", Printable(e.Rel), e.Size, e.Limit)
}

// KindOf names a file type the way messages show it.
func KindOf(m fs.FileMode) string {
	switch t := m.Type(); {
	case t&fs.ModeSymlink != 0:
		return "a symbolic link"
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeDevice != 0:
		return "a device"
	case t.IsDir():
		return "a folder"
	case t.IsRegular():
		return "a regular file"
	}
	return "an irregular file"
}

// LstatIn returns the Lstat of rel below root after checking, with Lstat, that
// every folder on the way is a real folder; a symlink on the way is a
// *TypeError naming it. A missing path is fs.ErrNotExist.
func LstatIn(root, rel string) (fs.FileInfo, error) {
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		dir := path.Join(parts[:i]...)
		st, err := os.Lstat(filepath.Join(root, filepath.FromSlash(dir)))
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			return nil, &TypeError{Rel: dir, Kind: KindOf(st.Mode()), Want: "a folder"}
		}
	}
	return os.Lstat(filepath.Join(root, filepath.FromSlash(rel)))
}

// ReadRegular reads the regular file rel below root, at most limit bytes,
// without following a symlink or blocking on a FIFO; anything but a regular
// file is a *TypeError, a larger file a *TooLargeError.
func ReadRegular(root, rel string, limit int64) ([]byte, fs.FileInfo, error) {
	f, st, err := OpenRegular(root, rel, limit)
	if err != nil {
		return nil, st, err
	}
	defer f.Close()
	// Sized from the Lstat, so a 25 MB manifest is read without the copies
	// io.ReadAll's doubling makes (bytes.Buffer wants MinRead bytes spare).
	buf := bytes.NewBuffer(make([]byte, 0, min(st.Size(), limit)+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, st, err
	}
	data := buf.Bytes()
	if int64(len(data)) > limit {
		return nil, st, &TooLargeError{Rel: rel, Size: int64(len(data)), Limit: limit}
	}
	return data, st, nil
}

// OpenRegular opens the regular file rel below root for reading, as
// ReadRegular reads it: no symlink followed, no FIFO waited on, at most limit
// bytes in size when opened.
func OpenRegular(root, rel string, limit int64) (*os.File, fs.FileInfo, error) {
	st, err := LstatIn(root, rel)
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, st, &TypeError{Rel: rel, Kind: KindOf(st.Mode()), Want: "a regular file"}
	}
	if st.Size() > limit {
		return nil, st, &TooLargeError{Rel: rel, Size: st.Size(), Limit: limit}
	}
	// The flags close the race in which the file is replaced by a symlink or a
	// FIFO between Lstat and open; SameFile catches any other swap.
	f, err := os.OpenFile(filepath.Join(root, filepath.FromSlash(rel)), os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		return nil, st, err
	}
	ost, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, st, err
	}
	if !ost.Mode().IsRegular() || !os.SameFile(st, ost) {
		f.Close()
		return nil, st, &TypeError{Rel: rel, Kind: "a file that changed while it was read", Want: "a regular file"}
	}
	return f, st, nil
}

// IsBundle reports whether dir holds a manifest written by this tool. It reads
// the manifest the safe way (no symlink, no FIFO) and only up to its "tool"
// member, which Encode writes first.
func IsBundle(dir string) bool {
	st, err := LstatIn(dir, manifest.Path)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.OpenFile(filepath.Join(dir, manifest.Path), os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if ost, err := f.Stat(); err != nil || !os.SameFile(st, ost) {
		return false
	}
	tool, err := manifestTool(io.LimitReader(f, MaxRead))
	return err == nil && tool == manifest.ToolName
}

// manifestTool returns the top-level "tool" member of a manifest, reading no
// further than it.
func manifestTool(r io.Reader) (string, error) {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", errors.New("not a JSON object")
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return "", err
		}
		if k == "tool" {
			var tool string
			err := dec.Decode(&tool)
			return tool, err
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", err
		}
	}
	return "", errors.New("no tool member")
}

// Printable returns s as it is when every character of it is printable, and
// Go-quoted otherwise, so a file name from a hostile bundle can neither end a
// line in a CI log (and start a workflow command) nor move a terminal's cursor.
func Printable(s string) string {
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

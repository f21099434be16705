package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Write builds the bundle into the folder out, atomically: files go into a
// temporary sibling folder which then takes out's place, so a failed or
// interrupted build leaves the previous bundle as it was, and files the previous
// build made that this one does not are gone. Write refuses to replace a
// non-empty folder that is not an mdeproxyc bundle.
func Write(out string, profiles []*model.Profile, list []emitters.Emitter) (*Manifest, error) {
	out = filepath.Clean(out)
	if err := checkReplaceable(out); err != nil {
		return nil, err
	}
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	removeStale(parent)
	tmp, err := os.MkdirTemp(parent, tempPrefix)
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	m, err := Build(profiles, list, &folder{root: tmp})
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(tmp, out); err != nil {
			return nil, err
		}
		committed = true
		return m, nil
	}
	if err := swap(tmp, out); err != nil {
		return nil, err
	}
	committed = true
	// tmp now holds the previous bundle.
	return m, os.RemoveAll(tmp)
}

// tempPrefix names the temporary folders builds write into, beside --out.
const tempPrefix = ".mdeproxyc-build-"

// staleAfter is the age at which a temporary folder is taken to be left over
// from a killed build, not one still running.
const staleAfter = 24 * time.Hour

// removeStale deletes temporary folders that killed builds left beside the
// output folder.
func removeStale(parent string) {
	matches, _ := filepath.Glob(filepath.Join(parent, tempPrefix+"*"))
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && st.IsDir() && time.Since(st.ModTime()) > staleAfter {
			os.RemoveAll(m)
		}
	}
}

// swapFallback exchanges two folders with two renames, for systems without an
// atomic exchange. An interruption between them leaves the old bundle in a
// hidden sibling folder, never half a bundle in out.
func swapFallback(tmp, out string) error {
	old := tmp + ".old"
	if err := os.Rename(out, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		_ = os.Rename(old, out)
		return err
	}
	return os.Rename(old, tmp)
}

// folder is a Sink that writes files below root.
type folder struct {
	root string
	// dirs remembers the folders already made; profiles' folders are made by
	// the worker that writes the profile, so creation never races.
	dirs sync.Map
}

// Put implements Sink.
func (f *folder) Put(file File) error {
	p := filepath.Join(f.root, filepath.FromSlash(file.Path))
	dir := filepath.Dir(p)
	if _, made := f.dirs.Load(dir); !made {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		f.dirs.Store(dir, true)
	}
	mode := fs.FileMode(0o644)
	if file.Executable {
		mode = 0o755
	}
	return os.WriteFile(p, file.Data, mode)
}

// checkReplaceable refuses to replace anything but a missing folder, an empty
// one, or a bundle this tool wrote: `-o .` by mistake must not wipe a repository.
func checkReplaceable(out string) error {
	st, err := os.Lstat(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s exists and is not a folder; refusing to replace it", out)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	if !IsBundle(out) {
		return fmt.Errorf("%s is not empty and holds no mdeproxyc manifest.json; refusing to replace it (choose another --out, or empty it)", out)
	}
	return nil
}

// IsBundle reports whether dir holds a manifest written by this tool.
func IsBundle(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, ManifestPath))
	if err != nil {
		return false
	}
	var m Manifest
	return json.Unmarshal(data, &m) == nil && m.Tool == ToolName
}

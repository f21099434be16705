package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// Write replaces the folder out with the bundle, atomically: the bundle is
// written into a temporary sibling folder which then takes out's place, so a
// failed or interrupted build leaves the previous bundle as it was, and files the
// previous build made that this one does not are gone. Write refuses to replace
// a non-empty folder that is not an mdeproxyc bundle.
func (b *Bundle) Write(out string) error {
	out = filepath.Clean(out)
	if err := checkReplaceable(out); err != nil {
		return err
	}
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".mdeproxyc-build-")
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := b.writeFiles(tmp); err != nil {
		return err
	}
	if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(tmp, out); err != nil {
			return err
		}
		committed = true
		return nil
	}
	if err := swap(tmp, out); err != nil {
		return err
	}
	committed = true
	// tmp now holds the previous bundle.
	return os.RemoveAll(tmp)
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

func (b *Bundle) writeFiles(root string) error {
	dirs := map[string]bool{}
	for _, f := range b.Files {
		dirs[filepath.Dir(filepath.Join(root, filepath.FromSlash(f.Path)))] = true
	}
	for d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// Many small files: a few writers in parallel keep the disk busy.
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := make(chan *File)
	for range max(4, 2*runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				mode := fs.FileMode(0o644)
				if f.Executable {
					mode = 0o755
				}
				if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(f.Path)), f.Data, mode); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range b.Files {
		next <- &b.Files[i]
	}
	close(next)
	wg.Wait()
	return first
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

package outdir

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"syscall"
)

// NewFolder returns the Folder that writes below root; once ctx is
// cancelled, it writes nothing more.
func NewFolder(ctx context.Context, root string) *Folder {
	return &Folder{ctx: ctx, root: root, modesExact: ModesExact(root)}
}

// Folder writes a bundle's files below its root, the build's temporary
// folder: each file created anew (O_EXCL), with the mode the build gives it,
// whatever the umask: 0644 files, 0755 scripts meant to run, 0755 folders.
type Folder struct {
	// ctx stops the build: once it is cancelled, nothing more is written.
	// Nil: never.
	ctx  context.Context
	root string
	// modesExact says files and folders created below root get exactly the
	// modes they are created with (ModesExact), so they need no chmod
	// after it. Unset, every mode is set explicitly, whatever the umask or a
	// default ACL would make of it.
	modesExact bool
	// sets remember the folders already made, by slash path below root: one
	// set per profile, dropped when the profile is done (ProfileDone), and
	// one for the files of no profile. Remembering every folder of a
	// 100,000-profile bundle to the end took 90 MB.
	mu   sync.Mutex
	sets map[string]*dirSet
}

// stopped is the error of the folder's context once it is cancelled.
func (f *Folder) stopped() error {
	if f.ctx == nil {
		return nil
	}
	return f.ctx.Err()
}

// dirSet is the folders made for one profile.
type dirSet struct {
	mu   sync.Mutex
	made map[string]bool
}

// set returns profile's set of folders made.
func (f *Folder) set(profile string) *dirSet {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sets == nil {
		f.sets = map[string]*dirSet{}
	}
	s := f.sets[profile]
	if s == nil {
		s = &dirSet{made: map[string]bool{}}
		f.sets[profile] = s
	}
	return s
}

// ProfileDone says the profile's files are all written: its set of folders
// made is dropped.
func (f *Folder) ProfileDone(profile string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sets, profile)
}

// Write writes data as the new file rel (slash-separated) of profile ("":
// none), making its folders.
func (f *Folder) Write(rel, profile string, data []byte, executable bool) error {
	if err := f.stopped(); err != nil {
		return err
	}
	if dir := path.Dir(rel); dir != "." {
		if err := f.mkdirs(profile, dir); err != nil {
			return err
		}
	}
	return f.create(filepath.Join(f.root, filepath.FromSlash(rel)), FileMode(executable), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Create writes the new file rel at the root (a manifest), mode 0644, as
// write writes it.
func (f *Folder) Create(rel string, write func(w io.Writer) error) error {
	if err := f.stopped(); err != nil {
		return err
	}
	return f.create(filepath.Join(f.root, filepath.FromSlash(rel)), FileMode(false), write)
}

// create makes the new file p (never an existing one: O_EXCL), has write
// fill it, and gives it mode whatever the umask.
func (f *Folder) create(p string, mode fs.FileMode, write func(w io.Writer) error) error {
	w, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	err = write(w)
	if err == nil && !f.modesExact {
		err = w.Chmod(mode)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// mkdirs makes the folders of the slash-separated relative path rel below
// root, each 0755, remembering them in profile's set.
func (f *Folder) mkdirs(profile, rel string) error {
	s := f.set(profile)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i <= len(rel); i++ {
		if i < len(rel) && rel[i] != '/' {
			continue
		}
		dir := rel[:i]
		if s.made[dir] {
			continue
		}
		full := filepath.Join(f.root, filepath.FromSlash(dir))
		if err := os.Mkdir(full, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if !f.modesExact {
			if err := os.Chmod(full, 0o755); err != nil {
				return err
			}
		}
		s.made[dir] = true
	}
	return nil
}

// Link takes the file rel of profile over from the previous bundle in the
// folder from: a hard link to it, or a copy where the file system has no
// hard links (size bytes, at most, are read).
func (f *Folder) Link(from, rel, profile string, size int64, executable bool) error {
	if err := f.stopped(); err != nil {
		return err
	}
	if dir := path.Dir(rel); dir != "." {
		if err := f.mkdirs(profile, dir); err != nil {
			return err
		}
	}
	src := filepath.Join(from, filepath.FromSlash(rel))
	dst := filepath.Join(f.root, filepath.FromSlash(rel))
	// link(2) does not follow a symlink in its last component, and plan
	// checked every folder on the way with Lstat.
	err := os.Link(src, dst)
	if err == nil {
		return nil
	}
	var le *os.LinkError
	if !errors.As(err, &le) || !(errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EMLINK)) {
		return err
	}
	data, _, err := ReadRegular(from, rel, size)
	if err != nil {
		return err
	}
	return f.Write(rel, profile, data, executable)
}

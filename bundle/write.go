package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"

	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// Write builds the bundle into the folder out, atomically: files go into a
// temporary sibling folder which then takes out's place, so a failed or
// interrupted build leaves the previous bundle as it was, and files the previous
// build made that this one does not are gone. Write refuses to replace a
// non-empty folder that is not an mdeproxyc bundle.
//
// The error says what state out is in. With a nil manifest the build failed
// and the previous bundle is untouched, unless the error is a *outdir.MovedError.
// With a manifest and a *outdir.LeftoverError the new bundle is in place and only
// the removal of the previous one failed.
func Write(out string, profiles []*model.Profile, list []emitters.Emitter, opts ...emitters.Option) (*manifest.Manifest, error) {
	r, err := Update(context.Background(), out, profiles, list, Options{Render: opts})
	if r == nil {
		return nil, err
	}
	return r.Manifest, err
}

// Update is Write as the build command runs it: incremental (profiles whose
// digest is unchanged are carried over from the bundle in out), partial with
// opt.Partial, and a no-op when out already holds exactly this build
// (incremental.go). The result is byte for byte what a full build writes. On
// error the Result is nil unless the error is a *outdir.LeftoverError. When ctx is
// cancelled before the new bundle takes out's place, the build stops, removes
// its temporary folder and returns ctx's error; out is untouched.
func Update(ctx context.Context, out string, profiles []*model.Profile, list []emitters.Emitter, opt Options) (*Result, error) {
	out, err := outdir.Resolve(out)
	if err != nil {
		return nil, err
	}
	if err := outdir.CheckReplaceable(out); err != nil {
		return nil, err
	}
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	outdir.RemoveStale(parent)
	pl := newPlan(profiles, list, opt)
	var pv *previous
	if opt.Partial || !opt.Full {
		pv = readPrevious(out, true)
	}
	if opt.Partial && pv == nil && outdir.IsBundle(out) {
		// A partial build keeps the other profiles by the manifest's
		// record of them; without one it would write the named profiles
		// only, and every other profile would be gone.
		return nil, fmt.Errorf("cannot keep the other profiles of %s: its %s cannot be read (edited by hand, written by an earlier version without a checksum, or its checksum does not match its contents); build every profile (without -p) to rewrite it", out, manifest.Path)
	}
	if err := pl.over(profiles, pv); err != nil {
		return nil, err
	}
	if opt.Progress != nil {
		opt.Progress.Total.Store(int64(len(profiles)))
	}
	if pl.unchanged(profiles, pv) {
		return &Result{Manifest: pv.manifest, Carried: len(profiles), Unchanged: true}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tmp, err := outdir.NewTemp(parent)
	if err != nil {
		return nil, err
	}
	defer tmp.Release()
	if err := os.Chmod(tmp.Path, 0o755); err != nil {
		return nil, err
	}
	f := &folder{ctx: ctx, root: tmp.Path, modesExact: outdir.ModesExact(tmp.Path)}
	m, err := build(profiles, list, dest{sink: f, carry: f.carry, putManifest: f.putManifest, profileDone: f.profileDone}, pl)
	if err != nil {
		return nil, err
	}
	r := &Result{Manifest: m, Rendered: int(pl.rendered.Load()), Carried: int(pl.carried.Load()), Kept: len(pl.kept), FleetKept: pl.keepFleet}
	exchanged, err := tmp.Commit(ctx, out)
	afterSwap()
	var left *outdir.LeftoverError
	if errors.As(err, &left) {
		return r, err
	}
	if err != nil {
		return nil, outdir.OutError(out, err)
	}
	if !exchanged {
		return r, nil
	}
	// tmp now holds the previous bundle.
	if err := removeAll(tmp.Path); err != nil {
		return r, &outdir.LeftoverError{Dir: tmp.Path, Err: err}
	}
	return r, nil
}

// afterSwap runs right after the swap; tests replace it.
var afterSwap = func() {}

// removeAll removes the previous bundle after the swap; tests replace it to
// make removal fail.
var removeAll = outdir.RemoveTree

// folder is a Sink that writes files below root.
type folder struct {
	// ctx stops the build: once it is cancelled, Put fails. Nil: never.
	ctx  context.Context
	root string
	// modesExact says files and folders created below root get exactly the
	// modes they are created with (outdir.ModesExact), so they need no chmod
	// after it. Unset, every mode is set explicitly, whatever the umask or a
	// default ACL would make of it.
	modesExact bool
	// sets remember the folders already made, by slash path below root: one
	// set per profile, dropped when the profile is done (profileDone), and
	// one for the files of no profile. Remembering every folder of a
	// 100,000-profile bundle to the end took 90 MB.
	mu   sync.Mutex
	sets map[string]*dirSet
}

// stopped is the error of the folder's context once it is cancelled.
func (f *folder) stopped() error {
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
func (f *folder) set(profile string) *dirSet {
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

// profileDone is a folder's dest.profileDone: the profile's folders are all
// made, and their set is dropped.
func (f *folder) profileDone(profile string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sets, profile)
}

// Put implements Sink. Modes are set explicitly, whatever the umask: 0644
// files, 0755 scripts meant to run, 0755 folders.
func (f *folder) Put(file File) error {
	if err := f.stopped(); err != nil {
		return err
	}
	if err := CheckLimits(file); err != nil {
		return err
	}
	p := filepath.Join(f.root, filepath.FromSlash(file.Path))
	if rel := path.Dir(file.Path); rel != "." {
		if err := f.mkdirs(file.Profile, rel); err != nil {
			return err
		}
	}
	mode := fs.FileMode(0o644)
	if file.Executable {
		mode = 0o755
	}
	return f.create(p, mode, func(w io.Writer) error {
		_, err := w.Write(file.Data)
		return err
	})
}

// create makes the new file p (never an existing one: O_EXCL), has write
// fill it, and gives it mode whatever the umask.
func (f *folder) create(p string, mode fs.FileMode, write func(w io.Writer) error) error {
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

// putManifest is a folder's dest.putManifest: the manifest is written as it is
// encoded, so a build never holds its bytes (40 MB at 10,000 profiles, and
// twice that while a growing buffer is copied).
func (f *folder) putManifest(m *manifest.Manifest) error {
	if err := f.stopped(); err != nil {
		return err
	}
	return f.create(filepath.Join(f.root, manifest.Path), 0o644, func(w io.Writer) (err error) {
		m.EncodeChunks(func(chunk []byte) bool {
			_, err = w.Write(chunk)
			return err == nil
		})
		return err
	})
}

// mkdirs makes the folders of the slash-separated relative path rel below
// root, each 0755, remembering them in profile's set.
func (f *folder) mkdirs(profile, rel string) error {
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

package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
	if opt.readsPrevious() {
		if pv = opt.Ahead.previous(out); pv == nil {
			pv = readPrevious(out, true)
		}
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
	f := folder{outdir.NewFolder(ctx, tmp.Path)}
	m, err := build(profiles, list, dest{sink: f, carry: f.carry, putManifest: f.putManifest, profileDone: f.ProfileDone}, pl)
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

// folder is Update's destination: the temporary folder (outdir.Folder)
// behind the Sink interface, with the limits every build checks.
type folder struct{ *outdir.Folder }

// Put implements Sink.
func (f folder) Put(file File) error {
	if err := CheckLimits(file); err != nil {
		return err
	}
	return f.Write(file.Path, file.Profile, file.Data, file.Executable)
}

// carry is a folder's dest.carry: the previous bundle's file, linked.
func (f folder) carry(from string, e manifest.Entry) error {
	return f.Link(from, e.Path, e.Profile, int64(e.Size), e.Executable)
}

// putManifest is a folder's dest.putManifest: the manifest is written as it
// is encoded, so a build never holds its bytes (40 MB at 10,000 profiles,
// and twice that while a growing buffer is copied).
func (f folder) putManifest(m *manifest.Manifest) error {
	return f.Create(manifest.Path, func(w io.Writer) (err error) {
		m.EncodeChunks(func(chunk []byte) bool {
			_, err = w.Write(chunk)
			return err == nil
		})
		return err
	})
}

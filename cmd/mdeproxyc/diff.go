package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/semdiff"
)

// diff compares two versions of a fleet: two folders, or a folder with itself
// at a Git revision. Exit 0 when nothing changes, 1 when something does (or a
// version does not compile), 2 on usage errors.
func (c *cli) diff(ctx context.Context, args []string) error {
	fs := c.flags("diff")
	base := fs.String("base", "", "compare DIR (default .) with the same folder at this Git revision (main, HEAD~1, a commit)")
	format := fs.String("format", "text", "output format: "+strings.Join(semdiff.Formats, ", "))
	if stop, err := c.parse(fs, args, 2); stop {
		return err
	}
	if !slices.Contains(semdiff.Formats, *format) {
		return usagef("diff: unknown format %q; formats are: %s", *format, strings.Join(semdiff.Formats, ", "))
	}
	var oldDir, newDir, oldName string
	switch {
	case *base != "" && fs.NArg() <= 1:
		newDir = dirArg(fs)
		dir, cleanup, err := checkoutAt(newDir, *base)
		if err != nil {
			return usagef("diff: --base %s: %v", *base, err)
		}
		defer cleanup()
		oldDir = dir
		// Positions in the old version name the revision, not the temporary copy.
		oldName = *base + ":" + filepath.ToSlash(filepath.Clean(newDir))
	case *base == "" && fs.NArg() == 2:
		oldDir, newDir = fs.Arg(0), fs.Arg(1)
	default:
		return usagef("diff: give two fleet folders (OLD NEW), or --base REV and at most one folder")
	}
	// A fleet folder that the base revision does not have yet (the pull
	// request adds it) is an empty fleet: every profile is added.
	var old []*model.Profile
	if oldDir != "" {
		var err error
		if old, err = c.compileFleet(ctx, oldDir, compile.Options{}); err != nil {
			return err
		}
	}
	cur, err := c.compileFleet(ctx, newDir, compile.Options{})
	if err != nil {
		return err
	}
	cwd, _ := os.Getwd()
	relocate(old, func(file string) string {
		if oldName != "" {
			if rel, err := filepath.Rel(oldDir, file); err == nil {
				return oldName + "/" + filepath.ToSlash(rel)
			}
		}
		return diag.RelPath(cwd, file)
	})
	relocate(cur, func(file string) string { return diag.RelPath(cwd, file) })
	changes, err := semdiff.Compare(old, cur, all.Emitters())
	if err != nil {
		return fmt.Errorf("diff: %v", err)
	}
	if err := semdiff.Write(c.stdout, *format, changes); err != nil {
		return fmt.Errorf("diff: %v", err)
	}
	if len(changes) > 0 {
		return errReported
	}
	return nil
}

// relocate rewrites the file names of every origin, for printing.
func relocate(ps []*model.Profile, name func(string) string) {
	for _, p := range ps {
		for k, o := range p.Origins {
			o.Pos.File = name(o.Pos.File)
			p.Origins[k] = o
		}
	}
}

// checkoutAt writes the fleet folder dir as it was at revision rev into a new
// temporary folder, with the git on PATH, and returns that folder's path.
func checkoutAt(dir, rev string) (string, func(), error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	git := func(args ...string) ([]byte, error) {
		cmd := exec.Command("git", append([]string{"-C", abs}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			msg := strings.TrimSpace(stderr.String())
			if msg == "" {
				msg = err.Error()
			}
			return nil, errors.New(msg)
		}
		return out, nil
	}
	prefix, err := git("rev-parse", "--show-prefix")
	if err != nil {
		return "", nil, fmt.Errorf("%s is not in a Git repository: %v", dir, err)
	}
	top, err := git("rev-parse", "--show-toplevel")
	if err != nil {
		return "", nil, err
	}
	// git archive runs at the top of the work tree: inside a subfolder it
	// refuses folders it considers untracked.
	abs = strings.TrimSpace(string(top))
	if _, err := git("rev-parse", "--verify", "--quiet", rev+"^{commit}"); err != nil {
		return "", nil, fmt.Errorf("no such revision")
	}
	// REV:path names the folder's tree at that revision: the archive then
	// holds its files with paths relative to it. A folder the revision does
	// not have is an empty fleet, not an error.
	tree := rev + ":" + strings.TrimSuffix(strings.TrimSpace(string(prefix)), "/")
	if _, err := git("cat-file", "-e", tree); err != nil {
		return "", func() {}, nil
	}
	archive, err := git("archive", "--format=tar", tree)
	if err != nil {
		return "", nil, fmt.Errorf("the folder does not exist at that revision: %v", err)
	}
	tmp, err := os.MkdirTemp("", "mdeproxyc-base-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	if err := untar(archive, tmp); err != nil {
		cleanup()
		return "", nil, err
	}
	return tmp, cleanup, nil
}

// untar writes the regular files and folders of a tar archive below dir. Git
// archives hold nothing else that a fleet needs; links are skipped, and no
// name may leave dir.
func untar(data []byte, dir string) error {
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(h.Name))
		if !filepath.IsLocal(name) {
			return fmt.Errorf("archive entry %q leaves the folder", h.Name)
		}
		target := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}

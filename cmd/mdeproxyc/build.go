package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/bundle/manifest"
	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/lint"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/signing"
)

func (c *cli) build(ctx context.Context, args []string) error {
	fs := c.flags("build")
	out := fs.StringP("out", "o", "dist", "output folder (replaced as a whole, atomically)")
	profiles := fs.StringSliceP("profile", "p", nil, "rebuild only these profiles (repeatable, or comma-separated); the bundle's other profiles stay as they are")
	targets := fs.StringSliceP("target", "t", nil, "only these emitters (repeatable; see 'mdeproxyc targets')")
	check := fs.Bool("check", false, "write nothing; exit 1 and print what changes (summary, then a diff) when --out differs from what a build would write")
	full := fs.Bool("full", false, "render every profile, even those whose inputs are unchanged since the previous bundle")
	progress := fs.Bool("progress", false, "report progress on stderr even when it is not a terminal")
	quiet := fs.BoolP("quiet", "q", false, "no progress and no summary line; errors only")
	signCert := fs.String("sign-cert", "", "Authenticode-sign every .ps1 (and the Intune bodies' copies) with this PKCS#12 file, or PEM certificate + key")
	signPasswordEnv := fs.String("sign-password-env", "", "the environment variable holding the PKCS#12 password")
	timestampURL := fs.String("timestamp-url", "", "RFC 3161 timestamp server for the signatures (output then differs from run to run)")
	if stop, err := c.parse(fs, args, 1); stop {
		return err
	}
	c.writes = !*check
	if *progress && *quiet {
		return usagef("build: --progress and --quiet exclude each other")
	}
	var (
		opts   []emitters.Option
		inputs []string // what the render depends on beyond the model
	)
	if *signCert == "" && (*signPasswordEnv != "" || *timestampURL != "") {
		return usagef("build: --sign-password-env and --timestamp-url need --sign-cert")
	}
	if *check && len(*profiles) > 0 {
		// A partial build keeps the other profiles as they were; --check
		// compares the whole bundle with the whole intent.
		return usagef("build: --check compares the whole bundle with the intent; run it without --profile")
	}
	if *signCert != "" {
		if *check {
			return usagef("build: --check does not sign yet; run it without --sign-cert")
		}
		s, err := signing.Load(*signCert, *signPasswordEnv, *timestampURL)
		if err != nil {
			return fmt.Errorf("build: --sign-cert %v; nothing was written", err)
		}
		if w := s.Warning(); w != "" {
			c.errorf("warning: %s", w)
		}
		opts = append(opts, emitters.WithSigner(s))
		inputs = append(inputs, s.Identity())
	}
	list, err := c.selectEmitters(*targets)
	if err != nil {
		return err
	}
	// The whole fleet is compiled and vetted even when --profile selects a
	// few: rules across profiles (MDE015: two Macs' profiles with one
	// identifier) hold between a selected profile and every other.
	dir := dirArg(fs)
	// The previous bundle's manifest is read while the fleet compiles; the
	// build uses it if the bundle is still the one read (bundle.Ahead).
	bopt := bundle.Options{Partial: len(*profiles) > 0, Full: *full, Render: opts, Inputs: inputs}
	if !*check {
		bopt.Ahead = bundle.ReadAhead(*out, bopt)
	}
	ps, err := c.compileFleet(ctx, dir, compile.Options{})
	if err != nil {
		return err
	}
	findings := lint.Run(ps)
	fitMemoryLimit(len(ps), previousManifestSize(*out))
	if len(*profiles) > 0 {
		if ps, err = c.selectProfiles(ctx, dir, ps, *profiles); err != nil {
			return err
		}
		findings = concerning(findings, ps)
	}
	// A bundle that would break devices is not written: error-level vet rules
	// block the build; warnings are vet's business.
	if errs := lint.Errors(findings); len(errs) > 0 {
		c.printDiags(errs)
		return fmt.Errorf("%s; nothing was written", count(len(errs), "vet error"))
	}
	if n := len(findings); n > 0 && !*quiet {
		var parts []string
		if w := findings.Count(diag.Warning); w > 0 {
			parts = append(parts, count(w, "warning"))
		}
		if n := findings.Count(diag.Info); n > 0 {
			parts = append(parts, count(n, "note"))
		}
		fmt.Fprintf(c.stderr, "vet: %s: %s to read them\n", strings.Join(parts, ", "), hint("mdeproxyc", "vet", dir))
	}
	// --full: the hint must repair whatever --check found, whatever the
	// previous bundle holds.
	rebuild := []string{"mdeproxyc", "build", dir, "-o", *out, "--full"}
	if *check {
		return c.check(*out, ps, list, hint(rebuild...))
	}
	mode := progressAuto
	switch {
	case *progress:
		mode = progressOn
	case *quiet:
		mode = progressQuiet
	}
	var prog bundle.Progress
	stop := c.progress(&prog, mode)
	_, statErr := os.Lstat(*out)
	bopt.Progress = &prog
	r, err := bundle.Update(ctx, *out, ps, list, bopt)
	stop()
	var left *outdir.LeftoverError
	var moved *outdir.MovedError
	switch {
	case errors.As(err, &left) && r != nil:
		// The swap succeeded: the build did its job, the user has a folder to
		// remove.
		c.wrote(*out, r, *quiet)
		c.errorf("warning: %v; remove it by hand", err)
		return interruptedAfter(ctx)
	case errors.As(err, &moved):
		return err
	case errors.Is(err, context.Canceled):
		return &interruptedError{state: "the previous bundle is untouched"}
	case err != nil && statErr != nil:
		return fmt.Errorf("%v; nothing was written", err)
	case err != nil:
		return fmt.Errorf("%v; the previous bundle is untouched", err)
	}
	c.wrote(*out, r, *quiet)
	return interruptedAfter(ctx)
}

// interruptedAfter is what a build that put its bundle in place returns: nil,
// unless a signal came while it did (the process still exits as the signal
// asks, saying the new bundle is there).
func interruptedAfter(ctx context.Context) error {
	if ctx.Err() != nil {
		return &interruptedError{state: "the new bundle was already in place"}
	}
	return nil
}

// wrote prints a build's summary line: what is in the bundle, then how much
// was rendered, carried over unchanged, or kept by a partial build.
func (c *cli) wrote(out string, r *bundle.Result, quiet bool) {
	if quiet {
		return
	}
	n := r.Rendered + r.Carried + r.Kept
	files := count(len(r.Manifest.Files)+1, "file")
	if r.Unchanged {
		// Every file was checked by content, mode and link count.
		fmt.Fprintf(c.stderr, "%s %s is up to date: %s, %s; nothing was rewritten\n", c.paint(sgrGreen, "ok:"), out, count(n, "profile"), files)
		return
	}
	var how []string
	if r.Rendered > 0 && (r.Carried > 0 || r.Kept > 0) {
		how = append(how, fmt.Sprintf("%d rendered", r.Rendered))
	}
	if r.Carried > 0 {
		how = append(how, fmt.Sprintf("%d unchanged, carried over", r.Carried))
	}
	if r.Kept > 0 {
		how = append(how, fmt.Sprintf("%d kept as they were (not selected)", r.Kept))
	}
	line := fmt.Sprintf("wrote %s: %s, %s", out, count(n, "profile"), files)
	if len(how) > 0 {
		line += " (" + strings.Join(how, "; ") + ")"
	}
	fmt.Fprintln(c.stderr, line)
	if r.FleetKept {
		fmt.Fprintf(c.stderr, "note: proxy/ was kept as it was, like the profiles not selected: a build without --profile updates it\n")
	}
}

// selectProfiles keeps the profiles named; a name the fleet lacks is an error,
// reported the way compile reports it (with a suggestion).
func (c *cli) selectProfiles(ctx context.Context, dir string, ps []*model.Profile, names []string) ([]*model.Profile, error) {
	var kept []*model.Profile
	for _, p := range ps {
		if slices.Contains(names, p.Name) {
			kept = append(kept, p)
		}
	}
	for _, n := range names {
		if !slices.ContainsFunc(kept, func(p *model.Profile) bool { return p.Name == n }) {
			// Only compile knows how to suggest a name; this path is rare.
			if _, err := c.compileFleet(ctx, dir, compile.Options{Profiles: names}); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("no profile named %q", n)
		}
	}
	return kept, nil
}

// concerning keeps the findings about the selected profiles: an error in a
// profile that is not built does not block the build of others.
func concerning(findings diag.List, ps []*model.Profile) diag.List {
	var out diag.List
	for _, f := range findings {
		for _, p := range ps {
			if prefix := model.SettingPath(p.Name, ""); f.Path == prefix || strings.HasPrefix(f.Path, prefix+".") {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

func (c *cli) selectEmitters(names []string) ([]emitters.Emitter, error) {
	list := all.Emitters()
	if len(names) == 0 {
		return list, nil
	}
	var known []string
	for _, e := range list {
		known = append(known, e.Name())
	}
	var bad []string
	for _, n := range names {
		if !slices.Contains(known, n) {
			bad = append(bad, fmt.Sprintf("unknown target %q%s; targets are: %s", n, compile.DidYouMean(n, known), strings.Join(known, ", ")))
		}
	}
	if len(bad) > 0 {
		for _, b := range bad[:len(bad)-1] {
			c.errorf("%s", b)
		}
		return nil, usagef("%s", bad[len(bad)-1])
	}
	return slices.DeleteFunc(list, func(e emitters.Emitter) bool { return !slices.Contains(names, e.Name()) }), nil
}

// fitMemoryLimit lowers the soft memory limit, once a build knows how many
// profiles it writes, to what their planning and rendering need: the limit
// makes the collector run before the heap doubles, and a fixed limit sized
// for 100,000 profiles lets a 10,000-profile build's heap double unchecked.
// Measured at 10,000 profiles, the live heap while carrying a bundle over is
// about 130 MB, and each profile adds about 13 KiB; the limit leaves room
// above that (memoryBase + memoryPerProfile each), or above three times the
// previous bundle's manifest, which the build reads whole (a fleet that
// shrank), never above the default. GOMEMLIMIT, when set, wins.
func fitMemoryLimit(profiles int, previousManifest int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(min(defaultMemoryLimit, memoryBase+max(int64(profiles)*memoryPerProfile, 3*previousManifest)))
}

// previousManifestSize is the size of the manifest in the folder a build
// replaces, 0 when there is none (Lstat: a symlink is not followed).
func previousManifestSize(out string) int64 {
	st, err := os.Lstat(filepath.Join(out, manifest.Path))
	if err != nil || !st.Mode().IsRegular() {
		return 0
	}
	return st.Size()
}

// defaultMemoryLimit is the soft memory limit of the mdeproxyc process.
const defaultMemoryLimit = 768 << 20

// The soft memory limit of a build of N profiles is memoryBase +
// N*memoryPerProfile, at most defaultMemoryLimit.
const (
	memoryBase       = 64 << 20
	memoryPerProfile = 16 << 10
)

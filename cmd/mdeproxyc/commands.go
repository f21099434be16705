package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	explainpkg "github.com/mdeproxyc/mdeproxyc/explain"
	"github.com/mdeproxyc/mdeproxyc/internal/version"
	"github.com/mdeproxyc/mdeproxyc/lint"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/schema"
	"github.com/mdeproxyc/mdeproxyc/signing"

	_ "embed"
)

func (c *cli) usage(w io.Writer) {
	fmt.Fprintln(w, "mdeproxyc compiles Microsoft Defender for Endpoint proxy intent (CUE) into deployment artifacts.")
	fmt.Fprintln(w, "\nUsage:")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  mdeproxyc %-22s %s\n", cmd.usage, cmd.summary)
	}
	fmt.Fprintln(w, "\nExit codes: 0 success, 1 invalid input / drift found / lint errors, 2 usage error.")
	fmt.Fprintln(w, "Run 'mdeproxyc COMMAND --help' for a command's flags.")
}

func (c *cli) errorf(format string, args ...any) {
	fmt.Fprintf(c.stderr, c.paint(sgrRed, "mdeproxyc:")+" "+format+"\n", args...)
}

// flags makes a command's flag set; parse reports usage errors with exit 2.
func (c *cli) flags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.SortFlags = false
	// parse prints the usage itself: on stdout for --help, never after an
	// error (the error and a pointer to --help are enough).
	fs.Usage = func() {}
	return fs
}

// commandUsage prints a command's usage and flags to w.
func commandUsage(w io.Writer, fs *pflag.FlagSet) {
	for _, cmd := range commands() {
		if cmd.name == fs.Name() {
			fmt.Fprintf(w, "Usage: mdeproxyc %s\n\n%s\n", cmd.usage, cmd.summary)
		}
	}
	if fs.HasFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsages())
	}
}

// parse parses args; ok is false when the command must stop with code.
func (c *cli) parse(fs *pflag.FlagSet, args []string, maxArgs int) (code int, ok bool) {
	if c.collect != nil {
		c.collect[fs.Name()] = fs
		return exitOK, false
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			commandUsage(c.stdout, fs)
			return exitOK, false
		}
		c.errorf("%s: %v", fs.Name(), err)
		fmt.Fprintf(c.stderr, "Run 'mdeproxyc %s --help' for usage.\n", fs.Name())
		return exitUsage, false
	}
	// --out= or -p "" is a mistake, not a request for a default.
	var empty []string
	fs.Visit(func(f *pflag.Flag) {
		if t := f.Value.Type(); (t == "string" || t == "stringSlice") && (f.Value.String() == "" || f.Value.String() == "[]") {
			empty = append(empty, "--"+f.Name)
		}
	})
	if len(empty) > 0 {
		c.errorf("%s: %s needs a value; an empty one is not allowed", fs.Name(), strings.Join(empty, ", "))
		fmt.Fprintf(c.stderr, "Run 'mdeproxyc %s --help' for usage.\n", fs.Name())
		return exitUsage, false
	}
	if fs.NArg() > maxArgs {
		c.errorf("%s: too many arguments: %s", fs.Name(), strings.Join(fs.Args()[maxArgs:], " "))
		return exitUsage, false
	}
	return 0, true
}

func dirArg(fs *pflag.FlagSet) string {
	if fs.NArg() > 0 {
		return fs.Arg(0)
	}
	return "."
}

// compileFleet compiles dir and prints its diagnostics once, positions relative
// to the working directory.
func (c *cli) compileFleet(dir string, opt compile.Options) ([]*model.Profile, bool) {
	profiles, diags, notes := compile.Fleet(dir, opt)
	c.printDiags(notes)
	if len(diags) > 0 {
		// compile reports errors only.
		c.printDiags(diags)
		if c.writes {
			c.errorf("%s; nothing was written", count(len(diags), "error"))
		} else {
			c.errorf("%s", count(len(diags), "error"))
		}
		return nil, false
	}
	return profiles, true
}

// printDiags prints diagnostics on stderr, positions relative to the working
// directory.
func (c *cli) printDiags(l diag.List) {
	cwd, _ := os.Getwd()
	for _, d := range l.Relative(cwd) {
		if d.Rule == "" && d.Severity == diag.Error {
			d.Rule = lint.RuleIntent // as vet prints it
		}
		fmt.Fprintln(c.stderr, c.diagLine(d))
	}
}

// readOnlyGC lets a command that writes no bundle (vet) collect garbage less
// often: its heap is the compiled fleet, which it keeps to the end, so a
// collection at every doubling of the heap mostly rescans live data. Measured
// at 10,000 profiles: 0.66-0.79 s at the default, 0.52-0.53 s at 400, for 150 to
// 180 MiB of RSS. The soft memory limit still bounds the heap, and GOGC set in
// the environment wins.
func readOnlyGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// compileGC makes a build collect garbage less often while it compiles and
// vets the fleet, for the reason readOnlyGC does for vet, and returns the
// function that restores the default before the bundle is planned and
// rendered: those phases allocate what they write and free it at once, and
// the default keeps the build's peak memory low there.
func compileGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(compileGCPercent)
	return func() { debug.SetGCPercent(old) }
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

// stampsDir is the folder builds keep their stamp books in
// (bundle.Options.Stamps): $MDEPROXYC_CACHE/stamps, by default in the
// user's cache folder ($XDG_CACHE_HOME or ~/.cache on Linux); with
// MDEPROXYC_CACHE=off, none is kept and every build lists every folder.
func stampsDir() string {
	dir := os.Getenv("MDEPROXYC_CACHE")
	switch dir {
	case "off":
		return ""
	case "":
		d, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(d, "mdeproxyc")
	}
	return filepath.Join(dir, "stamps")
}

// previousManifestSize is the size of the manifest in the folder a build
// replaces, 0 when there is none (Lstat: a symlink is not followed).
func previousManifestSize(out string) int64 {
	st, err := os.Lstat(filepath.Join(out, bundle.ManifestPath))
	if err != nil || !st.Mode().IsRegular() {
		return 0
	}
	return st.Size()
}

// The soft memory limit of a build of N profiles is memoryBase +
// N*memoryPerProfile, at most defaultMemoryLimit.
const (
	memoryBase       = 64 << 20
	memoryPerProfile = 16 << 10
)

// compileGCPercent is GOGC while a build compiles and vets the fleet.
const compileGCPercent = 300

// repoRoot is the top of the Git work tree holding dir, or dir itself outside
// Git (or without git on PATH).
func repoRoot(dir string) string {
	cmd := exec.Command("git", "-C", dir, "rev-parse", "--show-toplevel")
	out, err := cmd.Output()
	if err != nil {
		return dir
	}
	return filepath.Clean(strings.TrimSpace(string(out)))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// count says "1 profile", "2 profiles".
func count(n int, noun string) string {
	return fmt.Sprintf("%d %s%s", n, noun, plural(n))
}

// shellArgs joins a command line so that it can be pasted into a POSIX shell
// or PowerShell: words of safe characters as they are, others single-quoted.
func shellArgs(args ...string) string {
	out := make([]string, len(args))
	for i, a := range args {
		safe := a != ""
		for _, r := range a {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+", r)) {
				safe = false
			}
		}
		if safe {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", "'\\''") + "'"
		}
	}
	return strings.Join(out, " ")
}

// hint formats a command to run: quoted with '…' when that stays pasteable.
func hint(args ...string) string {
	cmd := shellArgs(args...)
	if strings.Contains(cmd, "'") {
		return "run: " + cmd
	}
	return "run '" + cmd + "'"
}

func (c *cli) build(args []string) int {
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
	if code, ok := c.parse(fs, args, 1); !ok {
		return code
	}
	c.writes = !*check
	if *progress && *quiet {
		c.errorf("build: --progress and --quiet exclude each other")
		return exitUsage
	}
	var (
		opts   []emitters.Option
		inputs []string // what the render depends on beyond the model
	)
	if *signCert == "" && (*signPasswordEnv != "" || *timestampURL != "") {
		c.errorf("build: --sign-password-env and --timestamp-url need --sign-cert")
		return exitUsage
	}
	if *check && len(*profiles) > 0 {
		// A partial build keeps the other profiles as they were; --check
		// compares the whole bundle with the whole intent.
		c.errorf("build: --check compares the whole bundle with the intent; run it without --profile")
		return exitUsage
	}
	if *signCert != "" {
		if *check {
			c.errorf("build: --check does not sign yet; run it without --sign-cert")
			return exitUsage
		}
		s, err := signing.Load(*signCert, *signPasswordEnv, *timestampURL)
		if err != nil {
			c.errorf("build: --sign-cert %v; nothing was written", err)
			return exitFail
		}
		opts = append(opts, emitters.WithSigner(s))
		inputs = append(inputs, s.Identity())
	}
	list, ok := c.selectEmitters(*targets)
	if !ok {
		return exitUsage
	}
	// The whole fleet is compiled and vetted even when --profile selects a
	// few: rules across profiles (MDE015: two Macs' profiles with one
	// identifier) hold between a selected profile and every other.
	dir := dirArg(fs)
	// The bundle being replaced is read and listed while the fleet
	// compiles (bundle.Survey); --full and --check read it differently.
	var survey *bundle.Survey
	stamps := stampsDir()
	if !*check && (!*full || len(*profiles) > 0) {
		survey = bundle.StartSurvey(*out, stamps)
		defer survey.Stop()
	}
	restoreGC := compileGC()
	ps, ok := c.compileFleet(dir, compile.Options{})
	if !ok {
		return exitFail
	}
	findings := lint.Run(ps)
	restoreGC()
	fitMemoryLimit(len(ps), previousManifestSize(*out))
	if len(*profiles) > 0 {
		if ps, ok = c.selectProfiles(dir, ps, *profiles); !ok {
			return exitFail
		}
		findings = concerning(findings, ps)
	}
	// A bundle that would break devices is not written: error-level vet rules
	// block the build; warnings are vet's business.
	if errs := lint.Errors(findings); len(errs) > 0 {
		c.printDiags(errs)
		c.errorf("%s; nothing was written", count(len(errs), "vet error"))
		return exitFail
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
	// --full: a file edited by hand to the same size is carried over by an
	// incremental build; the hint must repair whatever --check found.
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
	r, err := bundle.Update(*out, ps, list, bundle.Options{Partial: len(*profiles) > 0, Full: *full, Progress: &prog, Render: opts, Inputs: inputs, Survey: survey, Stamps: stamps})
	stop()
	var left *bundle.LeftoverError
	var moved *bundle.MovedError
	switch {
	case errors.As(err, &left) && r != nil:
		// The swap succeeded: the build did its job, the user has a folder to
		// remove.
		c.wrote(*out, r, *quiet)
		c.errorf("warning: %v; remove it by hand", err)
		return exitOK
	case errors.As(err, &moved):
		c.errorf("%v", err)
		return exitFail
	case bundle.Interrupted(err):
		// A signal stopped the build: its handler (main.go) says what
		// became of the bundle and exits with the signal's code. Returning
		// here would race it to exit, with another message and code.
		select {}
	case err != nil && statErr != nil:
		c.errorf("%v; nothing was written", err)
		return exitFail
	case err != nil:
		c.errorf("%v; the previous bundle is untouched", err)
		return exitFail
	}
	c.wrote(*out, r, *quiet)
	return exitOK
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
		// Carried files are checked by presence, size and type, not byte by
		// byte: say so, and what compares every byte.
		fmt.Fprintf(c.stderr, "%s %s is up to date: %s, %s; nothing was rewritten (files checked by size; --check compares every byte, --full rewrites them)\n", c.paint(sgrGreen, "ok:"), out, count(n, "profile"), files)
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
func (c *cli) selectProfiles(dir string, ps []*model.Profile, names []string) ([]*model.Profile, bool) {
	var kept []*model.Profile
	for _, p := range ps {
		if slices.Contains(names, p.Name) {
			kept = append(kept, p)
		}
	}
	for _, n := range names {
		if !slices.ContainsFunc(kept, func(p *model.Profile) bool { return p.Name == n }) {
			// Only compile knows how to suggest a name; this path is rare.
			_, ok := c.compileFleet(dir, compile.Options{Profiles: names})
			return nil, ok
		}
	}
	return kept, true
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

func (c *cli) selectEmitters(names []string) ([]emitters.Emitter, bool) {
	list := all.Emitters()
	if len(names) == 0 {
		return list, true
	}
	var known []string
	for _, e := range list {
		known = append(known, e.Name())
	}
	ok := true
	for _, n := range names {
		if !slices.Contains(known, n) {
			c.errorf("unknown target %q%s; targets are: %s", n, compile.DidYouMean(n, known), strings.Join(known, ", "))
			ok = false
		}
	}
	return slices.DeleteFunc(list, func(e emitters.Emitter) bool { return !slices.Contains(names, e.Name()) }), ok
}

func (c *cli) vet(args []string) int {
	readOnlyGC()
	fs := c.flags("vet")
	format := fs.String("format", "text", "output format: "+strings.Join(lint.Formats, ", "))
	strict := fs.Bool("strict", false, "exit 1 on warnings too")
	quiet := fs.BoolP("quiet", "q", false, "errors and warnings only: no notes, no summary line")
	explain := fs.String("explain", "", "print the explanation of a rule (MDE004), or of every rule with 'all'; alone, list the rules")
	// --explain without a rule lists the rules: pflag cannot make a value
	// optional without breaking "--explain MDE004", so an --explain that
	// ends the line or precedes another flag is given the value "list".
	for i, a := range args {
		if a == "--explain" && (i+1 == len(args) || strings.HasPrefix(args[i+1], "-")) {
			args = append(append(slices.Clone(args[:i]), "--explain=list"), args[i+1:]...)
			break
		}
	}
	if code, ok := c.parse(fs, args, 1); !ok {
		return code
	}
	if *explain != "" {
		return c.explainRule(*explain)
	}
	if !slices.Contains(lint.Formats, *format) {
		c.errorf("vet: unknown format %q; formats are: %s", *format, strings.Join(lint.Formats, ", "))
		return exitUsage
	}
	cwd, _ := os.Getwd()
	var seen int
	ps, diags, notes := compile.Fleet(dirArg(fs), compile.Options{Seen: &seen})
	if len(diags) == 0 {
		diags = lint.Run(ps)
	}
	diags = append(diags, notes...).Sort()
	if *quiet {
		diags = slices.DeleteFunc(diags, func(d diag.Diagnostic) bool { return d.Severity == diag.Info })
	}
	// Code scanning and workflow annotations resolve files against the
	// repository's root, whatever folder vet ran in; people read paths
	// relative to where they are.
	root := cwd
	if *format == "sarif" || *format == "github" {
		root = repoRoot(cwd)
		for i, d := range diags {
			if d.Pos.File != "" && !filepath.IsAbs(d.Pos.File) {
				diags[i].Pos.File = filepath.Join(cwd, d.Pos.File)
			}
		}
	}
	diags = diags.Relative(root)
	if err := lint.WriteRooted(c.stdout, *format, diags, root); err != nil {
		c.errorf("vet: %v", err)
		return exitFail
	}
	errs, warns := diags.Count(diag.Error), diags.Count(diag.Warning)
	if !*quiet {
		fmt.Fprintf(c.stderr, "%s: %s, %s, %s\n", count(seen, "profile"), count(errs, "error"), count(warns, "warning"), count(diags.Count(diag.Info), "note"))
	}
	if errs > 0 || *strict && warns > 0 {
		return exitFail
	}
	return exitOK
}

func (c *cli) explainRule(id string) int {
	var rules []*lint.Rule
	if strings.EqualFold(id, "list") {
		for _, r := range lint.Rules {
			fmt.Fprintf(c.stdout, "%s  %-7s  %s\n", r.ID, r.Severity, r.Title)
		}
		fmt.Fprintln(c.stdout, "\nRun 'mdeproxyc vet --explain MDE004' for one rule, 'mdeproxyc vet --explain all' for every one.")
		return exitOK
	}
	if strings.EqualFold(id, "all") {
		rules = lint.Rules
	} else if r := lint.Lookup(strings.ToUpper(id)); r != nil {
		rules = []*lint.Rule{r}
	} else {
		c.errorf("vet: no rule %q; rules are MDE001 to %s ('mdeproxyc vet --explain' lists them)", id, lint.Rules[len(lint.Rules)-1].ID)
		return exitUsage
	}
	for i, r := range rules {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		fmt.Fprintf(c.stdout, "%s (%s): %s\n\n%s\n", r.ID, r.Severity, r.Title, wrap(r.Explain, 80))
	}
	return exitOK
}

// wrap breaks text into lines of at most width columns.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(text) {
		if n > 0 && n+1+len(w) > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

func (c *cli) explain(args []string) int {
	fs := c.flags("explain")
	profiles := fs.StringSliceP("profile", "p", nil, "a profile to explain (required; repeatable, or comma-separated)")
	format := fs.String("format", "text", "output format: text or json (one JSON object per profile)")
	if code, ok := c.parse(fs, args, 1); !ok {
		return code
	}
	if len(*profiles) == 0 {
		c.errorf("explain: --profile NAME is required")
		return exitUsage
	}
	if *format != "text" && *format != "json" {
		c.errorf("explain: unknown format %q; formats are: text, json", *format)
		return exitUsage
	}
	ps, ok := c.compileFleet(dirArg(fs), compile.Options{Profiles: *profiles})
	if !ok {
		return exitFail
	}
	byName := map[string]*model.Profile{}
	for _, p := range ps {
		byName[p.Name] = p
	}
	cwd, _ := os.Getwd()
	seen := map[string]bool{}
	for i, name := range *profiles {
		p := byName[name]
		if p == nil || seen[name] {
			continue
		}
		seen[name] = true
		relocate([]*model.Profile{p}, func(file string) string { return diag.RelPath(cwd, file) })
		rows := explainpkg.Profile(p, all.Emitters())
		if *format == "json" {
			enc := json.NewEncoder(c.stdout)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			enc.Encode(struct {
				Profile  string           `json:"profile"`
				Settings []explainpkg.Row `json:"settings"`
			}{p.Name, rows})
			continue
		}
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		explainpkg.WriteText(c.stdout, p.Name, rows)
	}
	return exitOK
}

func (c *cli) targets(args []string) int {
	fs := c.flags("targets")
	if code, ok := c.parse(fs, args, 0); !ok {
		return code
	}
	for _, e := range all.Emitters() {
		fmt.Fprintf(c.stdout, "%-12s %s\n", e.Name(), e.Summary())
	}
	return exitOK
}

func (c *cli) schema(args []string) int {
	fs := c.flags("schema")
	if code, ok := c.parse(fs, args, 0); !ok {
		return code
	}
	c.stdout.Write(schema.CUE)
	return exitOK
}

//go:embed starter/fleet.cue
var starterFleet []byte

func (c *cli) init(args []string) int {
	fs := c.flags("init")
	if code, ok := c.parse(fs, args, 1); !ok {
		return code
	}
	dir := dirArg(fs)
	if existing, _ := filepath.Glob(filepath.Join(dir, "*.cue")); len(existing) > 0 {
		c.errorf("%s already holds .cue files (%s); init writes only into a folder without them", dir, filepath.Base(existing[0]))
		return exitFail
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	path := filepath.Join(dir, "fleet.cue")
	if err := os.WriteFile(path, starterFleet, 0o644); err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	fmt.Fprintf(c.stderr, "wrote %s; build it with: mdeproxyc build %s -o dist\n", path, dir)
	return exitOK
}

func (c *cli) version(args []string) int {
	fs := c.flags("version")
	if code, ok := c.parse(fs, args, 0); !ok {
		return code
	}
	commit, goVersion := buildInfo()
	fmt.Fprintf(c.stdout, "mdeproxyc %s\n", version.Version)
	if version.Release != "" {
		fmt.Fprintf(c.stdout, "release: %s\n", version.Release)
	}
	fmt.Fprintf(c.stdout, "commit: %s\ngo: %s\n", commit, goVersion)
	return exitOK
}

// buildInfo returns the commit the binary was built from ("-dirty" when the
// work tree had changes; "unknown" when the build recorded none) and the Go
// version that built it.
func buildInfo() (string, string) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return cmp.Or(version.Commit, "unknown"), runtime.Version()
	}
	rev, dirty := version.Commit, false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown (built without version control information)", info.GoVersion
	}
	if dirty {
		rev += "-dirty"
	}
	return rev, info.GoVersion
}

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/emitters/pol"
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
	fmt.Fprintf(c.stderr, "mdeproxyc: "+format+"\n", args...)
}

// flags makes a command's flag set; parse reports usage errors with exit 2.
func (c *cli) flags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.SortFlags = false
	for _, cmd := range commands() {
		if cmd.name == name {
			fs.Usage = func() {
				fmt.Fprintf(c.stderr, "Usage: mdeproxyc %s\n\n%s\n", cmd.usage, cmd.summary)
				if fs.HasFlags() {
					fmt.Fprintf(c.stderr, "\nFlags:\n%s", fs.FlagUsages())
				}
			}
		}
	}
	return fs
}

// parse parses args; ok is false when the command must stop with code.
func (c *cli) parse(fs *pflag.FlagSet, args []string, maxArgs int) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK, false
		}
		c.errorf("%s: %v", fs.Name(), err)
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
		c.errorf("%d error%s; nothing was written", len(diags), plural(len(diags)))
		return nil, false
	}
	return profiles, true
}

// printDiags prints diagnostics on stderr, positions relative to the working
// directory.
func (c *cli) printDiags(l diag.List) {
	cwd, _ := os.Getwd()
	l.Relative(cwd).Print(c.stderr)
}

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

func (c *cli) build(args []string) int {
	fs := c.flags("build")
	out := fs.StringP("out", "o", "dist", "output folder (replaced as a whole)")
	profiles := fs.StringSliceP("profile", "p", nil, "only these profiles (repeatable, or comma-separated); the bundle then holds only them")
	targets := fs.StringSliceP("target", "t", nil, "only these emitters (repeatable; see 'mdeproxyc targets')")
	check := fs.Bool("check", false, "write nothing; exit 1 and print a unified diff when --out differs from what a build would write")
	signCert := fs.String("sign-cert", "", "Authenticode-sign every .ps1 (and the Intune bodies' copies) with this PKCS#12 file, or PEM certificate + key")
	signPasswordEnv := fs.String("sign-password-env", "", "the environment variable holding the PKCS#12 password")
	timestampURL := fs.String("timestamp-url", "", "RFC 3161 timestamp server for the signatures (output then differs from run to run)")
	if code, ok := c.parse(fs, args, 1); !ok {
		return code
	}
	if *out == "" {
		c.errorf("build: --out is empty; name the output folder (default dist)")
		return exitUsage
	}
	var opts []emitters.Option
	if *signCert == "" && (*signPasswordEnv != "" || *timestampURL != "") {
		c.errorf("build: --sign-password-env and --timestamp-url need --sign-cert")
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
	}
	list, ok := c.selectEmitters(*targets)
	if !ok {
		return exitUsage
	}
	// The whole fleet is compiled and vetted even when --profile selects a
	// few: rules across profiles (MDE015: two Macs' profiles with one
	// identifier) hold between a selected profile and every other.
	ps, ok := c.compileFleet(dirArg(fs), compile.Options{})
	if !ok {
		return exitFail
	}
	findings := lint.Run(ps)
	if len(*profiles) > 0 {
		if ps, ok = c.selectProfiles(dirArg(fs), ps, *profiles); !ok {
			return exitFail
		}
		findings = concerning(findings, ps)
	}
	// A bundle that would break devices is not written: error-level vet rules
	// block the build; warnings are vet's business.
	if errs := lint.Errors(findings); len(errs) > 0 {
		c.printDiags(errs)
		c.errorf("%d vet error%s; nothing was written", len(errs), plural(len(errs)))
		return exitFail
	}
	if n := len(findings); n > 0 {
		fmt.Fprintf(c.stderr, "%d vet warning%s and note%s: run 'mdeproxyc vet' to read them\n", n, plural(n), plural(n))
	}
	if *check {
		d, err := bundle.Check(*out, ps, list, decoders...)
		if err != nil {
			c.errorf("check: %v", err)
			return exitFail
		}
		if len(d) > 0 {
			c.stdout.Write(d)
			c.errorf("%s differs from the intent: run 'mdeproxyc build' and commit the result", *out)
			return exitFail
		}
		fmt.Fprintf(c.stderr, "%s is up to date (%d profiles)\n", *out, len(ps))
		return exitOK
	}
	_, statErr := os.Lstat(*out)
	m, err := bundle.Write(*out, ps, list, opts...)
	var left *bundle.LeftoverError
	var moved *bundle.MovedError
	switch {
	case errors.As(err, &left) && m != nil:
		// The swap succeeded: the build did its job, the user has a folder to
		// remove.
		fmt.Fprintf(c.stderr, "wrote %s: %d profiles, %d files\n", *out, len(ps), len(m.Files)+1)
		c.errorf("warning: %v; remove it by hand", err)
		return exitOK
	case errors.As(err, &moved):
		c.errorf("%v", err)
		return exitFail
	case err != nil && statErr != nil:
		c.errorf("%v; nothing was written", err)
		return exitFail
	case err != nil:
		c.errorf("%v; the previous bundle is untouched", err)
		return exitFail
	}
	fmt.Fprintf(c.stderr, "wrote %s: %d profiles, %d files\n", *out, len(ps), len(m.Files)+1)
	return exitOK
}

// decoders show the binary formats of a bundle as text in --check's diffs.
var decoders = []bundle.Decoder{polDecoder{}}

// polDecoder shows a Registry.pol one record a line.
type polDecoder struct{}

// Readable implements bundle.Decoder.
func (polDecoder) Readable(path string, data []byte) (string, string, bool) {
	if !strings.HasSuffix(path, ".pol") {
		return "", "", false
	}
	t, err := pol.Text(data)
	return t, "(Registry.pol shown decoded, one record a line)", err == nil
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
			if prefix := compile.SettingPath(p.Name, ""); f.Path == prefix || strings.HasPrefix(f.Path, prefix+".") {
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
	fs := c.flags("vet")
	format := fs.String("format", "text", "output format: "+strings.Join(lint.Formats, ", "))
	strict := fs.Bool("strict", false, "exit 1 on warnings too")
	explain := fs.String("explain", "", "print the explanation of a rule (MDE004), or of every rule with 'all'")
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
	ps, diags, notes := compile.Fleet(dirArg(fs), compile.Options{})
	if len(diags) == 0 {
		diags = lint.Run(ps)
	}
	diags = append(diags, notes...).Sort()
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
	fmt.Fprintf(c.stderr, "%d profiles: %d errors, %d warnings, %d notes\n", len(ps), errs, warns, diags.Count(diag.Info))
	if errs > 0 || *strict && warns > 0 {
		return exitFail
	}
	return exitOK
}

func (c *cli) explainRule(id string) int {
	var rules []*lint.Rule
	if strings.EqualFold(id, "all") {
		rules = lint.Rules
	} else if r := lint.Lookup(strings.ToUpper(id)); r != nil {
		rules = []*lint.Rule{r}
	} else {
		c.errorf("vet: no rule %q; rules are MDE001 to %s (vet --explain all)", id, lint.Rules[len(lint.Rules)-1].ID)
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
	profile := fs.StringP("profile", "p", "", "the profile to explain (required)")
	format := fs.String("format", "text", "output format: text or json")
	if code, ok := c.parse(fs, args, 1); !ok {
		return code
	}
	if *profile == "" {
		c.errorf("explain: --profile NAME is required")
		return exitUsage
	}
	if *format != "text" && *format != "json" {
		c.errorf("explain: unknown format %q; formats are: text, json", *format)
		return exitUsage
	}
	ps, ok := c.compileFleet(dirArg(fs), compile.Options{Profiles: []string{*profile}})
	if !ok {
		return exitFail
	}
	cwd, _ := os.Getwd()
	for k, o := range ps[0].Origins {
		o.Pos.File = diag.RelPath(cwd, o.Pos.File)
		ps[0].Origins[k] = o
	}
	rows := explainpkg.Profile(ps[0], all.Emitters())
	if *format == "json" {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		enc.Encode(struct {
			Profile  string           `json:"profile"`
			Settings []explainpkg.Row `json:"settings"`
		}{ps[0].Name, rows})
		return exitOK
	}
	explainpkg.WriteText(c.stdout, ps[0].Name, rows)
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
	fmt.Fprintf(c.stdout, "mdeproxyc %s\n", version.Version)
	return exitOK
}

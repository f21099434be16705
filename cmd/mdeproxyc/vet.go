package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/lint"
)

func (c *cli) vet(ctx context.Context, args []string) error {
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
	if stop, err := c.parse(fs, args, 1); stop {
		return err
	}
	if *explain != "" {
		return c.explainRule(*explain)
	}
	if !slices.Contains(lint.Formats, *format) {
		return usagef("vet: unknown format %q; formats are: %s", *format, strings.Join(lint.Formats, ", "))
	}
	cwd, _ := os.Getwd()
	var seen int
	ps, diags, err := compileCtx(ctx, dirArg(fs), compile.Options{Seen: &seen})
	if err != nil {
		return err
	}
	if len(diags) == 0 {
		diags = lint.Run(ps)
	}
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
		return fmt.Errorf("vet: %v", err)
	}
	errs, warns := diags.Count(diag.Error), diags.Count(diag.Warning)
	if !*quiet {
		fmt.Fprintf(c.stderr, "%s: %s, %s, %s\n", count(seen, "profile"), count(errs, "error"), count(warns, "warning"), count(diags.Count(diag.Info), "note"))
	}
	if errs > 0 || *strict && warns > 0 {
		return errReported
	}
	return nil
}

func (c *cli) explainRule(id string) error {
	var rules []*lint.Rule
	if strings.EqualFold(id, "list") {
		for _, r := range lint.Rules {
			fmt.Fprintf(c.stdout, "%s  %-7s  %s\n", r.ID, r.Severity, r.Title)
		}
		fmt.Fprintln(c.stdout, "\nRun 'mdeproxyc vet --explain MDE004' for one rule, 'mdeproxyc vet --explain all' for every one.")
		return nil
	}
	if strings.EqualFold(id, "all") {
		rules = lint.Rules
	} else if r := lint.Lookup(strings.ToUpper(id)); r != nil {
		rules = []*lint.Rule{r}
	} else {
		return usagef("vet: no rule %q; rules are MDE001 to %s ('mdeproxyc vet --explain' lists them)", id, lint.Rules[len(lint.Rules)-1].ID)
	}
	for i, r := range rules {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		fmt.Fprintf(c.stdout, "%s (%s): %s\n\n%s\n", r.ID, r.Severity, r.Title, wrap(r.Explain, 80))
	}
	return nil
}

// readOnlyGC lets a command that writes no bundle (vet) collect garbage less
// often: its heap is the compiled fleet, which it keeps to the end, so a
// collection at every doubling of the heap mostly rescans live data. Measured
// at 10,000 profiles: 0.66-0.79 s at the default, 0.52-0.53 s at 400, for 150 to
// 180 MiB of RSS (docs/PERFORMANCE.md: the vet target needs it). The soft
// memory limit still bounds the heap, and GOGC set in the environment wins.
func readOnlyGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

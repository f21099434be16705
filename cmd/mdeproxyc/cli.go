package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/lint"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// cli carries the output streams through a run.
type cli struct {
	stdout, stderr io.Writer
	// color is set when stderr is a terminal that takes colour (term.go).
	color bool
	// caught is the signal that cancelled the run's context, nil while none
	// has (runMain).
	caught func() os.Signal
	// writes is set by commands that write files: their failure messages
	// say that nothing was written.
	writes bool
	// collect, when set, makes parse record each command's flags and stop:
	// completion scripts are made from the commands' own flag sets.
	collect map[string]*pflag.FlagSet
}

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

// flags makes a command's flag set; parse reports usage errors.
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

// parse parses args; stop is set when the command must return err at once
// (nil after --help, or when completion collects the flag sets).
func (c *cli) parse(fs *pflag.FlagSet, args []string, maxArgs int) (stop bool, err error) {
	if c.collect != nil {
		c.collect[fs.Name()] = fs
		return true, nil
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			commandUsage(c.stdout, fs)
			return true, nil
		}
		return true, &usageError{msg: fmt.Sprintf("%s: %v", fs.Name(), err), help: fs.Name()}
	}
	// --out= or -p "" is a mistake, not a request for a default.
	var empty []string
	fs.Visit(func(f *pflag.Flag) {
		if t := f.Value.Type(); (t == "string" || t == "stringSlice") && (f.Value.String() == "" || f.Value.String() == "[]") {
			empty = append(empty, "--"+f.Name)
		}
	})
	if len(empty) > 0 {
		return true, &usageError{msg: fmt.Sprintf("%s: %s needs a value; an empty one is not allowed", fs.Name(), strings.Join(empty, ", ")), help: fs.Name()}
	}
	if fs.NArg() > maxArgs {
		return true, usagef("%s: too many arguments: %s", fs.Name(), strings.Join(fs.Args()[maxArgs:], " "))
	}
	return false, nil
}

func dirArg(fs *pflag.FlagSet) string {
	if fs.NArg() > 0 {
		return fs.Arg(0)
	}
	return "."
}

// compileCtx runs compile.Dir unless ctx is cancelled first: compiling writes
// nothing, so a signal need not wait for it to finish.
func compileCtx(ctx context.Context, dir string, opt compile.Options) ([]*model.Profile, diag.List, error) {
	type result struct {
		ps    []*model.Profile
		diags diag.List
	}
	done := make(chan result, 1)
	go func() {
		ps, diags := compile.Dir(dir, opt)
		done <- result{ps, diags}
	}()
	select {
	case r := <-done:
		return r.ps, r.diags, nil
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

// compileFleet compiles dir and prints its diagnostics once, positions relative
// to the working directory.
func (c *cli) compileFleet(ctx context.Context, dir string, opt compile.Options) ([]*model.Profile, error) {
	profiles, diags, err := compileCtx(ctx, dir, opt)
	if err != nil {
		return nil, err
	}
	if len(diags) > 0 {
		// compile reports errors only.
		c.printDiags(diags)
		if c.writes {
			return nil, fmt.Errorf("%s; nothing was written", count(len(diags), "error"))
		}
		return nil, fmt.Errorf("%s", count(len(diags), "error"))
	}
	return profiles, nil
}

// printDiags prints diagnostics on stderr, positions relative to the working
// directory.
func (c *cli) printDiags(l diag.List) {
	cwd, _ := os.Getwd()
	for _, d := range lint.Ruled(l.Relative(cwd)) {
		fmt.Fprintln(c.stderr, c.diagLine(d))
	}
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

// Command mdeproxyc compiles Microsoft Defender for Endpoint proxy intent,
// written once in CUE for a whole fleet, into every deployment artifact.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/compile"
)

func main() {
	// A build's live data is small next to the garbage its emitters make (a
	// 100,000-profile build peaked at 1.9 GiB RSS with a live heap under half
	// of that): a soft limit makes the collector run before the heap doubles.
	// GOMEMLIMIT, when set, wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	handleSignals(os.Stderr)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// handleSignals makes SIGINT and SIGTERM (Ctrl-C, a cancelled CI job) remove
// the temporary folder of a build in progress before the process exits with
// 128 plus the signal's number, the shells' convention; without it the folder,
// tens to hundreds of MB, stays beside --out for `git add -A` to commit.
func handleSignals(stderr io.Writer) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		a := bundle.Abort()
		switch {
		case a.Replaced:
			fmt.Fprintf(stderr, "mdeproxyc: interrupted (%v); the new bundle was already in place\n", s)
		case a.Building:
			fmt.Fprintf(stderr, "mdeproxyc: interrupted (%v); the previous bundle is untouched\n", s)
		default:
			fmt.Fprintf(stderr, "mdeproxyc: interrupted (%v)\n", s)
		}
		for _, dir := range a.Left {
			fmt.Fprintf(stderr, "mdeproxyc: could not remove the temporary folder %s; remove it by hand\n", dir)
		}
		code := 130
		if s == syscall.SIGTERM {
			code = 143
		}
		os.Exit(code)
	}()
}

// defaultMemoryLimit is the soft memory limit of the mdeproxyc process.
const defaultMemoryLimit = 768 << 20

// Exit codes, as docs/ARCHITECTURE.md ("Exit codes") and the README fix them.
const (
	exitOK    = 0
	exitFail  = 1 // invalid input, drift found, lint errors
	exitUsage = 2
)

// command is one subcommand: its usage line, one-line summary, and body.
type command struct {
	name    string
	usage   string
	summary string
	run     func(c *cli, args []string) int
}

// cli carries the output streams through a run.
type cli struct {
	stdout, stderr io.Writer
	// color is set when stderr is a terminal that takes colour (term.go).
	color bool
	// writes is set by commands that write files: their failure messages
	// say that nothing was written.
	writes bool
	// collect, when set, makes parse record each command's flags and stop:
	// completion scripts are made from the commands' own flag sets.
	collect map[string]*pflag.FlagSet
}

func commands() []command {
	return []command{
		{"build", "build [flags] [DIR]", "compile DIR (default .) into --out (default dist)", (*cli).build},
		{"vet", "vet [flags] [DIR]", "validate and lint; warnings and errors with rule IDs and file:line:col", (*cli).vet},
		{"diff", "diff OLD NEW | --base REV [DIR]", "what changes between two versions of the fleet, per profile and setting", (*cli).diff},
		{"publish", "publish intune [DIR]", "make Intune match the fleet: create, update, assign (and with --prune delete) its objects", (*cli).publishCmd},
		{"explain", "explain [DIR] -p NAME...", "for each profile named: each setting, where its value came from, which artifacts carry it", (*cli).explain},
		{"endpoints", "endpoints [DIR] -p NAME", "for one profile: the destinations its proxy must allow, with their sources", (*cli).endpoints},
		{"import", "import [-p NAME] FILE...", "print the profile that existing configuration (.reg, Registry.pol, netsh, mdatp JSON, wdav plist, Intune) describes", (*cli).importCmd},
		{"targets", "targets", "list the emitters, one line each", (*cli).targets},
		{"schema", "schema", "print the embedded CUE schema of the intent language", (*cli).schema},
		{"init", "init [DIR]", "write a starter fleet that builds as it is", (*cli).init},
		{"version", "version", "print the version, the commit and the Go version", (*cli).version},
		{"completion", "completion SHELL", "print a completion script for bash, zsh, fish or powershell", (*cli).completion},
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr, color: colorFor(stderr)}
	if len(args) == 0 {
		c.usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) > 1 {
			return run([]string{args[1], "--help"}, stdout, stderr)
		}
		c.usage(stdout)
		return exitOK
	case "--version":
		return c.version(nil)
	}
	for _, cmd := range commands() {
		if cmd.name == args[0] {
			return cmd.run(c, args[1:])
		}
	}
	var names []string
	for _, cmd := range commands() {
		names = append(names, cmd.name)
	}
	c.errorf("unknown command %q%s", args[0], compile.DidYouMean(args[0], names))
	c.usage(stderr)
	return exitUsage
}

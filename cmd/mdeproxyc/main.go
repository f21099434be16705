// Command mdeproxyc compiles Microsoft Defender for Endpoint proxy intent,
// written once in CUE for a whole fleet, into every deployment artifact.
package main

import (
	"io"
	"os"
	"runtime/debug"
)

func main() {
	// A build's live data is small next to the garbage its emitters make (a
	// 100,000-profile build peaked at 1.9 GiB RSS with a live heap under half
	// of that): a soft limit makes the collector run before the heap doubles.
	// GOMEMLIMIT, when set, wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// defaultMemoryLimit is the soft memory limit of the mdeproxyc process.
const defaultMemoryLimit = 768 << 20

// Exit codes, as DESIGN.md fixes them.
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
}

func commands() []command {
	return []command{
		{"build", "build [flags] [DIR]", "compile DIR (default .) into --out (default dist)", (*cli).build},
		{"vet", "vet [flags] [DIR]", "validate and lint; warnings and errors with rule IDs and file:line:col", (*cli).vet},
		{"diff", "diff OLD NEW | --base REV [DIR]", "what changes between two versions of the fleet, per profile and setting", (*cli).diff},
		{"explain", "explain [DIR] -p NAME", "for one profile: each setting, where its value came from, which artifacts carry it", (*cli).explain},
		{"endpoints", "endpoints [DIR] -p NAME", "for one profile: the destinations its proxy must allow, with their sources", (*cli).endpoints},
		{"targets", "targets", "list the emitters, one line each", (*cli).targets},
		{"schema", "schema", "print the embedded CUE schema of the intent language", (*cli).schema},
		{"init", "init [DIR]", "write a starter fleet that builds as it is", (*cli).init},
		{"version", "version", "print the version", (*cli).version},
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr}
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
	c.errorf("unknown command %q", args[0])
	c.usage(stderr)
	return exitUsage
}

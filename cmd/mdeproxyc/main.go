// Command mdeproxyc compiles Microsoft Defender for Endpoint proxy intent,
// written once in CUE for a whole fleet, into every deployment artifact.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/mdeproxyc/mdeproxyc/compile"
)

func main() {
	// A build's live data is small next to the garbage its emitters make (a
	// 100,000-profile build peaked at 1.9 GiB RSS with a live heap under half
	// of that): a soft limit makes the collector run before the heap doubles
	// (docs/PERFORMANCE.md). GOMEMLIMIT, when set, wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

// runMain is run with SIGINT and SIGTERM (Ctrl-C, a cancelled CI job)
// turned into the cancellation of the context the command runs with: a
// build in progress stops, removes its temporary folder (tens to hundreds of
// MB that `git add -A` would otherwise commit) and leaves the previous
// bundle as it was; the process then exits with 128 plus the signal's
// number, the shells' convention (exitCode). A second signal, once the first
// has been taken, has its default effect: the process ends at once.
func runMain(args []string, stdout, stderr io.Writer) int {
	term, stopTerm := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stopTerm()
	ctx, stopInt := signal.NotifyContext(term, os.Interrupt)
	defer stopInt()
	go func() {
		<-ctx.Done()
		stopInt()
		stopTerm()
	}()
	// The cause of a context that a signal cancelled names the signal; one
	// that stop cancelled has context.Canceled itself as its cause (the
	// signal's cause also matches errors.Is(…, context.Canceled)).
	caught := func() os.Signal {
		switch {
		case ctx.Err() == nil:
			return nil
		case term.Err() != nil && context.Cause(term) != context.Canceled:
			return syscall.SIGTERM
		}
		return os.Interrupt
	}
	return runCtx(ctx, caught, args, stdout, stderr)
}

// run is runMain without signal handling, for tests that call a command in
// the test's own process.
func run(args []string, stdout, stderr io.Writer) int {
	return runCtx(context.Background(), func() os.Signal { return nil }, args, stdout, stderr)
}

// runCtx runs the command args names and maps what it returns to the
// process's exit code (exitCode).
func runCtx(ctx context.Context, caught func() os.Signal, args []string, stdout, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr, color: colorFor(stderr), caught: caught}
	if len(args) == 0 {
		c.usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) > 1 {
			return runCtx(ctx, caught, []string{args[1], "--help"}, stdout, stderr)
		}
		c.usage(stdout)
		return exitOK
	case "--version":
		return c.exitCode(c.version(ctx, nil))
	}
	for _, cmd := range commands() {
		if cmd.name == args[0] {
			return c.exitCode(cmd.run(c, ctx, args[1:]))
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

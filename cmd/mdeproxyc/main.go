// Command mdeproxyc compiles Microsoft Defender for Endpoint proxy intent,
// written once in CUE for a whole fleet, into every deployment artifact.
package main

import (
	"context"
	"errors"
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
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case sig := <-sigs:
			signal.Stop(sigs)
			cancel(caughtSignal{sig})
		case <-ctx.Done():
		}
	}()
	return runCtx(ctx, args, stdout, stderr)
}

// caughtSignal is the cause of the context runMain cancels on a signal.
type caughtSignal struct{ os.Signal }

func (s caughtSignal) Error() string { return s.String() + " signal received" }

// run is runMain without signal handling, for tests that call a command in
// the test's own process.
func run(args []string, stdout, stderr io.Writer) int {
	return runCtx(context.Background(), args, stdout, stderr)
}

// runCtx runs the command args names and maps what it returns to the
// process's exit code (exitCode).
func runCtx(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	caught := func() os.Signal {
		var s caughtSignal
		if errors.As(context.Cause(ctx), &s) {
			return s.Signal
		}
		return nil
	}
	c := &cli{stdout: stdout, stderr: stderr, color: colorFor(stderr), caught: caught}
	if len(args) == 0 {
		c.usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) > 1 {
			return runCtx(ctx, []string{args[1], "--help"}, stdout, stderr)
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

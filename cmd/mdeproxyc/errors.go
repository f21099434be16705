package main

import (
	"context"
	"errors"
	"fmt"
	"syscall"
)

// Exit codes, as docs/ARCHITECTURE.md ("Exit codes") and the README fix them.
const (
	exitOK    = 0
	exitFail  = 1 // invalid input, drift found, lint errors
	exitUsage = 2
	// A command stopped by a signal exits with 128 plus its number:
	// 130 for SIGINT, 143 for SIGTERM.
	exitSignal = 128
)

// usageError is a mistake in the command line: exit 2.
type usageError struct {
	msg string
	// help names the command whose --help to point at, if any.
	help string
}

func (e *usageError) Error() string { return e.msg }

// usagef is a usage error with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errReported stops a command with exit 1 after it said why itself
// (diagnostics, a drift report, a failed plan).
var errReported = errors.New("failure already reported")

// interruptedError is a command stopped by a signal; state says what became of
// the bundle ("the previous bundle is untouched"), if anything.
type interruptedError struct{ state string }

func (e *interruptedError) Error() string { return "interrupted" }

// exitCode prints err, if any, and returns the exit code it means: 0 for nil,
// 2 for a usage error, 128+N for a command stopped by signal N, 1 otherwise.
// It is the one place that decides exit codes.
func (c *cli) exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ie *interruptedError
	if sig := c.caught(); sig != nil && (errors.As(err, &ie) || errors.Is(err, context.Canceled)) {
		msg := fmt.Sprintf("interrupted (%v)", sig)
		if ie != nil && ie.state != "" {
			msg += "; " + ie.state
		}
		c.errorf("%s", msg)
		if sig == syscall.SIGTERM {
			return exitSignal + 15
		}
		return exitSignal + 2
	}
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		c.errorf("%s", ue.msg)
		if ue.help != "" {
			fmt.Fprintf(c.stderr, "Run 'mdeproxyc %s --help' for usage.\n", ue.help)
		}
		return exitUsage
	case errors.Is(err, errReported):
		return exitFail
	}
	c.errorf("%v", err)
	return exitFail
}

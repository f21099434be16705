package main

import "golang.org/x/sys/windows"

// isTerminal reports whether the handle is a console: GetConsoleMode succeeds
// only for one.
func isTerminal(fd uintptr) bool {
	var mode uint32
	return windows.GetConsoleMode(windows.Handle(fd), &mode) == nil
}

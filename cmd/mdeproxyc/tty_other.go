//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly && !windows

package main

// isTerminal reports false where no terminal can be detected.
func isTerminal(uintptr) bool { return false }

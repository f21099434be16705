//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import "golang.org/x/sys/unix"

// isTerminal reports whether the file descriptor is a terminal: TCGETS
// answers only for one (what golang.org/x/term does; its module would pull
// older golang.org/x versions into this build).
func isTerminal(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), ioctlGetTermios)
	return err == nil
}

//go:build !unix

package validators

import "testing"

// lockLoopbackPorts does nothing where the Squid tests do not run (they need
// a Unix Squid): there is no second package to wait for.
func lockLoopbackPorts(t testing.TB) {}

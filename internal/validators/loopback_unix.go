//go:build unix

package validators

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// loopbackLock is the file whose lock serialises the tests that listen on
// 127.0.0.1:80 and :443: go test runs packages in parallel processes, and two
// of them (proxyside, connectivity) need those ports.
var loopbackLock = filepath.Join(os.TempDir(), "mdeproxyc-loopback-ports.lock")

// lockLoopbackPorts takes the ports' lock until the test ends, waiting for
// another package's test to release it (2 minutes at most).
func lockLoopbackPorts(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(loopbackLock, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			f.Close()
			t.Fatalf("the loopback ports' lock %s: %v", loopbackLock, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Cleanups run last-registered first: the servers close before the lock goes.
	t.Cleanup(func() { f.Close() })
}

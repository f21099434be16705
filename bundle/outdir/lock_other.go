//go:build !unix && !windows

package outdir

// lockLive has nothing to lock with on this system.
func lockLive(string) (func(), error) { return func() {}, nil }

// lockStale never takes another build's folder for stale where there is no
// lock to tell: it is left for the user.
func lockStale(string) (func(), bool) { return nil, false }

func isMountPoint(string) bool { return false }

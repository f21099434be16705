//go:build !linux

package bundle

// umaskHarmless reports false where the umask cannot be read without
// changing it: every mode is set with chmod.
func umaskHarmless() bool { return false }

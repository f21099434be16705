package bundle

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// umaskHarmless reports whether the process's umask takes no bit of the modes
// a bundle's files and folders get (0755, 0644). Linux shows the umask in
// /proc/self/status (since 4.7), read without changing it: umask(2) can only
// be read by setting it, which would race with other goroutines creating
// files. Anything unreadable counts as harmful: modes are then set with chmod.
func umaskHarmless() bool {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			return err == nil && mask&0o755 == 0
		}
	}
	return false
}

// Package validators runs independent consumers of the artifacts — hivex, Wine,
// Samba — for tests, and reads back what they understood. Our own parser agreeing
// with our own writer proves nothing; these programs were written by others.
//
// A test whose tool is missing skips with a message on a developer's machine and
// fails when MDEPROXYC_REQUIRE_VALIDATORS=1 (as in CI), so CI never skips.
package validators

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// RequireEnv is the variable that turns a missing validator into a failure.
const RequireEnv = "MDEPROXYC_REQUIRE_VALIDATORS"

// Tool returns the path of an installed program, or skips (fails, under
// RequireEnv) the test when it is missing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	Missing(t, name+" is not installed (.ci/run installs it)")
	return ""
}

// Missing skips the test, or fails it when validators are required. Every
// skip of a real-consumer check goes through here (or Unavailable, Slow,
// Root), so that CI never skips one: skips_test.go rejects any other.
func Missing(t testing.TB, why string) {
	t.Helper()
	if err := Unavailable(why); err != nil {
		t.Fatal(err)
	}
	t.Skipf("validator unavailable: %s", why)
}

// Unavailable is Missing for callers that cannot skip a test themselves,
// such as a testscript condition: it returns nil when the caller should
// skip, and an error saying why when validators are required (RequireEnv=1,
// as CI sets it).
func Unavailable(why string) error {
	if os.Getenv(RequireEnv) == "1" {
		return fmt.Errorf("validator unavailable with %s=1: %s", RequireEnv, why)
	}
	return nil
}

// SlowCondition is Slow for a testscript condition ("slow"): true when slow
// checks run; under -short false, with an error when validators are required.
func SlowCondition() (bool, error) {
	if testing.Short() {
		return false, Unavailable("-short leaves out a slow check")
	}
	return true, nil
}

// Slow skips a real-consumer test under go test -short, saying why it is
// slow; with validators required, -short fails it instead, since the check
// would otherwise not run. (CI does not pass -short.)
func Slow(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		Missing(t, "-short leaves out a slow check: "+why)
	}
}

// NotOnThisOS skips a check the operating system itself cannot take (Windows
// keeps no Unix modes or link counts): no tool CI could install would make it
// run, and CI runs on Linux, where no caller of this skips.
func NotOnThisOS(t testing.TB, why string) {
	t.Helper()
	t.Skipf("not on %s: %s", runtime.GOOS, why)
}

// Root skips (fails, with validators required) a test that only root can
// run, saying why; CI runs as root.
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "needs root: "+why)
	}
}

// writeFile writes data as name in dir (a new temporary folder when dir is
// "") for a consumer to read, and returns its path; it fails the test on error.
func writeFile(t testing.TB, dir, name string, data []byte, mode fs.FileMode) string {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// runOnFiles writes each input to a temporary file named by pattern (with its
// index), runs the consumer with args followed by the files, and decodes its
// JSON output into out.
func runOnFiles(t testing.TB, pattern string, inputs [][]byte, out any, name string, args ...string) {
	t.Helper()
	dir := t.TempDir()
	for i, b := range inputs {
		args = append(args, writeFile(t, dir, fmt.Sprintf(pattern, i), b, 0o644))
	}
	data, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(name), err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("%s output: %v", filepath.Base(name), err)
	}
}

package validators

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// cueModule is the module whose version go.mod pins and the cue binary must
// match: a differential against another evaluator's release would compare
// two versions of CUE, not mdeproxyc with CUE.
const cueModule = "cuelang.org/go"

// CueBinary returns the path of a `cue` command of the very version go.mod
// pins (on PATH, or in .cache/bin where .ci/run installs it), or skips
// (fails, with validators required) the test.
func CueBinary(t testing.TB) string {
	t.Helper()
	want := pinnedCue()
	if want == "" {
		t.Fatalf("go.mod requires no %s", cueModule)
	}
	install := "go install " + cueModule + "/cmd/cue@" + want + " (.ci/run installs it in .cache/bin)"
	path, err := exec.LookPath("cue")
	if err != nil {
		_, file, _, _ := runtime.Caller(0)
		path = filepath.Join(filepath.Dir(file), "..", "..", ".cache", "bin", "cue")
		if _, err := os.Stat(path); err != nil {
			Missing(t, "cue is not installed: "+install)
		}
	}
	out, err := exec.Command(path, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", path, err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	if got := strings.TrimPrefix(first, "cue version "); got != want {
		Missing(t, path+" is "+first+", go.mod pins "+want+": "+install)
	}
	return path
}

// pinnedCue is the version of cuelang.org/go that the repository's go.mod
// requires ("" if it names none).
func pinnedCue() string {
	_, file, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "go.mod"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == cueModule {
			return f[1]
		}
	}
	return ""
}

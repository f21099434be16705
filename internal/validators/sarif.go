package validators

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// SarifMultitool validates a SARIF log with Microsoft's SARIF Multitool (npm
// @microsoft/sarif-multitool-linux, installed by .ci/run in tools/sarif). It
// exits 0 even when it reports problems, so every "error" or "warning" line of
// its output is returned as a failure.
func SarifMultitool(t testing.TB, log []byte) error {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	bin := filepath.Join(filepath.Dir(file), "..", "..", "tools", "sarif", "node_modules", "@microsoft", "sarif-multitool-linux", "Sarif.Multitool")
	st, err := os.Stat(bin)
	if err != nil {
		Missing(t, "tools/sarif/node_modules is missing (run: npm ci --prefix tools/sarif)")
	}
	if st.Mode()&0o100 == 0 {
		if err := os.Chmod(bin, st.Mode()|0o100); err != nil {
			t.Fatal(err)
		}
	}
	path := writeFile(t, "", "vet.sarif", log, 0o644)
	cmd := exec.Command(bin, "validate", path)
	cmd.Env = append(os.Environ(), "DOTNET_CLI_TELEMETRY_OPTOUT=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("Sarif.Multitool: %v\n%s", err, out)
	}
	var problems []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, ": error ") || strings.Contains(line, ": warning ") {
			problems = append(problems, line)
		}
	}
	if !strings.Contains(string(out), "Analysis completed successfully") {
		problems = append(problems, "the Multitool did not complete: "+string(out))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

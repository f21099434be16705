package validators

import (
	"fmt"
	"os/exec"
	"testing"
)

// Shellcheck runs shellcheck on a script for the given shell ("sh" or "bash");
// any finding is an error.
func Shellcheck(t testing.TB, shell string, script []byte) error {
	t.Helper()
	sc := Tool(t, "shellcheck")
	file := writeFile(t, "", "script.sh", script, 0o755)
	if out, err := exec.Command(sc, "-s", shell, file).CombinedOutput(); err != nil || len(out) > 0 {
		return fmt.Errorf("shellcheck: %v\n%s", err, out)
	}
	return nil
}

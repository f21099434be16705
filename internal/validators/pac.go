package validators

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"testing"
)

// pacScript evaluates a PAC file with pacparser (the PAC engine of Debian's
// python3-pacparser, built on SpiderMonkey) for each URL and host on its
// arguments and prints the answers as a JSON list.
const pacScript = `
import json, sys, pacparser
pacparser.init()
pacparser.parse_pac_file(sys.argv[1])
out = []
for i in range(2, len(sys.argv), 2):
    out.append(pacparser.find_proxy(sys.argv[i], sys.argv[i+1]))
pacparser.cleanup()
print(json.dumps(out))
`

// pacPython finds a Python that can import pacparser: Debian installs the
// module for its own /usr/bin/python3, which a version manager may shadow.
func pacPython(t testing.TB) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(py); err == nil && exec.Command(p, "-c", "import pacparser").Run() == nil {
			return p
		}
	}
	Missing(t, "python3-pacparser is not installed (.ci/run installs it)")
	return ""
}

// PACFindProxy evaluates FindProxyForURL in a real PAC engine for each host
// (requested as https://host/) and returns the engine's answers in order.
func PACFindProxy(t testing.TB, pac []byte, hosts []string) []string {
	t.Helper()
	py := pacPython(t)
	file := writeFile(t, "", "proxy.pac", pac, 0o644)
	args := []string{"-c", pacScript, file}
	for _, h := range hosts {
		args = append(args, "https://"+h+"/", h)
	}
	out, err := exec.Command(py, args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("pacparser: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("pacparser: %v", err)
	}
	var answers []string
	if err := json.Unmarshal(out, &answers); err != nil || len(answers) != len(hosts) {
		t.Fatalf("pacparser output %q: %v", out, fmt.Sprint(err))
	}
	return answers
}

package linux

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// managedSchema is written from Microsoft's documentation of the managed file
// (defender-docs linux-preferences.md, linux-static-proxy-configuration.md):
// cloudService.proxy is an http URL, and never empty.
const managedSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["cloudService"],
  "properties": {
    "cloudService": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "proxy": {"type": "string", "minLength": 1, "pattern": "^http://[^\\s/@]+:[0-9]+/?$"}
      }
    }
  }
}`

// checkManaged checks a managed file strictly. There is no real mdatp consumer
// on this machine (mdatp cannot be installed from the registries it reaches):
// this is a documentation check — strict decode, duplicate keys, JSON Schema.
func checkManaged(data []byte) (proxy string, hasProxy bool, err error) {
	if err := noDuplicateKeys(data); err != nil {
		return "", false, err
	}
	var m struct {
		CloudService struct {
			Proxy *string `json:"proxy"`
		} `json:"cloudService"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return "", false, fmt.Errorf("strict decode: %v", err)
	}
	if dec.More() {
		return "", false, fmt.Errorf("trailing data")
	}
	schema, err := jsonschema.UnmarshalJSON(strings.NewReader(managedSchema))
	if err != nil {
		return "", false, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("managed.json", schema); err != nil {
		return "", false, err
	}
	sch, err := c.Compile("managed.json")
	if err != nil {
		return "", false, err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return "", false, err
	}
	if err := sch.Validate(inst); err != nil {
		return "", false, fmt.Errorf("schema: %v", err)
	}
	if m.CloudService.Proxy == nil {
		return "", false, nil
	}
	return *m.CloudService.Proxy, true, nil
}

// noDuplicateKeys walks the JSON tokens: Go's decoder silently keeps the last
// of two equal keys.
func noDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				if seen[k.(string)] {
					return fmt.Errorf("duplicate key %q", k)
				}
				seen[k.(string)] = true
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	return walk()
}

func linuxProfiles(t *testing.T) []*model.Profile { return testfleet.Targeting(t, model.Linux, 3) }

func TestManagedFile(t *testing.T) {
	for _, p := range linuxProfiles(t) {
		data, err := Managed(p)
		if err != nil {
			t.Fatal(err)
		}
		proxy, has, err := checkManaged(data)
		if err != nil {
			t.Errorf("%s: %v\n%s", p.Name, err, data)
			continue
		}
		if has != (p.Linux.Proxy != "") || proxy != p.Linux.Proxy {
			t.Errorf("%s: proxy %q (present %v), intent %q", p.Name, proxy, has, p.Linux.Proxy)
		}
		if p.Mode == model.ModeAuto && bytes.Contains(data, []byte(`"proxy"`)) {
			t.Errorf("%s: auto mode wrote a proxy key: %s", p.Name, data)
		}
		if !bytes.HasSuffix(data, []byte("}\n")) || !bytes.Contains(data, []byte("\n  \"cloudService\"")) {
			t.Errorf("%s: not two-space indented with a trailing newline: %q", p.Name, data)
		}
	}
}

// TestManagedCheckRejects proves the documentation check is not a rubber stamp.
func TestManagedCheckRejects(t *testing.T) {
	for name, bad := range map[string]string{
		"empty proxy":   `{"cloudService": {"proxy": ""}}`,
		"duplicate key": `{"cloudService": {"proxy": "http://a:1", "proxy": "http://b:2"}}`,
		"unknown key":   `{"cloudService": {"proxy": "http://a:1", "proxyy": "x"}}`,
		"pac url":       `{"cloudService": {"proxy": "http://a/proxy.pac"}}`,
		"https":         `{"cloudService": {"proxy": "https://a:1"}}`,
		"trailing":      `{"cloudService": {}} {}`,
	} {
		if _, _, err := checkManaged([]byte(bad)); err == nil {
			t.Errorf("%s: accepted %s", name, bad)
		}
	}
}

func TestShellcheck(t *testing.T) {
	for _, p := range linuxProfiles(t) {
		if err := validators.Shellcheck(t, "sh", Script(p)); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
	if err := validators.Shellcheck(t, "sh", []byte("#!/bin/sh\necho $1\n")); err == nil {
		t.Error("shellcheck accepted an unquoted expansion: the checker is not running")
	}
}

// fakeMdatp is an mdatp stand-in that records its arguments, one per line, and
// answers a connectivity test with $FAKE_CONNECTIVITY.
const fakeMdatp = `#!/bin/sh
for a in "$@"; do printf '%s\n' "$a"; done >> "$FAKE_LOG"
echo --- >> "$FAKE_LOG"
if [ "$1" = connectivity ]; then printf '%s\n' "$FAKE_CONNECTIVITY"; fi
`

// TestScriptRuns runs set-proxy.sh under sh with a fake mdatp and checks the
// exact argv mdatp received, --dry-run, and --verify's verdicts.
func TestScriptRuns(t *testing.T) {
	validators.Root(t, "set-proxy.sh refuses to run unless root")
	sh := validators.Tool(t, "sh")
	for _, p := range linuxProfiles(t) {
		t.Run(p.Name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "mdatp"), []byte(fakeMdatp), 0o755)
			script := filepath.Join(dir, "set-proxy.sh")
			os.WriteFile(script, Script(p), 0o755)
			logFile := filepath.Join(dir, "log")
			run := func(connectivity string, args ...string) (string, error) {
				cmd := exec.Command(sh, append([]string{script}, args...)...)
				cmd.Env = append(os.Environ(), "PATH="+dir+":/usr/bin:/bin", "FAKE_LOG="+logFile, "FAKE_CONNECTIVITY="+connectivity)
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			log := func() string { b, _ := os.ReadFile(logFile); os.Remove(logFile); return string(b) }

			out, err := run("", "--dry-run")
			if err != nil || log() != "" {
				t.Fatalf("--dry-run ran mdatp or failed: %v\n%s", err, out)
			}
			ok := "Testing connection with https://a/ ... [OK]\nTesting connection with https://b/ ... [OK]"
			out, err = run(ok, "--verify")
			if err != nil {
				t.Fatalf("apply: %v\n%s", err, out)
			}
			want := "connectivity\ntest\n---\n"
			if p.Linux.Proxy != "" {
				want = "config\nproxy\nset\n--value\n" + p.Linux.Proxy + "\n---\n" + want
			}
			if got := log(); got != want {
				t.Errorf("mdatp received:\n%s\nwant:\n%s", got, want)
			}
			out, err = run("Testing connection with https://a/ ... [OK]\nTesting connection with https://b/ ... [ERROR]", "--verify")
			if err == nil || !strings.Contains(out, "[ERROR]") {
				t.Errorf("--verify passed a failing connectivity test:\n%s", out)
			}
			if _, err := run("", "--bogus"); err == nil {
				t.Error("an unknown argument was accepted")
			}
		})
	}
}

// FuzzShQuote proves shQuote: whatever the value, sh sees exactly it.
func FuzzShQuote(f *testing.F) {
	for _, s := range []string{"", "a", "'", `'\''`, "$(id)", "`id`", "a b", "\"", "\\", "x'$y'z"} {
		f.Add(s)
	}
	sh := validators.Tool(f, "sh")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, 0) {
			return // no argument or variable can hold NUL
		}
		out, err := exec.Command(sh, "-c", "printf '%s' "+shQuote(s)).Output()
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if string(out) != s {
			t.Fatalf("sh saw %q for %q", out, s)
		}
	})
}

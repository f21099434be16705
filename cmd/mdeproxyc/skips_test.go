package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// platforms are the conditions a script may skip on without the validators
// helper: the operating system is not a tool CI could install, and CI runs
// on Linux, where none of them skips.
var platforms = map[string]bool{"unix": true, "linux": true, "windows": true, "darwin": true}

// TestScriptSkips: every skip in a script says why, and is guarded only by
// a platform or by one of condition's own conditions (which fail under
// MDEPROXYC_REQUIRE_VALIDATORS=1): testscript's exec:, short, net and the
// like would skip a check silently in CI.
func TestScriptSkips(t *testing.T) {
	files, _ := filepath.Glob("testdata/script/*.txtar")
	if len(files) == 0 {
		t.Fatal("no scripts")
	}
	skips := 0
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(a.Comment), "\n") {
			if problem := skipProblem(line); problem != "" {
				t.Errorf("%s:%d: %s: %s", f, i+1, problem, line)
			}
			if strings.Contains(line, "] skip") {
				skips++
			}
		}
	}
	if skips == 0 {
		t.Fatal("found no skip line at all: the scan reads nothing")
	}
}

// skipProblem says what is wrong with a script line that skips, or "".
func skipProblem(line string) string {
	fields := strings.Fields(line)
	var conds []string
	for len(fields) > 0 && strings.HasPrefix(fields[0], "[") && strings.HasSuffix(fields[0], "]") {
		conds = append(conds, strings.TrimPrefix(strings.Trim(fields[0], "[]"), "!"))
		fields = fields[1:]
	}
	if len(fields) == 0 || fields[0] != "skip" {
		return ""
	}
	if len(fields) < 2 {
		return "a skip that does not say why"
	}
	if len(conds) == 0 {
		return "a skip without a condition skips everywhere, CI included"
	}
	for _, c := range conds {
		if platforms[c] {
			continue
		}
		if _, err := condition(c); err != nil && strings.Contains(err.Error(), "unknown condition") {
			return "condition " + c + " does not go through validators.Unavailable (use tool:NAME, not exec:NAME)"
		}
	}
	return ""
}

// TestSkipProblem: the scan is not a rubber stamp.
func TestSkipProblem(t *testing.T) {
	for line, bad := range map[string]bool{
		"[!exec:mkfifo] skip 'needs mkfifo'": true,
		"[short] skip 'slow'":                true,
		"[!protectable] skip":                true,
		"skip 'not yet'":                     true,
		"[!tool:mkfifo] skip 'needs mkfifo'": false,
		"[!linux] skip 'Linux only'":         false,
		"[!protectable] skip 'root'":         false,
		"exec mdeproxyc build skipped":       false,
	} {
		if got := skipProblem(line) != ""; got != bad {
			t.Errorf("%q: problem %v, want %v", line, got, bad)
		}
	}
}

// TestConditionObeysRequire: a condition about a missing tool is false on a
// developer's machine (the script skips) and an error under
// MDEPROXYC_REQUIRE_VALIDATORS=1 (the script fails); a present tool is true.
func TestConditionObeysRequire(t *testing.T) {
	const absent = "tool:mdeproxyc-no-such-tool"
	t.Setenv(validators.RequireEnv, "")
	if ok, err := condition(absent); ok || err != nil {
		t.Errorf("without %s: %v, %v; want false, nil", validators.RequireEnv, ok, err)
	}
	sh, err := condition("tool:sh")
	if err != nil || !sh {
		t.Errorf("tool:sh: %v, %v; want true", sh, err)
	}
	t.Setenv(validators.RequireEnv, "1")
	if ok, err := condition(absent); ok || err == nil || !strings.Contains(err.Error(), "mdeproxyc-no-such-tool") {
		t.Errorf("with %s=1: %v, %v; want an error naming the tool", validators.RequireEnv, ok, err)
	}
}

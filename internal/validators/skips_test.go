package validators

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// outcome records what a helper did to a test: the message it failed or
// skipped with, or neither.
type outcome struct {
	testing.TB
	failed, skipped string
}

func (o *outcome) Helper() {}
func (o *outcome) Fatal(args ...any) {
	o.failed = fmt.Sprint(args...)
	runtime.Goexit()
}
func (o *outcome) Fatalf(format string, args ...any) { o.Fatal(fmt.Sprintf(format, args...)) }
func (o *outcome) Skipf(format string, args ...any)  { o.Skip(fmt.Sprintf(format, args...)) }
func (o *outcome) Skip(args ...any) {
	o.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}

// run calls f with an outcome in a goroutine of its own, as the testing
// package would: Fatal and Skip end the goroutine.
func run(t *testing.T, f func(testing.TB)) *outcome {
	o := &outcome{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(o)
	}()
	<-done
	return o
}

// TestMissingObeysRequire: with MDEPROXYC_REQUIRE_VALIDATORS=1 every helper
// fails the test, naming why; without it, each skips, naming why; and a tool
// that is installed neither skips nor fails.
func TestMissingObeysRequire(t *testing.T) {
	helpers := map[string]func(testing.TB){
		"Missing":     func(tb testing.TB) { Missing(tb, "frobnicator is gone") },
		"Tool":        func(tb testing.TB) { Tool(tb, "mdeproxyc-no-such-tool") },
		"Unavailable": func(tb testing.TB) { maybeFail(tb, Unavailable("frobnicator is gone")) },
	}
	for _, required := range []string{"", "1"} {
		t.Setenv(RequireEnv, required)
		for name, h := range helpers {
			o := run(t, h)
			why := "frobnicator is gone"
			if name == "Tool" {
				why = "mdeproxyc-no-such-tool is not installed"
			}
			switch {
			case required == "1" && (o.failed == "" || !strings.Contains(o.failed, why) || !strings.Contains(o.failed, RequireEnv)):
				t.Errorf("%s with %s=1: failed %q, skipped %q; want a failure naming why and the variable", name, RequireEnv, o.failed, o.skipped)
			case required == "" && name != "Unavailable" && (o.skipped == "" || !strings.Contains(o.skipped, why) || o.failed != ""):
				t.Errorf("%s without %s: failed %q, skipped %q; want a skip naming why", name, RequireEnv, o.failed, o.skipped)
			case required == "" && name == "Unavailable" && o.failed != "":
				t.Errorf("Unavailable without %s returned %q; want nil (the caller skips)", RequireEnv, o.failed)
			}
		}
		if o := run(t, func(tb testing.TB) { Tool(tb, "sh") }); o.failed != "" || o.skipped != "" {
			t.Errorf("an installed tool: failed %q, skipped %q", o.failed, o.skipped)
		}
	}
}

// TestSlowAndRootObeyRequire: -short skips a slow real-consumer test, and
// fails it under MDEPROXYC_REQUIRE_VALIDATORS=1; without -short it runs. As
// root (CI) Root lets the test run; otherwise it fails under the variable.
func TestSlowAndRootObeyRequire(t *testing.T) {
	short := flag.Lookup("test.short")
	defer short.Value.Set(short.Value.String())
	for _, c := range []struct{ short, required, fail, skip bool }{
		{false, true, false, false},
		{true, false, false, true},
		{true, true, true, false},
	} {
		short.Value.Set(fmt.Sprint(c.short))
		t.Setenv(RequireEnv, map[bool]string{true: "1"}[c.required])
		o := run(t, func(tb testing.TB) { Slow(tb, "takes an hour") })
		if (o.failed != "") != c.fail || (o.skipped != "") != c.skip || (o.failed+o.skipped != "" && !strings.Contains(o.failed+o.skipped, "takes an hour")) {
			t.Errorf("-short=%v, required %v: failed %q, skipped %q", c.short, c.required, o.failed, o.skipped)
		}
	}
	t.Setenv(RequireEnv, "1")
	o := run(t, func(tb testing.TB) { Root(tb, "writes /etc") })
	if root := os.Geteuid() == 0; root != (o.failed == "") || o.skipped != "" {
		t.Errorf("root %v: failed %q, skipped %q", root, o.failed, o.skipped)
	}
}

// maybeFail fails tb with err, if any.
func maybeFail(tb testing.TB, err error) {
	if err != nil {
		tb.Fatal(err)
	}
}

// skipCall is a direct skip in Go: it would skip a check under CI too.
var skipCall = regexp.MustCompile(`\.Skip(f|Now)?\(|testing\.Short\(\)`)

// TestNoDirectSkips: no test file skips on its own; every skip goes through
// Missing (Tool, Unavailable, Slow, Root), which CI turns into a failure.
func TestNoDirectSkips(t *testing.T) {
	_, self, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(self), "..", "..")
	scanned := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return fs.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || p == self || p == filepath.Join(filepath.Dir(self), "validators.go") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		scanned++
		for i, line := range strings.Split(string(data), "\n") {
			if skipCall.MatchString(line) {
				rel, _ := filepath.Rel(root, p)
				t.Errorf("%s:%d: a skip that does not go through validators.Missing (MDEPROXYC_REQUIRE_VALIDATORS=1 cannot fail it): %s", rel, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 100 {
		t.Fatalf("scanned only %d Go files", scanned)
	}
	for _, line := range []string{`t.Skip("x")`, `f.Skipf("%v", err)`, `t.SkipNow()`, `if testing.Short() {`} {
		if !skipCall.MatchString(line) {
			t.Errorf("the scan misses %s", line)
		}
	}
}

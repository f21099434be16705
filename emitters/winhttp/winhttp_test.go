package winhttp

import (
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// TestWineCmd runs every winhttp .cmd of the example fleet, plus scripts built
// from awkward but valid values, under Wine's cmd.exe: exit 0, nothing printed
// (cmd prints "Syntax error" and carries on), and the argv netsh received — from
// Wine's netsh trace — equal to the intended one, <local> included.
func TestWineCmd(t *testing.T) {
	if testing.Short() {
		t.Skip("Wine")
	}
	type script struct {
		name string
		args []string
	}
	var cases []script
	n := 0
	for _, p := range testfleet.Profiles(t) {
		if p.Targets(model.Windows) && p.WinHTTP.Enabled {
			n++
			cases = append(cases, script{p.Name + "/set", Args(p)}, script{p.Name + "/reset", ResetArgs})
		}
	}
	if n == 0 {
		t.Fatal("no example profile enables WinHTTP")
	}
	for _, p := range testfleet.Source(t, `package fleet
profiles: {
	v6: {platforms: ["windows"], proxy: "[2001:db8::1]:8080", bypass: ["<local>", "*.a-b.example.com", "10.*", "*"], windows: winhttp: enabled: true}
	auto: {platforms: ["windows"], mode: "auto", windows: winhttp: enabled: true}
	nobypass: {platforms: ["windows"], proxy: "p.example.com:1", windows: winhttp: enabled: true}
}
`) {
		cases = append(cases, script{p.Name, Args(p)})
	}
	w := validators.NewWine(t)
	dir := t.TempDir()
	for _, c := range cases {
		data, err := Script("test.cmd", "x", "tests", c.args)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, strings.ReplaceAll(c.name, "/", "-")+".cmd")
		os.WriteFile(path, data, 0o644)
		code, out, calls := w.RunBatch(path)
		if code != 0 || out != "" {
			t.Errorf("%s: exit %d, output %q", c.name, code, out)
		}
		if d := cmp.Diff([][]string{c.args}, calls); d != "" {
			t.Errorf("%s: netsh argv (-want +got):\n%s", c.name, d)
		}
	}
	// The check is not a rubber stamp: an unquoted <local> is a redirection.
	bad := filepath.Join(dir, "bad.cmd")
	os.WriteFile(bad, []byte("@echo off\r\nnetsh winhttp set proxy proxy-server=a:1 bypass-list=<local>;*.x\r\n"), 0o644)
	code, out, calls := w.RunBatch(bad)
	if code == 0 && out == "" && cmp.Equal(calls, [][]string{{"winhttp", "set", "proxy", "proxy-server=a:1", "bypass-list=<local>;*.x"}}) {
		t.Error("an unquoted <local> passed the check")
	}
}

func TestCmdArgRefusesSpecials(t *testing.T) {
	for _, s := range []string{`a"b`, "a%PATH%", "a!b", "a^b", "a\nb"} {
		if _, err := cmdArg(s); err == nil {
			t.Errorf("%q was quoted", s)
		}
	}
}

func TestOnlyWhenEnabled(t *testing.T) {
	for _, p := range testfleet.Profiles(t) {
		files, err := Emitter{}.Emit(emitters.NewProfile(p))
		if err != nil {
			t.Fatal(err)
		}
		if want := p.Targets(model.Windows) && p.WinHTTP.Enabled; (len(files) > 0) != want {
			t.Errorf("%s: %d files, want files %v", p.Name, len(files), want)
		}
	}
}

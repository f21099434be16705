package winhttp

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// wantArgs is the netsh argv a profile's winhttp-set.cmd must produce, stated
// independently of the script's own logic.
func wantArgs(p *model.Profile) []string {
	if p.Mode == model.ModeAuto {
		return []string{"winhttp", "reset", "proxy"}
	}
	args := []string{"winhttp", "set", "proxy", "proxy-server=" + p.WinHTTP.Proxy}
	if len(p.WinHTTP.Bypass) > 0 {
		args = append(args, "bypass-list="+strings.Join(p.WinHTTP.Bypass, ";"))
	}
	return args
}

// emit returns the profile's winhttp files by path.
func emit(t *testing.T, p *model.Profile) (map[string][]byte, error) {
	files, err := Emitter{}.Emit(emitters.NewProfile(p))
	out := map[string][]byte{}
	for _, f := range files {
		out[f.Path] = f.Data
	}
	return out, err
}

// TestWineCmd runs every winhttp .cmd of the example fleet, plus scripts built
// from awkward but valid values and a bypass list just under cmd.exe's line
// limit, under Wine's cmd.exe: exit 0, nothing printed (cmd prints "Syntax
// error" and carries on), and exactly one netsh call whose argv — from Wine's
// netsh trace — equals the intended one, <local> included.
func TestWineCmd(t *testing.T) {
	validators.Slow(t, "Wine takes ~15 s to make a prefix")
	type script struct {
		name string
		data []byte
		args []string
	}
	var cases []script
	add := func(p *model.Profile) {
		files, err := emit(t, p)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		cases = append(cases, script{p.Name + "-set", files[SetPath], wantArgs(p)},
			script{p.Name + "-reset", files[ResetPath], []string{"winhttp", "reset", "proxy"}})
	}
	n := 0
	for _, p := range testfleet.Profiles(t) {
		if p.Targets(model.Windows) && p.WinHTTP.Enabled {
			n++
			add(p)
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
		add(p)
	}
	near := nearLimit(t)
	files, err := emit(t, near)
	if err != nil {
		t.Fatalf("a bypass list just under the limit: %v", err)
	}
	if l := LongestLine(files[SetPath]); l > MaxLine || l < MaxLine-40 {
		t.Fatalf("the near-limit case has a longest line of %d, want just under %d", l, MaxLine)
	}

	w := validators.NewWine(t)
	dir := t.TempDir()
	for _, c := range cases {
		path := filepath.Join(dir, c.name+".cmd")
		os.WriteFile(path, c.data, 0o644)
		code, out, calls := w.RunBatch(path)
		if code != 0 || out != "" {
			t.Errorf("%s: exit %d, output %q", c.name, code, out)
		}
		if d := cmp.Diff([][]string{c.args}, calls); d != "" {
			t.Errorf("%s: netsh argv (-want +got):\n%s", c.name, d)
		}
	}
	// Near the limit: Wine's netsh trace cuts long strings short, so netsh is
	// replaced by a batch file that writes each argument it gets on a line
	// (quoted arguments keep their quotes, which also keep <local> from being
	// a redirection there): the one line that names netsh's path points at
	// it instead; the long netsh line under test is unchanged.
	rec := filepath.Join(dir, "recorder.cmd")
	var recText strings.Builder
	recText.WriteString("@echo off\r\n")
	// Wine's cmd has no "echo(": arguments 1-5 are never empty, a sixth is
	// written only if present, and "end" closes the record.
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&recText, ">>\"%%MDE_ARGV_OUT%%\" echo %%%d\r\n", i)
	}
	recText.WriteString("if not \"%~6\"==\"\" >>\"%MDE_ARGV_OUT%\" echo %6\r\n>>\"%MDE_ARGV_OUT%\" echo end\r\nexit /b 0\r\n")
	os.WriteFile(rec, []byte(recText.String()), 0o644)
	const netshLine = `set "MDE_NETSH=%SystemRoot%\System32\netsh.exe"`
	if strings.Count(string(files[SetPath]), netshLine) != 1 {
		t.Fatalf("winhttp-set.cmd has no line %s", netshLine)
	}
	nearPath := filepath.Join(dir, "near.cmd")
	os.WriteFile(nearPath, []byte(strings.Replace(string(files[SetPath]), netshLine, `set "MDE_NETSH=`+validators.Path(rec)+`"`, 1)), 0o644)
	argvFile := filepath.Join(dir, "argv.txt")
	wrapper := filepath.Join(dir, "wrapper.cmd")
	os.WriteFile(wrapper, []byte("@echo off\r\nset \"MDE_ARGV_OUT="+validators.Path(argvFile)+
		"\"\r\ncall \""+validators.Path(nearPath)+"\"\r\nexit /b %errorlevel%\r\n"), 0o644)
	code, out, _ := w.RunBatch(wrapper)
	if code != 0 || out != "" {
		t.Errorf("near-limit: exit %d, output %q", code, out)
	}
	recorded, err := os.ReadFile(argvFile)
	if err != nil {
		t.Fatalf("near-limit: netsh never ran: %v", err)
	}
	var got []string
	for _, a := range strings.Split(strings.TrimSuffix(string(recorded), "\r\n"), "\r\n") {
		// Wine's echo ends the line with the space that stood before the
		// redirection; no argument here ends in a space.
		got = append(got, strings.Trim(strings.TrimSuffix(a, " "), `"`))
	}
	// One call: five arguments, no sixth, then the end line.
	if want := append(wantArgs(near), "end"); !cmp.Equal(want, got) {
		t.Errorf("near-limit: recorded %d lines of lengths %v, want %v; first %q", len(got), lengthsOf(got), lengthsOf(want), got[:3])
	}

	// The check is not a rubber stamp: an unquoted <local> is a redirection.
	bad := filepath.Join(dir, "bad.cmd")
	os.WriteFile(bad, []byte("@echo off\r\nnetsh winhttp set proxy proxy-server=a:1 bypass-list=<local>;*.x\r\n"), 0o644)
	code, out, calls := w.RunBatch(bad)
	if code == 0 && out == "" && cmp.Equal(calls, [][]string{{"winhttp", "set", "proxy", "proxy-server=a:1", "bypass-list=<local>;*.x"}}) {
		t.Error("an unquoted <local> passed the check")
	}
}

func lengthsOf(args []string) []int {
	var l []int
	for _, a := range args {
		l = append(l, len(a))
	}
	return l
}

// bypassFleet is a profile whose WinHTTP bypass list has n generated host
// names, with "del" and "*.txt" among them: the entries that, split off a
// line over cmd.exe's limit, ran as a command in the field.
func bypassFleet(t *testing.T, n int) *model.Profile {
	var b strings.Builder
	b.WriteString(`"del", "*.txt"`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `, "host%04d.corp.example.com"`, i)
	}
	ps := testfleet.Source(t, `package fleet
profiles: big: {platforms: ["windows"], proxy: "p.example.com:8080", windows: winhttp: {enabled: true, bypass: [`+b.String()+`]}}
`)
	return ps[0]
}

// nearLimit grows the list until one more entry would cross the limit.
func nearLimit(t *testing.T) *model.Profile {
	lo := 200
	for {
		p := bypassFleet(t, lo+1)
		if _, err := emit(t, p); err != nil {
			return bypassFleet(t, lo)
		}
		lo++
	}
}

// TestOverLimitIsAnError: one entry over the limit fails the build with an
// error naming the setting and cmd.exe's limit, and no file; the emitter
// knows no positions, and the profile's Locate (which the bundle applies)
// adds where the setting is written.
func TestOverLimitIsAnError(t *testing.T) {
	p := bypassFleet(t, nearLimitCount(t)+1)
	files, err := emit(t, p)
	if err == nil || len(files) != 0 {
		t.Fatalf("over the limit: err %v, %d files", err, len(files))
	}
	located := p.Locate(err).Error()
	for _, want := range []string{"profiles.big.windows.winhttp.bypass", "8191", SetPath, ".cue:"} {
		if !strings.Contains(located, want) {
			t.Errorf("error %q does not name %q", located, want)
		}
	}
	if strings.Contains(err.Error(), ".cue:") {
		t.Errorf("the emitter's own error %q names a position it should not know", err)
	}
}

func nearLimitCount(t *testing.T) int { return len(nearLimit(t).WinHTTP.Bypass) - 2 }

func TestCmdValueRefusesSpecials(t *testing.T) {
	for _, s := range []string{`a"b`, "a%PATH%", "a!b", "a^b", "a\nb"} {
		if err := cmdValue(s); err == nil {
			t.Errorf("%q was accepted", s)
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

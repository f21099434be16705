package psscripts

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

func windowsProfiles(t *testing.T) []*model.Profile { return testfleet.Targeting(t, model.Windows, 1) }

// parseExampleScripts parses the Set and Test script of every Windows example
// profile in one run; file 2i is profile i's Set script, 2i+1 its Test script.
func parseExampleScripts(t *testing.T) ([]*model.Profile, []validators.PSFile) {
	ps := windowsProfiles(t)
	var scripts [][]byte
	for _, p := range ps {
		scripts = append(scripts, setScript(p), testScript(p))
	}
	return ps, validators.ParsePowerShell(t, scripts...)
}

// TestScriptsParse parses every Set and Test script of the example fleet with
// the tree-sitter PowerShell grammar: no ERROR or MISSING node anywhere.
func TestScriptsParse(t *testing.T) {
	ps, files := parseExampleScripts(t)
	for i, f := range files {
		if e := f.SyntaxErrors(); e != "" {
			t.Errorf("%s script %d: syntax errors:\n%s", ps[i/2].Name, i%2, e)
		}
	}
}

// TestIntentAsParsed compares what the parse tree shows each script writing —
// the plan's keys, names, types and values, the preferences, WinHTTP and MMA
// settings — with the registry plan and the intent.
func TestIntentAsParsed(t *testing.T) {
	ps, files := parseExampleScripts(t)
	for i, f := range files {
		p := ps[i/2]
		if err := checkIntent(f, p); err != nil {
			t.Errorf("%s script %d: %v", p.Name, i%2, err)
		}
	}
}

func str(v validators.PSValue) string {
	s, err := v.String()
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return s
}

func checkIntent(f validators.PSFile, p *model.Profile) error {
	get := func(name string) (validators.PSValue, error) {
		v, ok := f.Assigned(name)
		if !ok {
			return v, fmt.Errorf("no assignment to %s", name)
		}
		return v, nil
	}
	if v, err := get("$MdeProfile"); err != nil || str(v) != p.Name {
		return fmt.Errorf("$MdeProfile = %v (%v)", v.Raw(), err)
	}
	if v, err := get("$BackupKey"); err != nil || str(v) != BackupRoot+`\`+p.Name {
		return fmt.Errorf("$BackupKey = %v (%v)", v.Raw(), err)
	}
	planV, err := get("$Plan")
	if err != nil {
		return err
	}
	entries, err := planV.Array()
	if err != nil {
		return fmt.Errorf("$Plan: %v", err)
	}
	ops := regplan.For(p).Ops
	if len(entries) != len(ops) {
		return fmt.Errorf("$Plan has %d entries, the plan %d", len(entries), len(ops))
	}
	for j, e := range entries {
		h, err := e.Hash()
		if err != nil {
			return fmt.Errorf("$Plan[%d]: %v", j, err)
		}
		o := ops[j]
		wantType, wantValue := "String", `string:`+jsonString(o.Str)
		if o.Type == regplan.DWord {
			wantType, wantValue = "DWord", fmt.Sprintf("int:%d", o.DWord)
		}
		if o.Delete {
			wantValue = `variable:"$null"`
		}
		got := fmt.Sprintf("%s|%s|%s|%s|%s", str(h["Key"]), str(h["Name"]), str(h["Type"]), h["Value"].Raw(), h["Delete"].Raw())
		want := fmt.Sprintf("%s|%s|%s|%s|variable:\"$%t\"", `HKLM:\`+o.Key, o.Name, wantType, wantValue, o.Delete)
		if got != want {
			return fmt.Errorf("$Plan[%d]:\n got %s\nwant %s", j, got, want)
		}
	}
	static := p.Mode == model.ModeStatic
	mp, err := component(get, "$MpPreference", p.Antivirus.Enabled)
	if err != nil || mp == nil {
		return err
	}
	if str(mp["ProxyServer"]) != ifThen(static, p.Antivirus.ProxyServer) || str(mp["ProxyPacUrl"]) != ifThen(static, p.Antivirus.PacURL) {
		return fmt.Errorf("$MpPreference = %v", mp)
	}
	bypass, err := mp["ProxyBypass"].Array()
	if err != nil {
		return fmt.Errorf("ProxyBypass: %v", err)
	}
	var got []string
	for _, b := range bypass {
		got = append(got, str(b))
	}
	if strings.Join(got, ";") != strings.Join(listIf(static, p.Antivirus.Bypass), ";") {
		return fmt.Errorf("ProxyBypass = %v, want %v", got, p.Antivirus.Bypass)
	}
	wh, err := component(get, "$WinHttp", p.WinHTTP.Enabled)
	if err != nil {
		return err
	}
	if wh != nil && (str(wh["ProxyServer"]) != ifThen(static, p.WinHTTP.Proxy) ||
		str(wh["BypassList"]) != ifThen(static, strings.Join(p.WinHTTP.Bypass, ";"))) {
		return fmt.Errorf("$WinHttp = %v", wh)
	}
	mma, err := component(get, "$Mma", p.MMA.Enabled)
	if err != nil {
		return err
	}
	if mma != nil && str(mma["ProxyUrl"]) != ifThen(static, p.MMA.Proxy) {
		return fmt.Errorf("$Mma = %v", mma)
	}
	return nil
}

// component reads a component's hashtable of the intent block: Manage must be
// whether the profile manages it; one it does not manage has Manage = $false
// and nothing else (docs/windows.md, "Managed and not managed"), and is
// returned as nil.
func component(get func(string) (validators.PSValue, error), name string, managed bool) (map[string]validators.PSValue, error) {
	v, err := get(name)
	if err != nil {
		return nil, err
	}
	h, err := v.Hash()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if h["Manage"].Raw() != fmt.Sprintf(`variable:"$%t"`, managed) {
		return nil, fmt.Errorf("%s = %v: Manage is not $%t", name, v.Raw(), managed)
	}
	if !managed {
		if len(h) != 1 {
			return nil, fmt.Errorf("%s = %v: a component this profile does not manage must hold Manage = $false alone", name, v.Raw())
		}
		return nil, nil
	}
	return h, nil
}

func jsonString(s string) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%q", s)
	return b.String()
}

// TestCommands: the Set script writes with the documented cmdlets; the Test
// script, a detection script, changes nothing.
func TestCommands(t *testing.T) {
	p := testfleet.Profile(t, "berlin")
	files := validators.ParsePowerShell(t, setScript(p), testScript(p))
	names := func(f validators.PSFile) map[string]bool {
		m := map[string]bool{}
		for _, c := range f.Commands {
			m[c.Name] = true
		}
		return m
	}
	set, test := names(files[0]), names(files[1])
	for _, c := range []string{"New-ItemProperty", "Remove-ItemProperty", "Set-MpPreference", "Remove-MpPreference", "ConvertTo-Json", "ConvertFrom-Json", "Add-Type"} {
		if !set[c] {
			t.Errorf("Set-MdeProxy.ps1 never calls %s", c)
		}
	}
	for _, c := range []string{"New-ItemProperty", "Remove-ItemProperty", "Set-MpPreference", "Remove-MpPreference", "New-Item", "Remove-Item", "Invoke-Netsh"} {
		if test[c] {
			t.Errorf("Test-MdeProxy.ps1 calls %s: detection must change nothing", c)
		}
	}
	// netsh's arguments are built from the intent block, never from literals
	// holding values: the only literals are the fixed verbs.
	for _, c := range files[0].Commands {
		if c.Name == "Invoke-Netsh" {
			for _, a := range c.Args {
				if a.Kind == "string" && strings.ContainsAny(str(a), ":;<") {
					t.Errorf("netsh argument literal %s at line %d", a.Raw(), c.Line)
				}
			}
		}
	}
}

// TestParserCatchesBrokenScripts proves the grammar check is not a rubber stamp.
func TestParserCatchesBrokenScripts(t *testing.T) {
	good := string(setScript(testfleet.Profile(t, "hq")))
	broken := []string{
		strings.Replace(good, "$MdeProfile = 'hq'", "$MdeProfile = 'hq", 1),
		strings.Replace(good, "function Update-Record {", "function Update-Record {{", 1),
		strings.Replace(good, "$Plan = @(", "$Plan = @(@(", 1),
		"",
	}
	files := validators.ParsePowerShell(t, [][]byte{[]byte(broken[0]), []byte(broken[1]), []byte(broken[2]), []byte(broken[3])}...)
	for i, f := range files {
		if f.SyntaxErrors() == "" {
			t.Errorf("broken script %d parsed without errors", i)
		}
	}
}

func TestASCIIAndCRLF(t *testing.T) {
	for _, p := range windowsProfiles(t) {
		for _, s := range [][]byte{setScript(p), testScript(p)} {
			for i, c := range s {
				if c >= 0x80 {
					t.Fatalf("%s: non-ASCII byte at %d", p.Name, i)
				}
				if c == '\n' && (i == 0 || s[i-1] != '\r') {
					t.Fatalf("%s: LF without CR at %d", p.Name, i)
				}
			}
		}
	}
}

// quotingCorpus holds strings that break naive quoting in PowerShell.
var quotingCorpus = []string{
	"", "'", "''", "a'b", "'; Remove-Item C:\\ -Recurse; '", "$(calc)", "${env:PATH}", "`n`t",
	"\u2018", "\u2019x\u2019", "\u201a\u201b", "'\u2019", "\"", "\"; calc; \"", "@'", "'@", "#>", "<#",
	"a;b|c&d", "<local>", "\\\\server\\share", "%PATH%", "\u201c\u201d",
}

// TestPSQuote puts every corpus string in a script and reads it back from the
// parse tree: exactly the string, no syntax error, no extra statement.
func TestPSQuote(t *testing.T) {
	var b strings.Builder
	for i, s := range quotingCorpus {
		fmt.Fprintf(&b, "$v%d = %s\r\n", i, PSQuote(s))
	}
	f := validators.ParsePowerShell(t, []byte(b.String()))[0]
	if e := f.SyntaxErrors(); e != "" {
		t.Fatalf("syntax errors:\n%s", e)
	}
	if len(f.Assignments) != len(quotingCorpus) || len(f.Commands) != 0 {
		t.Fatalf("%d assignments and %d commands, want %d and 0", len(f.Assignments), len(f.Commands), len(quotingCorpus))
	}
	for i, s := range quotingCorpus {
		v, _ := f.Assigned(fmt.Sprintf("$v%d", i))
		if got, err := v.String(); err != nil || got != s {
			t.Errorf("%q came back as %q (%v)", s, got, err)
		}
	}
}

// FuzzPSQuote: for any string, the single-quoted literal parses back to exactly
// that string and nothing else — for tree-sitter, and for the specification's
// model of verbatim literals, which knows the typographic quotes tree-sitter
// does not (quote_spec_test.go).
func FuzzPSQuote(f *testing.F) {
	for _, s := range quotingCorpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, 0) || !utf8Valid(s) {
			return
		}
		q := PSQuote(s)
		if v, end, err := validators.PSVerbatimAt(q, 0); err != nil || v != s || end != len(q) {
			t.Fatalf("%q quoted as %s: the specification reads %q up to byte %d of %d (%v)", s, q, v, end, len(q), err)
		}
		file := validators.ParsePowerShell(t, []byte("$v = "+q+"\r\n"))[0]
		v, ok := file.Assigned("$v")
		got, err := v.String()
		if file.SyntaxErrors() != "" || !ok || err != nil || got != s || len(file.Commands) != 0 {
			t.Fatalf("%q: got %q, err %v, syntax %q, %d commands", s, got, err, file.SyntaxErrors(), len(file.Commands))
		}
	})
}

// TestSourcesAreTheFiles: what the scripts are rendered from is the files in
// this folder, each a PowerShell file that parses on its own (the marker is a
// comment), with the marker exactly once.
func TestSourcesAreTheFiles(t *testing.T) {
	var srcs [][]byte
	for name, embedded := range map[string]string{"Set-MdeProxy.ps1": setSource, "Test-MdeProxy.ps1": testSource, "Detect-MdeProxy-ConfigMgr.ps1": detectSource, "Common.ps1": commonSource} {
		disk, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if string(disk) != embedded {
			t.Errorf("%s: the embedded source differs from the file", name)
		}
		if n := strings.Count(embedded, "\n"+IntentMarker+"\n"); n != 1 && name != "Common.ps1" {
			t.Errorf("%s: marker line %d times, want 1", name, n)
		}
		srcs = append(srcs, disk)
	}
	for i, f := range validators.ParsePowerShell(t, srcs...) {
		if e := f.SyntaxErrors(); e != "" {
			t.Errorf("source %d: syntax errors:\n%s", i, e)
		}
	}
}

// TestSharedFunctionsAgree: Set-MdeProxy.ps1 and Test-MdeProxy.ps1 take their
// shared functions from Common.ps1 and define none of them again; the
// detection script, which must stay small and self-contained for ConfigMgr's
// console, keeps copies that are the same text as Common.ps1's, so a fix to
// one cannot miss the other.
func TestSharedFunctionsAgree(t *testing.T) {
	common := functions(commonSource)
	if len(common) < 5 {
		t.Fatalf("%d functions in Common.ps1: the function scan found too few", len(common))
	}
	for name, src := range map[string]string{"Set-MdeProxy.ps1": setSource, "Test-MdeProxy.ps1": testSource} {
		for fn := range functions(src) {
			if _, dup := common[fn]; dup {
				t.Errorf("%s defines %s again; it comes from Common.ps1", name, fn)
			}
		}
	}
	// The detection script prints nothing but its verdict: only its
	// Write-Action differs.
	shared := 0
	for name, body := range functions(detectSource) {
		if other, ok := common[name]; ok && name != "Write-Action" {
			shared++
			if other != body {
				t.Errorf("function %s differs between Common.ps1 and Detect-MdeProxy-ConfigMgr.ps1", name)
			}
		}
	}
	if shared < 5 {
		t.Errorf("%d functions shared with the detection script: the scan found too few", shared)
	}
}

// functions maps each top-level function of a script source to its text, from
// its "function Name {" line to the next "}" line at column 0.
func functions(src string) map[string]string {
	out := map[string]string{}
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		name, ok := strings.CutPrefix(lines[i], "function ")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, " {")
		j := i
		for j < len(lines) && lines[j] != "}" {
			j++
		}
		out[name] = strings.Join(lines[i:j+1], "\n")
		i = j
	}
	return out
}

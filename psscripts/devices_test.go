package psscripts

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// The three scripts of one profile, parsed once: the fixed text, which these
// tests are about, is the same for every profile.
func parsedScripts(t *testing.T) (map[string][]byte, map[string]validators.PSFile) {
	p := testfleet.Profile(t, "berlin")
	s := Render(p, regplanFor(p))
	raw := map[string][]byte{"Set-MdeProxy.ps1": s.Set, "Test-MdeProxy.ps1": s.Test, "Detect-MdeProxy-ConfigMgr.ps1": s.Detect}
	files := validators.ParsePowerShell(t, s.Set, s.Test, s.Detect)
	return raw, map[string]validators.PSFile{"Set-MdeProxy.ps1": files[0], "Test-MdeProxy.ps1": files[1], "Detect-MdeProxy-ConfigMgr.ps1": files[2]}
}

// recordsSkip reports whether a guard's catch writes a "skip" line and lets
// the run go on (no exit, no throw).
func recordsSkip(g *validators.PSGuard) bool { return catchRecords(g, "skip") }

// catchRecords reports whether a guard's catch writes a line with this verb
// and lets the run go on (no exit, no throw).
func catchRecords(g *validators.PSGuard, verb string) bool {
	if g == nil || slices.Contains(g.CatchFlow, "exit") || slices.Contains(g.CatchFlow, "throw") {
		return false
	}
	for _, c := range g.CatchCommands {
		if c.Name == "Write-Action" && len(c.Args) > 0 && str(c.Args[0]) == verb {
			return true
		}
	}
	return false
}

// TestDeviceCallsGuarded: every call that depends on optional device state —
// the Mp cmdlets, the Log Analytics agent's COM object, the WinHTTP P/Invoke
// (Add-Type and the API calls) and the Defender service — sits in a try whose
// catch records "skip <target>: <why>" and continues, in all three scripts:
// these raise terminating errors, which -ErrorAction does not stop, only
// try/catch (about_Try_Catch_Finally). Set-MpPreference and
// Remove-MpPreference run after Get-MpPreference answered, so their failure is
// an "error" line (counted for the exit code) and the run goes on.
func TestDeviceCallsGuarded(t *testing.T) {
	_, files := parsedScripts(t)
	for name, f := range files {
		seen := map[string]int{}
		for _, c := range f.Commands {
			what := c.Name
			switch c.Name {
			case "Get-MpPreference", "Set-MpPreference", "Remove-MpPreference", "Add-Type", "Get-Service":
			case "New-Object":
				com := false
				for _, a := range c.Args {
					com = com || a.Kind == "param" && strings.EqualFold(str2(a), "-ComObject")
				}
				if !com {
					continue
				}
				what = "New-Object -ComObject"
			default:
				continue
			}
			seen[what]++
			if c.Name == "Set-MpPreference" || c.Name == "Remove-MpPreference" {
				if !catchRecords(c.Guard, "error") {
					t.Errorf("%s:%d: %s is not inside a try whose catch records an error and continues", name, c.Line, what)
				}
				continue
			}
			if !recordsSkip(c.Guard) {
				t.Errorf("%s:%d: %s is not inside a try whose catch records a skip and continues", name, c.Line, what)
			}
		}
		for _, inv := range f.Invocations {
			if strings.HasPrefix(inv.Target, "[MdeProxyc.WinHttpApi]") {
				seen["WinHttpApi::"+inv.Member]++
				if !recordsSkip(inv.Guard) {
					t.Errorf("%s:%d: %s::%s is not inside a try whose catch records a skip and continues", name, inv.Line, inv.Target, inv.Member)
				}
			}
		}
		want := []string{"Get-MpPreference", "New-Object -ComObject", "Add-Type", "Get-Service", "WinHttpApi::WinHttpGetDefaultProxyConfiguration", "WinHttpApi::GlobalFree"}
		if name == "Set-MdeProxy.ps1" {
			want = append(want, "Set-MpPreference", "Remove-MpPreference")
		}
		for _, w := range want {
			if seen[w] == 0 {
				t.Errorf("%s: no %s found: the check would pass vacuously", name, w)
			}
		}
	}
}

// str2 reads a parameter or token argument's text.
func str2(v validators.PSValue) string { return strings.Trim(string(v.Value), `"`) }

// TestMmaChecksSetProxyInfo: Microsoft's sample checks the agent object for
// SetProxyInfo before calling it; so do the scripts.
func TestMmaChecksSetProxyInfo(t *testing.T) {
	_, files := parsedScripts(t)
	for name, f := range files {
		found := false
		for _, c := range f.Commands {
			if c.Name == "Get-Member" {
				for _, a := range c.Args {
					found = found || a.Kind == "string" && str(a) == "SetProxyInfo"
				}
			}
		}
		if !found {
			t.Errorf("%s: no Get-Member -Name 'SetProxyInfo' check", name)
		}
	}
}

// ps2Types are the grammar node types the preamble may use: syntax that
// Windows PowerShell 2.0 parses (if, comparison and logical operators, casts
// to a type, static members and method calls, New-Object, Write-Output,
// variables, single-quoted strings, exit). Anything else before the version
// check could make 2.0 fail to parse the script instead of reporting itself.
var ps2Types = append([]string{" "}, strings.Fields(`
	comment decimal_integer_literal integer_literal
	! ( ) , - . :: = [ ] { } -lt -eq -not -or
	additive_argument_expression additive_expression argument_expression argument_expression_list argument_list
	array_literal_expression assignement_operator assignment_expression bitwise_argument_expression
	bitwise_expression command command_argument_sep command_elements command_name command_parameter
	comparison_argument_expression comparison_expression comparison_operator exit expression_with_unary_operator
	flow_control_statement generic_token if if_statement invokation_expression left_assignment_expression
	logical_argument_expression logical_expression logical_operator member_access member_name multiplicative_argument_expression
	multiplicative_expression parenthesized_expression pipeline pipeline_chain range_argument_expression
	range_expression simple_name statement_block statement_list string_literal type_identifier type_literal
	type_name type_spec unary_expression variable verbatim_string_characters format_argument_expression
	format_expression comparison_argument_expression cast_expression
`)...)

// TestPreamblePowerShell2: each script opens (after its help and param block)
// with a preamble in PowerShell 2.0 syntax that checks the version and
// elevation and exits 1 with a message; no #Requires line anywhere; no
// $PSCommandPath (a 3.0 variable).
func TestPreamblePowerShell2(t *testing.T) {
	raw, files := parsedScripts(t)
	for name, f := range files {
		end := 0
		for _, c := range f.Comments {
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(c.Text)), "#requires") {
				t.Errorf("%s:%d: a #Requires line", name, c.Line)
			}
			if strings.Contains(c.Text, "---- end of preamble ----") {
				end = c.Line
			}
		}
		if end == 0 {
			t.Fatalf("%s: no end-of-preamble comment", name)
		}
		n := 0
		for _, st := range f.TopStatements {
			if st.Line >= end {
				break
			}
			n++
			for _, ty := range st.Types {
				if !slices.Contains(ps2Types, ty) {
					t.Errorf("%s:%d: the preamble uses %q, not in the PowerShell 2.0 list", name, st.Line, ty)
				}
			}
		}
		if n < 4 {
			t.Errorf("%s: %d preamble statements, want the path, version check, principal and elevation check", name, n)
		}
		pre := raw[name][:bytes.Index(raw[name], []byte("---- end of preamble ----"))]
		for _, want := range []string{"$PSVersionTable", "requires Windows PowerShell 5.1 (WMF 5.1)", "IsInRole", "exit 1"} {
			if !bytes.Contains(pre, []byte(want)) {
				t.Errorf("%s: the preamble lacks %q", name, want)
			}
		}
		if bytes.Contains(raw[name], []byte("$PSCommandPath")) {
			t.Errorf("%s: uses $PSCommandPath, which PowerShell 2.0 does not set", name)
		}
	}
}

// TestDetectContract: the ConfigMgr detection script has no param block,
// writes only "compliant", and
// exits 0 everywhere past the preamble (ConfigMgr reads any other code as
// "unknown", and never installs).
func TestDetectContract(t *testing.T) {
	_, files := parsedScripts(t)
	f := files["Detect-MdeProxy-ConfigMgr.ps1"]
	if f.ParamBlock {
		t.Error("the detection script has a param block")
	}
	end := 0
	for _, c := range f.Comments {
		if strings.Contains(c.Text, "---- end of preamble ----") {
			end = c.Line
		}
	}
	var outputs []string
	for _, c := range f.Commands {
		if c.Line < end {
			continue
		}
		switch c.Name {
		case "Write-Output":
			outputs = append(outputs, str(c.Args[0]))
		case "Write-Host", "Write-Information", "Out-Host", "Write-Error", "Write-Warning":
			t.Errorf("line %d: %s writes output", c.Line, c.Name)
		}
	}
	if !slices.Equal(outputs, []string{"compliant"}) {
		t.Errorf("outputs after the preamble %q, want only 'compliant'", outputs)
	}
	exits := 0
	for _, e := range f.Exits {
		if e.Line > end && e.Value != "0" && e.Value != "$LASTEXITCODE" {
			t.Errorf("line %d: exit %s past the preamble", e.Line, e.Value)
		}
		if e.Line > end {
			exits++
		}
	}
	if exits < 2 {
		t.Errorf("%d exits past the preamble, want the verdict's and the error path's", exits)
	}
}

package cmdlets

import (
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// TestCheckCatchesMistakes: each line holds one mistake the table must catch
// (a misspelt or undocumented parameter, a missing required one, a value
// outside an enumeration, a switch given a value's place, an unknown cmdlet),
// and the correct calls pass.
func TestCheckCatchesMistakes(t *testing.T) {
	good := `Set-GPRegistryValue -Name 'g' -Key 'HKLM\x' -ValueName 'v' -Type DWord -Value 1
Set-GPRegistryValue -Name 'g' -Key 'HKLM\x' -ValueName 'v' -Disable -WhatIf
Get-GPO -All
Remove-GPRegistryValue 'g' 'HKLM\x' 'v'
$s = @{ Force32Bit = $false }
Set-CMScriptDeploymentType -ApplicationName 'a' -DeploymentTypeName 'd' -ScriptLanguage PowerShell @s
Write-Output 'x'
Get-Command -Name 'x' -ErrorAction SilentlyContinue
`
	bad := map[string]string{
		`Set-GPRegistryValue -Name 'g' -Key 'HKLM\x' -ValueNme 'v'`:                                   "no parameter -ValueNme",
		`Set-GPRegistryValue -Name 'g' -ValueName 'v'`:                                                "required -Key missing",
		`Set-GPRegistryValue -Name 'g' -Key 'k' -Type Dword32 -Value 1`:                               "not one of",
		`Add-CMScriptDeploymentType -ApplicationName 'a' -DeploymentTypeName 'd' -InstallCommand 'c'`: "required -ScriptLanguage missing",
		`New-GPLink -Name 'g' -Target 'ou=x' -Enforced Maybe`:                                         "not one of",
		`Get-CMApplication -Name 'a' -Force`:                                                          "no parameter -Force",
		`New-GPO`:                                                                                     "required -Name missing",
		`Remove-GPO -Name 'g'`:                                                                        "not in the table",
		`$h = @{ Bogus = 1 }
Set-CMScriptDeploymentType -ApplicationName 'a' -DeploymentTypeName 'd' @h`: "no parameter -Bogus",
	}
	sources := [][]byte{[]byte(good)}
	var want []string
	for src, w := range bad {
		sources = append(sources, []byte(src))
		want = append(want, w)
	}
	files := validators.ParsePowerShell(t, sources...)
	if p := Check(files[0]); len(p) != 0 {
		t.Errorf("correct calls rejected:\n%s", strings.Join(p, "\n"))
	}
	for i, f := range files[1:] {
		p := strings.Join(Check(f), "\n")
		if !strings.Contains(p, want[i]) {
			t.Errorf("%s\n  got %q, want a problem containing %q", string(sources[i+1]), p, want[i])
		}
	}
}

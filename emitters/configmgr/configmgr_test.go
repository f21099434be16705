package configmgr

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/cmdlets"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// args returns a command's arguments as "-Name" → the text of its value
// ("" for a switch).
func args(c validators.PSCommand) map[string]string {
	out := map[string]string{}
	for i := 0; i < len(c.Args); i++ {
		if c.Args[i].Kind != "param" {
			continue
		}
		var name string
		_ = json.Unmarshal(c.Args[i].Value, &name)
		out[name] = ""
		if i+1 < len(c.Args) && c.Args[i+1].Kind != "param" {
			var v string
			if json.Unmarshal(c.Args[i+1].Value, &v) != nil {
				v = string(c.Args[i+1].Value)
			}
			out[name] = v
			i++
		}
	}
	return out
}

func assigned(t *testing.T, f validators.PSFile, variable string) string {
	t.Helper()
	v, ok := f.Assigned(variable)
	if !ok {
		t.Fatalf("%s is never assigned", variable)
	}
	s, err := v.String()
	if err != nil {
		t.Fatalf("%s: %v", variable, err)
	}
	return s
}

// TestScriptParsesAndMatchesIntent: for every Windows profile of the example
// fleet the script parses with no ERROR or MISSING node, every cmdlet call
// fits a documented parameter set, and the values it passes — read from the
// parse tree — are the intent's: the application name, the install and
// uninstall programs, the detection script byte for byte, system context,
// 64-bit.
func TestScriptParsesAndMatchesIntent(t *testing.T) {
	var profiles []*emitters.Profile
	var scripts [][]byte
	for _, mp := range testfleet.Profiles(t) {
		p := emitters.NewProfile(mp)
		files, err := Emitter{}.Emit(p)
		if err != nil {
			t.Fatal(err)
		}
		if !mp.Targets(model.Windows) {
			if len(files) != 0 {
				t.Errorf("%s: files for a profile without Windows", mp.Name)
			}
			continue
		}
		profiles = append(profiles, p)
		scripts = append(scripts, files[0].Data)
	}
	parsed := validators.ParsePowerShell(t, scripts...)
	for i, f := range parsed {
		p := profiles[i]
		if e := f.SyntaxErrors(); e != "" {
			t.Fatalf("%s: syntax errors:\n%s", p.Name, e)
		}
		for _, problem := range cmdlets.Check(f) {
			t.Errorf("%s: %s", p.Name, problem)
		}
		if got := assigned(t, f, "$ApplicationName"); got != p.ConfigMgr.ApplicationName {
			t.Errorf("%s: $ApplicationName = %q, want %q", p.Name, got, p.ConfigMgr.ApplicationName)
		}
		if got := assigned(t, f, "$InstallCommand"); !strings.HasSuffix(got, `-File .\Set-MdeProxy.ps1`) {
			t.Errorf("%s: install command %q does not run Set-MdeProxy.ps1", p.Name, got)
		}
		if got := assigned(t, f, "$UninstallCommand"); !strings.HasSuffix(got, `-File .\Set-MdeProxy.ps1 -Undo`) {
			t.Errorf("%s: uninstall command %q does not run Set-MdeProxy.ps1 -Undo", p.Name, got)
		}
		detect, err := base64.StdEncoding.DecodeString(assigned(t, f, "$DetectionScriptBase64"))
		scriptsOf, serr := p.Scripts()
		if err != nil || serr != nil || !bytes.Equal(detect, scriptsOf.Detect) {
			t.Errorf("%s: the embedded detection script is not Detect-MdeProxy-ConfigMgr.ps1 (%v, %v)", p.Name, err, serr)
		}
		seen := map[string]bool{}
		for _, c := range f.Commands {
			a := args(c)
			switch c.Name {
			case "New-CMApplication", "Set-CMApplication", "Get-CMApplication":
				if a["-Name"] != "$ApplicationName" {
					t.Errorf("%s: line %d: %s -Name %q, want $ApplicationName", p.Name, c.Line, c.Name, a["-Name"])
				}
			case "Add-CMScriptDeploymentType", "Set-CMScriptDeploymentType":
				want := map[string]string{
					"-ApplicationName": "$ApplicationName", "-DeploymentTypeName": "$DeploymentTypeName",
					"-InstallCommand": "$InstallCommand", "-UninstallCommand": "$UninstallCommand",
					"-ContentLocation": "$ContentLocation", "-ScriptLanguage": "PowerShell", "-ScriptText": "$DetectionScript",
					"-InstallationBehaviorType": "InstallForSystem", "-LogonRequirementType": "WhetherOrNotUserLoggedOn",
				}
				if c.Name == "Set-CMScriptDeploymentType" {
					// A deployment type made 32-bit by hand is turned back.
					run64, _ := f.Assigned("$Run64Bit")
					h, err := run64.Hash()
					if err != nil || len(h) != 2 || h["Force32Bit"].Raw() != `variable:"$false"` || h["ForceScriptDetection32Bit"].Raw() != `variable:"$false"` {
						t.Errorf("%s: $Run64Bit = %v (%v), want both 32-bit switches $false", p.Name, h, err)
					}
					if !slices.ContainsFunc(c.Args, func(v validators.PSValue) bool { return v.Raw() == `variable:"@Run64Bit"` }) {
						t.Errorf("%s: line %d: Set-CMScriptDeploymentType does not splat @Run64Bit", p.Name, c.Line)
					}
				} else if _, ok := a["-Force32Bit"]; ok {
					t.Errorf("%s: line %d: Add-CMScriptDeploymentType -Force32Bit runs the programs 32-bit", p.Name, c.Line)
				}
				for k, v := range want {
					if a[k] != v {
						t.Errorf("%s: line %d: %s %s %q, want %q", p.Name, c.Line, c.Name, k, a[k], v)
					}
				}
			}
			seen[c.Name] = true
		}
		for _, c := range []string{"Get-CMApplication", "New-CMApplication", "Set-CMApplication", "Get-CMDeploymentType", "Add-CMScriptDeploymentType", "Set-CMScriptDeploymentType"} {
			if !seen[c] {
				t.Errorf("%s: the script never calls %s", p.Name, c)
			}
		}
		// Each of the four writes is behind ShouldProcess, so -WhatIf writes nothing.
		n := 0
		for _, inv := range f.Invocations {
			if inv.Member == "ShouldProcess" {
				n++
			}
		}
		if n != 4 {
			t.Errorf("%s: %d ShouldProcess calls, want 4 (one per write)", p.Name, n)
		}
	}
	if len(profiles) == 0 {
		t.Fatal("no Windows profile in the example fleet")
	}
}

// TestNamesReachScript: a name with quotes (typographic ones too) is written
// as a single-quoted literal that reads back unchanged.
func TestNamesReachScript(t *testing.T) {
	mp := testfleet.Profile(t, "hq")
	mp.ConfigMgr.ApplicationName = "MDE proxy — O'Brien’s ‘site’"
	files, err := Emitter{}.Emit(emitters.NewProfile(mp))
	if err != nil {
		t.Fatal(err)
	}
	f := validators.ParsePowerShell(t, files[0].Data)[0]
	if e := f.SyntaxErrors(); e != "" {
		t.Fatal(e)
	}
	if got := assigned(t, f, "$ApplicationName"); got != mp.ConfigMgr.ApplicationName {
		t.Errorf("$ApplicationName = %q, want %q", got, mp.ConfigMgr.ApplicationName)
	}
}

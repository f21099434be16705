// Package winscript ships a profile's Windows PowerShell scripts as files:
// Set-MdeProxy.ps1 and Test-MdeProxy.ps1, rendered once per profile by
// package psscripts (the Intune emitter embeds the same bytes).
package winscript

import (
	"fmt"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/psscripts"
)

// The files this emitter writes, relative to a profile's folder.
const (
	SetPath  = "windows/Set-MdeProxy.ps1"
	TestPath = "windows/Test-MdeProxy.ps1"
)

// Emitter is the PowerShell emitter.
type Emitter struct{}

// Name implements emitters.Emitter.
func (Emitter) Name() string { return "powershell" }

// Summary implements emitters.Emitter.
func (Emitter) Summary() string {
	return "windows/Set-MdeProxy.ps1 (apply, -Undo, -WhatIf) and Test-MdeProxy.ps1 (detection, exit 0 compliant / 1 not)"
}

// Emit implements emitters.Emitter.
func (Emitter) Emit(p *emitters.Profile) ([]emitters.File, error) {
	if !p.Targets(model.Windows) {
		return nil, nil
	}
	return []emitters.File{
		{Path: SetPath, Data: p.Scripts().Set, Summary: "PowerShell: applies every Windows setting as SYSTEM/administrator; records prior values; `-Undo` restores them; `-WhatIf`"},
		{Path: TestPath, Data: p.Scripts().Test, Summary: "PowerShell detection: prints each mismatch; exit 0 compliant, 1 not (Intune remediation); `-ConfigMgr` for ConfigMgr detection"},
	}, nil
}

// Deploy implements emitters.Deployer.
func (Emitter) Deploy(p *emitters.Profile) string {
	return "### PowerShell (`windows/Set-MdeProxy.ps1`, `windows/Test-MdeProxy.ps1`)\n\n" +
		"- Run elevated, in 64-bit PowerShell (the script relaunches itself in 64-bit PowerShell when started 32-bit,\n" +
		"  as Intune and many agents do): `powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\Set-MdeProxy.ps1`.\n" +
		"  `-WhatIf` prints every change and makes none. A second run changes nothing and says `unchanged`.\n" +
		"- Output is one line per action, `<verb> <target>: <detail>` (verbs: set, delete, remove-preference, unchanged,\n" +
		"  would-set, would-delete, restore, error). Exit 0 on success, 1 on failure.\n" +
		"- Before its first change it records every value it will touch, present or absent, as JSON in\n" +
		"  `" + psscripts.BackupRoot + `\` + p.Name + "` (value `State`). A later run keeps that first record.\n" +
		"  `Set-MdeProxy.ps1 -Undo` restores exactly that prior state and removes the record. The Log Analytics agent's\n" +
		"  prior proxy cannot be read back (its COM object has no documented getter): undo clears it.\n" +
		"- Policy values win over `Set-MpPreference` preferences; the script writes both, and removes stale preferences.\n" +
		"- `Test-MdeProxy.ps1` prints each mismatch and exits 0 when compliant, 1 when not: the Intune remediation\n" +
		"  contract. `-Connectivity` also runs `MpCmdRun.exe -ValidateMapsConnection`.\n" +
		"- ConfigMgr: use `Test-MdeProxy.ps1 -ConfigMgr` as the application's script detection method (it writes\n" +
		"  `compliant` and exits 0 when compliant, writes nothing and exits 0 when not, as ConfigMgr expects), and\n" +
		"  `Set-MdeProxy.ps1` as the install program (`-Undo` as the uninstall program).\n"
}

// Locate implements emitters.Locator.
func (Emitter) Locate(p *emitters.Profile) []emitters.Location {
	if !p.Targets(model.Windows) {
		return nil
	}
	st := psscripts.ValuesOf(p.Profile)
	var out []emitters.Location
	for _, file := range []string{SetPath, TestPath} {
		at := func(setting model.Path, where, value string) {
			out = append(out, emitters.Location{Setting: setting, File: file, Kind: "ps", Where: where, Value: value})
		}
		for i, o := range p.Plan().Ops {
			out = append(out, emitters.Location{Setting: o.Setting, File: file, Kind: "ps", Where: fmt.Sprintf("$Plan[%d].Value", i), Value: o.Written(), Deletes: o.Delete})
		}
		at(model.PathAVProxy, "$MpPreference.ProxyServer", st.MpProxy)
		at(model.PathAVPAC, "$MpPreference.ProxyPacUrl", st.MpPac)
		at(model.PathAVBypass, "$MpPreference.ProxyBypass", strings.Join(st.MpBypass, ";"))
		if p.WinHTTP.Enabled {
			at(model.PathWinHTTPProxy, "$WinHttp.ProxyServer", st.WinHTTPProxy)
			at(model.PathWinHTTPBypass, "$WinHttp.BypassList", st.WinHTTPBypass)
		}
		if p.MMA.Enabled {
			at(model.PathMMAProxy, "$Mma.ProxyUrl", st.MMAProxy)
		}
	}
	return out
}

// Package winscript ships a profile's Windows PowerShell scripts as files:
// Set-MdeProxy.ps1, Test-MdeProxy.ps1 and Detect-MdeProxy-ConfigMgr.ps1,
// rendered once per profile by package psscripts (the Intune emitter embeds the
// same bytes).
package winscript

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/textfile"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/psscripts"
)

// The files this emitter writes, relative to a profile's folder.
const (
	SetPath    = "windows/Set-MdeProxy.ps1"
	TestPath   = "windows/Test-MdeProxy.ps1"
	DetectPath = "windows/Detect-MdeProxy-ConfigMgr.ps1"
)

// Emitter is the PowerShell emitter.
type Emitter struct{}

// Name implements emitters.Emitter.
func (Emitter) Name() string { return "powershell" }

// Summary implements emitters.Emitter.
func (Emitter) Summary() string {
	return "windows/Set-MdeProxy.ps1 (apply, -Undo, -WhatIf), Test-MdeProxy.ps1 (detection, exit 0 compliant / 1 not) and Detect-MdeProxy-ConfigMgr.ps1"
}

// Emit implements emitters.Emitter.
func (Emitter) Emit(p *emitters.Profile) ([]emitters.File, error) {
	if !p.Targets(model.Windows) {
		return nil, nil
	}
	s, err := p.Scripts()
	if err != nil {
		return nil, err
	}
	return []emitters.File{
		{Path: SetPath, Data: s.Set, Summary: "PowerShell: applies every Windows setting as SYSTEM/administrator; records prior values; `-Undo` restores them; `-WhatIf`"},
		{Path: TestPath, Data: s.Test, Summary: "PowerShell detection: prints each mismatch; exit 0 compliant, 1 not (Intune remediation)"},
		{Path: DetectPath, Data: s.Detect, Summary: "ConfigMgr detection script (no parameters): writes `compliant` and exits 0 when compliant, writes nothing and exits 0 when not"},
	}, nil
}

// deployText is the profile README's section for this emitter: deploy.md
// beside this file, a text/template.
var deployText = textfile.MustTemplate("deploy.md", deploySource)

//go:embed deploy.md
var deploySource string

// Deploy implements emitters.Deployer.
func (Emitter) Deploy(p *emitters.Profile) string {
	return textfile.Execute(deployText, struct {
		*emitters.Profile
		BackupKey string
	}{p, psscripts.BackupRoot + `\` + p.Name})
}

// Locate implements emitters.Locator. The detection script carries the
// bypass lists as digests (psscripts.DetectIntent): its locations name the
// digest, and its plan entry for ProxyBypass holds no value to point at.
func (Emitter) Locate(p *emitters.Profile) []emitters.Location {
	if !p.Targets(model.Windows) {
		return nil
	}
	st := psscripts.ValuesOf(p.Profile)
	var out []emitters.Location
	for _, file := range []string{SetPath, TestPath, DetectPath} {
		detect := file == DetectPath
		at := func(setting model.Path, where, value string) {
			out = append(out, emitters.Location{Setting: setting, File: file, Kind: "ps", Where: where, Value: value})
		}
		for i, o := range p.Plan().Ops {
			if detect && !o.Delete && o.Setting == model.PathAVBypass {
				continue
			}
			out = append(out, emitters.Location{Setting: o.Setting, File: file, Kind: "ps", Where: fmt.Sprintf("$Plan[%d].Value", i), Value: o.Written(), Deletes: o.Delete})
		}
		if p.Antivirus.Enabled {
			at(model.PathAVProxy, "$MpPreference.ProxyServer", st.MpProxy)
			at(model.PathAVPAC, "$MpPreference.ProxyPacUrl", st.MpPac)
			if detect {
				at(model.PathAVBypass, "$MpPreference.ProxyBypassSha256", psscripts.Digest(strings.Join(st.MpBypass, ";")))
			} else {
				at(model.PathAVBypass, "$MpPreference.ProxyBypass", strings.Join(st.MpBypass, ";"))
			}
		}
		if p.WinHTTP.Enabled {
			at(model.PathWinHTTPProxy, "$WinHttp.ProxyServer", st.WinHTTPProxy)
			if detect {
				at(model.PathWinHTTPBypass, "$WinHttp.BypassListSha256", psscripts.DigestFolded(st.WinHTTPBypass))
			} else {
				at(model.PathWinHTTPBypass, "$WinHttp.BypassList", st.WinHTTPBypass)
			}
		}
		if p.MMA.Enabled {
			at(model.PathMMAProxy, "$Mma.ProxyUrl", st.MMAProxy)
		}
	}
	return out
}

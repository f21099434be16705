// Package winhttp writes the netsh scripts that set and reset the machine-wide
// WinHTTP proxy, for profiles that manage it (windows.winhttp.enabled).
package winhttp

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/textfile"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// The files this emitter writes, relative to a profile's folder.
const (
	SetPath   = "windows/winhttp-set.cmd"
	ResetPath = "windows/winhttp-reset.cmd"
)

// Emitter is the WinHTTP emitter.
type Emitter struct{}

// Name implements emitters.Emitter.
func (Emitter) Name() string { return "winhttp" }

// Summary implements emitters.Emitter.
func (Emitter) Summary() string {
	return "windows/winhttp-set.cmd and winhttp-reset.cmd: the machine-wide WinHTTP proxy via netsh (when windows.winhttp.enabled)"
}

// Emit implements emitters.Emitter.
func (Emitter) Emit(p *emitters.Profile) ([]emitters.File, error) {
	if !p.Targets(model.Windows) || !p.WinHTTP.Enabled {
		return nil, nil
	}
	proxy, bypass := p.WinHTTP.Proxy, strings.Join(p.WinHTTP.Bypass, ";")
	if p.Mode == model.ModeAuto {
		proxy, bypass = "", ""
	}
	set, err := Script("winhttp-set.cmd", p.Name, setPurpose(p.Profile), proxy, bypass)
	if err != nil {
		return nil, err
	}
	if n := LongestLine(set); n > MaxLine {
		setting := model.PathWinHTTPBypass
		if len(p.WinHTTP.Bypass) == 0 {
			setting = model.PathWinHTTPProxy
		}
		// The position is the bundle's to add (model.Profile.Locate): an
		// emitter reads values, not where they were written.
		return nil, &model.SettingError{Profile: p.Name, Setting: setting, Err: fmt.Errorf(
			"%s would hold a command line of %d characters after expansion, over cmd.exe's limit of %d (docs/windows.md): shorten the list (Set-MdeProxy.ps1 runs netsh without cmd.exe and is not limited)",
			SetPath, n, MaxLine)}
	}
	reset, err := Script("winhttp-reset.cmd", p.Name, "resets the machine-wide WinHTTP proxy to direct access", "", "")
	if err != nil {
		return nil, err
	}
	return []emitters.File{
		{Path: SetPath, Data: set, Summary: "batch file: `netsh winhttp set proxy` for the whole machine (elevated)"},
		{Path: ResetPath, Data: reset, Summary: "batch file: `netsh winhttp reset proxy` (direct access)"},
	}, nil
}

func setPurpose(p *model.Profile) string {
	if p.Mode == model.ModeAuto {
		return "removes the static machine-wide WinHTTP proxy (mode auto: direct access, WPAD or a transparent proxy)"
	}
	return "sets the machine-wide WinHTTP proxy (every program that uses WinHTTP's default proxy)"
}

// cmdValue checks a value for a quoted set line of cmd.exe: inside double
// quotes, cmd treats < > | & ; as text; the validated intent holds none of the
// characters that stay special there (" % ! ^) or control characters, and
// cmdValue refuses them rather than emit a script that would misread them.
func cmdValue(s string) error {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || strings.ContainsRune("\"%!^", r) {
			return fmt.Errorf("internal error: %q cannot be quoted safely for cmd.exe", s)
		}
	}
	return nil
}

// MaxLine is the longest command line cmd.exe reads, batch files included,
// after variable expansion (docs/windows.md).
const MaxLine = 8191

// maxNetshPath is the longest path %MDE_NETSH% can expand to: a path below
// MAX_PATH (260 with its terminating NUL), however long %SystemRoot% is.
const maxNetshPath = 259

// LongestLine returns the length of the longest line of a rendered script
// after cmd.exe expands its variables, taking the data block's values and the
// longest possible netsh path.
func LongestLine(script []byte) int {
	vars := map[string]string{"MDE_NETSH": strings.Repeat("x", maxNetshPath), "SystemRoot": strings.Repeat("x", maxNetshPath-len(`\Sysnative\netsh.exe`))}
	lines := strings.Split(strings.ReplaceAll(string(script), "\r\n", "\n"), "\n")
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, `set "`); ok {
			name, value, _ := strings.Cut(strings.TrimSuffix(v, `"`), "=")
			// MDE_NETSH is set from %SystemRoot% by the fixed text: its worst
			// case is preset above.
			if _, preset := vars[name]; !preset {
				vars[name] = value
			}
		}
	}
	longest := 0
	for _, l := range lines {
		for name, value := range vars {
			l = strings.ReplaceAll(l, "%"+name+"%", value)
		}
		longest = max(longest, len(l))
	}
	return longest
}

// source is winhttp.cmd, the one source of both batch files, split at its
// data marker and converted to CRLF once.
var source = textfile.MustSplit("winhttp.cmd", cmdSource, DataMarker, textfile.CRLF)

//go:embed winhttp.cmd
var cmdSource string

// DataMarker is the line of winhttp.cmd that the data block replaces.
const DataMarker = "rem @@MDEPROXYC_DATA@@"

// Script renders a batch file that checks for elevation and runs netsh: set
// proxy with proxy and bypass, or reset proxy when proxy is empty. The values
// are in the data block's quoted set lines; the fixed text passes each netsh
// argument whole and quoted ("bypass-list=<local>;*.contoso.com").
func Script(file, profile, purpose, proxy, bypass string) ([]byte, error) {
	for _, v := range []string{proxy, bypass} {
		if err := cmdValue(v); err != nil {
			return nil, err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rem %s: generated by mdeproxyc for profile %s; do not edit.\n", file, profile)
	fmt.Fprintf(&b, "rem It %s.\n", purpose)
	fmt.Fprintf(&b, "set \"MDE_FILE=%s\"\n", file)
	fmt.Fprintf(&b, "set \"MDE_PROXY=%s\"\n", proxy)
	fmt.Fprintf(&b, "set \"MDE_BYPASS=%s\"\n", bypass)
	return source.RenderText(b.String()), nil
}

// deployText is the profile README's section for this emitter: deploy.md
// beside this file, a text/template.
var deployText = textfile.MustTemplate("deploy.md", deploySource)

//go:embed deploy.md
var deploySource string

// Deploy implements emitters.Deployer.
func (Emitter) Deploy(p *emitters.Profile) string {
	return textfile.Execute(deployText, p)
}

// Locate implements emitters.Locator.
func (Emitter) Locate(p *emitters.Profile) []emitters.Location {
	if !p.Targets(model.Windows) || !p.WinHTTP.Enabled || p.Mode == model.ModeAuto {
		return nil
	}
	bypass := strings.Join(p.WinHTTP.Bypass, ";")
	out := []emitters.Location{{Setting: model.PathWinHTTPProxy, File: SetPath, Kind: "text", Where: "data block", Value: `set "MDE_PROXY=` + p.WinHTTP.Proxy + `"`}}
	if bypass != "" {
		out = append(out, emitters.Location{Setting: model.PathWinHTTPBypass, File: SetPath, Kind: "text", Where: "data block", Value: `set "MDE_BYPASS=` + bypass + `"`})
	}
	return out
}

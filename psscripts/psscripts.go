// Package psscripts renders a profile's Windows PowerShell scripts, which two
// emitters ship (the PowerShell files, and the Intune bodies that embed them):
// Set-MdeProxy.ps1 applies the registry plan (and Antivirus preferences, the
// WinHTTP proxy and the Log Analytics agent proxy where the profile manages
// them), records prior values and can undo; Test-MdeProxy.ps1 is the detection
// script for Intune remediations and people; Detect-MdeProxy-ConfigMgr.ps1 is
// the same check with ConfigMgr's detection contract built in. Every value from the intent is in one generated data block of
// single-quoted literals; the rest of each script is fixed text, kept in this
// folder as .ps1 files (embedded), where the data block replaces the line that
// is exactly IntentMarker and the functions of Common.ps1 the line CommonMarker.
package psscripts

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/internal/textfile"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// IntentMarker is the comment line of the script sources that the generated
// data block replaces.
const IntentMarker = "# @@MDEPROXYC_INTENT@@"

// CommonMarker is the line of Set-MdeProxy.ps1 and Test-MdeProxy.ps1 that
// Common.ps1's functions replace, so the two scripts read values one way.
const CommonMarker = "# @@MDEPROXYC_COMMON@@"

// The script sources, LF in the repository. Their text is ASCII only, so
// Windows PowerShell 5.1 reads it the same whatever the code page, and avoids
// backticks (PowerShell's escape character); no value from the intent appears
// in them.
var (
	//go:embed Set-MdeProxy.ps1
	setSource string
	//go:embed Test-MdeProxy.ps1
	testSource string
	//go:embed Detect-MdeProxy-ConfigMgr.ps1
	detectSource string
	//go:embed Common.ps1
	commonSource string
)

// withCommon splices Common.ps1, less its own leading comment, in place of the
// CommonMarker line of a script source.
func withCommon(name, src string) string {
	body := commonSource
	for strings.HasPrefix(body, "#") {
		_, body, _ = strings.Cut(body, "\n")
	}
	if strings.Count(src, CommonMarker+"\n") != 1 {
		panic("psscripts: " + name + " must have the line " + CommonMarker + " exactly once")
	}
	return strings.Replace(src, CommonMarker+"\n", body, 1)
}

// The fixed parts of the scripts, split at the marker and converted to CRLF
// once: a 100,000-profile fleet renders them 300,000 times.
var (
	setParts    = textfile.MustSplit("Set-MdeProxy.ps1", withCommon("Set-MdeProxy.ps1", setSource), IntentMarker, textfile.CRLF)
	testParts   = textfile.MustSplit("Test-MdeProxy.ps1", withCommon("Test-MdeProxy.ps1", testSource), IntentMarker, textfile.CRLF)
	detectParts = textfile.MustSplit("Detect-MdeProxy-ConfigMgr.ps1", detectSource, IntentMarker, textfile.CRLF)
)

// BackupRoot is where Set-MdeProxy.ps1 records prior values, one subkey per profile.
const BackupRoot = `HKLM:\SOFTWARE\mdeproxyc\Backup`

// Scripts are a profile's rendered scripts, CRLF line ends included.
type Scripts struct {
	Set    []byte // Set-MdeProxy.ps1
	Test   []byte // Test-MdeProxy.ps1
	Detect []byte // Detect-MdeProxy-ConfigMgr.ps1
}

// Render renders the scripts of a profile from its registry plan. The intent
// block is rendered once and shared by Set-MdeProxy.ps1 and Test-MdeProxy.ps1;
// the detection script gets its own, with digests for the bypass lists.
func Render(p *model.Profile, plan regplan.Plan) Scripts {
	intent := textfile.Convert(Intent(p, plan), textfile.CRLF)
	detect := textfile.Convert(DetectIntent(p, plan), textfile.CRLF)
	return Scripts{Set: setParts.Render(intent), Test: testParts.Render(intent), Detect: detectParts.Render(detect)}
}

// Intent is the data block Set-MdeProxy.ps1 and Test-MdeProxy.ps1 start with:
// every value from the intent, each in a single-quoted literal, and nothing
// else from the intent anywhere in the scripts.
func Intent(p *model.Profile, plan regplan.Plan) string { return intent(p, plan, false) }

// DetectIntent is the data block of Detect-MdeProxy-ConfigMgr.ps1. It carries
// each bypass list as the SHA-256 digest of its normalised text (Digest), so
// that the script's size does not depend on the list's length: Microsoft
// documents no size limit for a detection script, and none is assumed
// (docs/windows.md, ConfigMgr).
func DetectIntent(p *model.Profile, plan regplan.Plan) string { return intent(p, plan, true) }

// Digest is how the detection script compares a bypass list: the lowercase
// hex SHA-256 of the UTF-8 text of its entries joined with ';'. The script
// computes the same from the live value (its Get-Sha256).
func Digest(list string) string {
	sum := sha256.Sum256([]byte(list))
	return hex.EncodeToString(sum[:])
}

// DigestFolded is Digest of the lowercased list: Test-MdeProxy.ps1 compares
// WinHTTP bypass lists without regard to case, and so does the detection
// script (the intent is ASCII, so lowercasing agrees with .NET's).
func DigestFolded(list string) string { return Digest(strings.ToLower(list)) }

// intent renders a data block; digest carries the bypass lists as digests.
// A component the profile does not manage gets Manage = $false and no value,
// so nothing of it is in the script (docs/windows.md, "Managed and not
// managed"); the fixed text reads a component's values only where Manage is set.
func intent(p *model.Profile, plan regplan.Plan, digest bool) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# ---- intent: generated by mdeproxyc from the fleet's CUE files ----\n")
	w("$MdeProfile = %s\n", PSQuote(p.Name))
	w("$BackupKey = %s\n", PSQuote(BackupRoot+`\`+p.Name))
	w("# The registry plan: the policy values Group Policy would write. Delete = $true\n")
	w("# removes a value this profile leaves unset, so the device converges to the intent.\n")
	if digest {
		w("# Sha256: the digest of a bypass list (its entries joined with ';'), in place of the value.\n")
	}
	w("$Plan = @(\n")
	for _, o := range plan.Ops {
		value := PSQuote(o.Str)
		typ := "String"
		if o.Type == regplan.DWord {
			typ, value = "DWord", fmt.Sprint(o.DWord)
		}
		if o.Delete {
			value = "$null"
		}
		data := "Value = " + value
		if digest && !o.Delete && o.Setting == model.PathAVBypass {
			data = "Sha256 = " + PSQuote(Digest(o.Str))
		}
		w("    @{ Key = %s; Name = %s; Type = %s; %s; Delete = $%t }\n",
			PSQuote(`HKLM:\`+o.Key), PSQuote(o.Name), PSQuote(typ), data, o.Delete)
	}
	w(")\n")
	st := ValuesOf(p)
	w("# Defender Antivirus preferences (Set-MpPreference); empty values are removed\n")
	w("# (Remove-MpPreference), so a stale preference cannot outlive the policy.\n")
	w("# Manage = $false: this profile does not manage Antivirus and leaves them alone.\n")
	switch {
	case !p.Antivirus.Enabled:
		w("$MpPreference = @{ Manage = $false }\n")
	case digest:
		w("$MpPreference = @{ Manage = $true; ProxyServer = %s; ProxyPacUrl = %s; ProxyBypassSha256 = %s }\n",
			PSQuote(st.MpProxy), PSQuote(st.MpPac), PSQuote(Digest(strings.Join(st.MpBypass, ";"))))
	default:
		w("$MpPreference = @{ Manage = $true; ProxyServer = %s; ProxyPacUrl = %s; ProxyBypass = %s }\n",
			PSQuote(st.MpProxy), PSQuote(st.MpPac), psArray(st.MpBypass))
	}
	w("# Machine-wide WinHTTP proxy (netsh): Manage = $false leaves it alone; an empty\n")
	w("# ProxyServer resets it to direct access.\n")
	switch {
	case !p.WinHTTP.Enabled:
		w("$WinHttp = @{ Manage = $false }\n")
	case digest:
		w("$WinHttp = @{ Manage = $true; ProxyServer = %s; BypassListSha256 = %s }\n",
			PSQuote(st.WinHTTPProxy), PSQuote(DigestFolded(st.WinHTTPBypass)))
	default:
		w("$WinHttp = @{ Manage = $true; ProxyServer = %s; BypassList = %s }\n",
			PSQuote(st.WinHTTPProxy), PSQuote(st.WinHTTPBypass))
	}
	w("# Legacy Log Analytics agent (MMA) proxy: Manage = $false leaves it alone.\n")
	if p.MMA.Enabled {
		w("$Mma = @{ Manage = $true; ProxyUrl = %s }\n", PSQuote(st.MMAProxy))
	} else {
		w("$Mma = @{ Manage = $false }\n")
	}
	w("# ---- end of intent ----\n")
	return b.String()
}

// Values is what the intent block holds beside the registry plan, worked out
// once for the block and for the emitters' Locate. In auto mode the values
// are empty: the scripts then remove them. A disabled component's values are
// empty too, and the block leaves them out (Manage = $false).
type Values struct {
	MpProxy, MpPac              string
	MpBypass                    []string
	WinHTTPProxy, WinHTTPBypass string
	MMAProxy                    string
}

// ValuesOf works out a profile's script values.
func ValuesOf(p *model.Profile) Values {
	var st Values
	if p.Mode != model.ModeStatic {
		return st
	}
	if p.Antivirus.Enabled {
		st.MpProxy, st.MpPac, st.MpBypass = p.Antivirus.ProxyServer, p.Antivirus.PacURL, p.Antivirus.Bypass
	}
	if p.WinHTTP.Enabled {
		st.WinHTTPProxy, st.WinHTTPBypass = p.WinHTTP.Proxy, strings.Join(p.WinHTTP.Bypass, ";")
	}
	if p.MMA.Enabled {
		st.MMAProxy = p.MMA.Proxy
	}
	return st
}

package importer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// utf16File encodes text as regedit's "Unicode" export: UTF-16LE with a BOM, CRLF.
func utf16File(text string) []byte {
	text = strings.ReplaceAll(text, "\n", "\r\n")
	out := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(text)) {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return out
}

// multiSZ writes REG_MULTI_SZ data as regedit's hex(7): notation.
func multiSZ(entries ...string) string {
	var b []string
	for _, u := range utf16.Encode([]rune(strings.Join(entries, "\x00") + "\x00\x00")) {
		b = append(b, fmt.Sprintf("%02x,%02x", u&0xff, u>>8))
	}
	return "hex(7):" + strings.Join(b, ",")
}

const regHQ = `Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\DataCollection]
"TelemetryProxyServer"="proxy.contoso.com:8080"
"DisableEnterpriseAuthProxy"=dword:00000001

[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows Defender]
"ProxyServer"="http://proxy.contoso.com:8080"
"ProxyBypass"="<local>;*.contoso.com"
`

// importOne imports inputs and compiles the result.
func importOne(t *testing.T, inputs ...Input) (*Result, *model.Profile) {
	t.Helper()
	res, err := Import(inputs, Options{Profile: "site"})
	if err != nil {
		t.Fatal(err)
	}
	return res, compileCUE(t, res.CUE)
}

func written(p *model.Profile) map[string]string {
	m := map[string]string{}
	for _, o := range regplan.For(p).Ops {
		if o.Delete {
			m[o.Name] = "-"
		} else {
			m[o.Name] = o.Data()
		}
	}
	return m
}

func TestRegEncodings(t *testing.T) {
	utf8Reg := strings.Replace(regHQ, "Windows Registry Editor Version 5.00", "REGEDIT4", 1)
	cases := []Input{
		{Name: "unicode.reg", Data: utf16File(regHQ)},
		{Name: "utf8.reg", Data: []byte(regHQ)},
		{Name: "bom.reg", Data: append([]byte{0xef, 0xbb, 0xbf}, regHQ...)},
		{Name: "regedit4.reg", Data: []byte(strings.ReplaceAll(utf8Reg, "\n", "\r\n"))},
	}
	for _, in := range cases {
		t.Run(in.Name, func(t *testing.T) {
			res, p := importOne(t, in)
			if p.EDR.Proxy != "proxy.contoso.com:8080" || p.Antivirus.ProxyServer != "http://proxy.contoso.com:8080" {
				t.Errorf("proxies %q, %q", p.EDR.Proxy, p.Antivirus.ProxyServer)
			}
			if !slices.Equal(p.Antivirus.Bypass, []string{"<local>", "*.contoso.com"}) {
				t.Errorf("bypass %q", p.Antivirus.Bypass)
			}
			if len(res.Warnings) > 0 {
				t.Errorf("warnings: %q", res.Warnings)
			}
			// The values the file does not state are notes, not silence.
			if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "SSLOptions") }) {
				t.Errorf("no note on SSLOptions, which the file leaves out: %q", res.Notes)
			}
		})
	}
}

func TestRegMultiSZBypass(t *testing.T) {
	reg := strings.Replace(regHQ, `"ProxyBypass"="<local>;*.contoso.com"`, `"ProxyBypass"=`+multiSZ("<local>", "*.contoso.com", "10.*"), 1)
	// regedit wraps long hex data with a backslash and two spaces.
	reg = strings.Replace(reg, ",00,2a,00", ",00,\\\n  2a,00", 1)
	res, p := importOne(t, Input{Name: "template-2024.reg", Data: utf16File(reg)})
	if want := []string{"<local>", "*.contoso.com", "10.*"}; !slices.Equal(p.Antivirus.Bypass, want) {
		t.Errorf("bypass %q, want %q", p.Antivirus.Bypass, want)
	}
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "REG_MULTI_SZ") }) {
		t.Errorf("no note that the type changes to REG_SZ: %q", res.Notes)
	}
	if len(res.Warnings) > 0 {
		t.Errorf("warnings: %q", res.Warnings)
	}
}

func TestRegDeletions(t *testing.T) {
	reg := `Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\DataCollection]
"TelemetryProxyServer"="proxy.contoso.com:8080"
"DisableEnterpriseAuthProxy"=dword:00000001

[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows Defender]
"ProxyServer"=-
"ProxyPacUrl"=-
"ProxyBypass"=-

[-HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows Defender\Spynet]
`
	res, p := importOne(t, Input{Name: "kiosk.reg", Data: []byte(reg)})
	if p.Antivirus.Enabled {
		t.Error("Antivirus values deleted in static mode: want windows.antivirus.enabled false")
	}
	if !strings.Contains(string(res.CUE), "antivirus: enabled: false") {
		t.Errorf("CUE:\n%s", res.CUE)
	}
	// Not managed means left alone: the build repeats none of the
	// deletions, and the import says so for each rather than dropping it.
	w := written(p)
	for _, name := range []string{"ProxyServer", "ProxyPacUrl", "ProxyBypass", "SSLOptions"} {
		if w[name] != "" {
			t.Errorf("%s: the build writes %q, want nothing (not managed)", name, w[name])
		}
		if name != "SSLOptions" && !slices.ContainsFunc(res.Warnings, func(s string) bool { return strings.Contains(s, name) }) {
			t.Errorf("the deletion of %s is not reported: warnings %q", name, res.Warnings)
		}
	}
	// The key deletion becomes value deletions, and says so.
	if !slices.ContainsFunc(res.Warnings, func(s string) bool { return strings.Contains(s, "never deletes a key") }) {
		t.Errorf("warnings %q", res.Warnings)
	}
}

func TestRegAutoMode(t *testing.T) {
	reg := `Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\DataCollection]
"TelemetryProxyServer"=-
"DisableEnterpriseAuthProxy"=dword:00000001

[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows Defender]
"ProxyServer"=-
`
	_, p := importOne(t, Input{Name: "wpad.reg", Data: []byte(reg)})
	if p.Mode != model.ModeAuto || !p.EDR.Enabled {
		t.Errorf("mode %s, EDR enabled %v; want auto, true", p.Mode, p.EDR.Enabled)
	}
}

func TestNetsh(t *testing.T) {
	direct := "\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Direct access (no proxy server).\r\n\r\n"
	res, p := importOne(t, Input{Name: "hq.reg", Data: []byte(regHQ)}, Input{Name: "winhttp.txt", Data: []byte(direct)})
	if p.WinHTTP.Enabled {
		t.Error("direct access in static mode: WinHTTP must be left alone")
	}
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "direct access") }) {
		t.Errorf("notes %q", res.Notes)
	}
	// Direct access alone: mode auto, where the WinHTTP script restores direct access.
	_, p = importOne(t, Input{Name: "winhttp.txt", Data: []byte(direct)})
	if p.Mode != model.ModeAuto || !p.WinHTTP.Enabled {
		t.Errorf("direct access alone: mode %s, WinHTTP enabled %v", p.Mode, p.WinHTTP.Enabled)
	}

	set := "Current WinHTTP proxy settings:\n\n    Proxy Server(s) :  10.20.0.6:3128\n    Bypass List     :  <local>;*.contoso.de\n"
	res, p = importOne(t, Input{Name: "hq.reg", Data: []byte(regHQ)}, Input{Name: "winhttp.txt", Data: []byte(set)})
	if !p.WinHTTP.Enabled || p.WinHTTP.Proxy != "10.20.0.6:3128" || !slices.Equal(p.WinHTTP.Bypass, []string{"<local>", "*.contoso.de"}) {
		t.Errorf("WinHTTP %+v", p.WinHTTP)
	}
	if len(res.Warnings) > 0 {
		t.Errorf("warnings %q", res.Warnings)
	}
	none := "Current WinHTTP proxy settings:\n\n    Proxy Server(s) :  proxy.contoso.com:8080\n    Bypass List     :  (none)\n"
	_, p = importOne(t, Input{Name: "hq.reg", Data: []byte(regHQ)}, Input{Name: "winhttp.txt", Data: []byte(none)})
	if len(p.WinHTTP.Bypass) != 0 || p.WinHTTP.Proxy != "proxy.contoso.com:8080" {
		t.Errorf("(none): WinHTTP %+v", p.WinHTTP)
	}

	german := "Aktuelle WinHTTP-Proxyeinstellungen:\n\n    Direkter Zugriff (kein Proxyserver).\n"
	_, err := Import([]Input{{Name: "de.txt", Data: []byte(german)}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "de.txt") || !strings.Contains(err.Error(), "localized") {
		t.Errorf("German netsh output: %v", err)
	}
}

func TestConflict(t *testing.T) {
	other := strings.Replace(regHQ, "http://proxy.contoso.com:8080", "http://other.contoso.com:3128", 1)
	_, err := Import([]Input{{Name: "a.reg", Data: []byte(regHQ)}, {Name: "b.reg", Data: utf16File(other)}}, Options{})
	var c *ConflictError
	if !errors.As(err, &c) {
		t.Fatalf("err %v, want a conflict", err)
	}
	for _, s := range []string{"a.reg", "b.reg", `"http://proxy.contoso.com:8080"`, `"http://other.contoso.com:3128"`, "ProxyServer"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not name %s", err, s)
		}
	}
	// The same value twice, and a REG_MULTI_SZ equal to a joined REG_SZ, agree.
	multi := strings.Replace(regHQ, `"ProxyBypass"="<local>;*.contoso.com"`, `"ProxyBypass"=`+multiSZ("<local>", "*.contoso.com"), 1)
	if _, err := Import([]Input{{Name: "a.reg", Data: []byte(regHQ)}, {Name: "b.reg", Data: []byte(multi)}}, Options{}); err != nil {
		t.Errorf("equal values: %v", err)
	}
}

func TestUnsupported(t *testing.T) {
	reg := regHQ + `
[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows Defender\Spynet]
"SSLOptions"=dword:00000001
"SpynetReporting"=dword:00000002
`
	res, p := importOne(t, Input{Name: "old.reg", Data: []byte(reg)})
	for _, want := range []string{"SSLOptions = dword 1", `"SpynetReporting"`} {
		if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, want) }) {
			t.Errorf("no warning about %s: %q", want, res.Warnings)
		}
		if !strings.Contains(string(res.CUE), want) {
			t.Errorf("no comment about %s in:\n%s", want, res.CUE)
		}
	}
	if p.Antivirus.DisableRevocationChecks {
		t.Error("SSLOptions=1 imported as disableRevocationChecks")
	}
	// A setting of mdatp that is not the proxy, and a value the intent's
	// grammar refuses, are reported.
	json := `{"cloudService": {"proxy": "http://user:secret@proxy.contoso.com:8080", "automaticSampleSubmissionConsent": "safe"}, "antivirusEngine": {"enforcementLevel": "real_time"}}`
	res, _ = importOne(t, Input{Name: "hq.reg", Data: []byte(regHQ)}, Input{Name: "mdatp_managed.json", Data: []byte(json)})
	for _, want := range []string{"antivirusEngine", "automaticSampleSubmissionConsent", "linux.proxy"} {
		if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, want) }) {
			t.Errorf("no warning about %s: %q", want, res.Warnings)
		}
	}
}

// TestCommentsCannotBreakOut: a hostile key in an input reaches the output
// only inside a comment, escaped.
func TestCommentsCannotBreakOut(t *testing.T) {
	json := `{"cloudService": {"proxy": "http://proxy.contoso.com:8080"}, "x\nprofiles: evil: {}\u2028": 1}`
	res, p := importOne(t, Input{Name: "m.json", Data: []byte(json)})
	if p.Name != "site" || strings.Contains(string(res.CUE), "\nprofiles: evil") {
		t.Errorf("CUE:\n%s", res.CUE)
	}
	if !strings.Contains(string(res.CUE), `x\nprofiles: evil: {}\u2028`) {
		t.Errorf("the key is not reported escaped:\n%s", res.CUE)
	}
}

func TestMacAndIntuneNames(t *testing.T) {
	mc := `<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>PayloadContent</key><array><dict>
<key>PayloadType</key><string>com.apple.ManagedClient.preferences</string>
<key>PayloadContent</key><dict><key>com.microsoft.wdav</key><dict><key>Forced</key><array><dict>
<key>mcx_preference_settings</key><dict><key>cloudService</key><dict><key>proxy</key><string>http://10.1.0.5:3128</string></dict></dict>
</dict></array></dict></dict>
</dict></array>
<key>PayloadIdentifier</key><string>com.example.mde</string>
<key>PayloadType</key><string>Configuration</string>
</dict></plist>`
	res, p := importOne(t, Input{Name: "jamf.mobileconfig", Data: []byte(mc)})
	if p.MacOS.Proxy != "http://10.1.0.5:3128" || p.MacOS.Identifier != "com.example.mde" || !slices.Equal(p.Platforms, []model.Platform{model.MacOS}) {
		t.Errorf("macOS %+v, platforms %v", p.MacOS, p.Platforms)
	}
	if len(res.Warnings) > 0 {
		t.Errorf("warnings %q", res.Warnings)
	}
}

// TestTooLarge: an input larger than MaxInput is refused whatever its
// format, before any parser reads it.
func TestTooLarge(t *testing.T) {
	big := make([]byte, MaxInput+1)
	for _, name := range fuzzNames {
		_, err := Import([]Input{{Name: name, Data: big}}, Options{})
		if err == nil || !strings.Contains(err.Error(), name+": larger than 16 MiB") {
			t.Errorf("%s of %d bytes: %v", name, len(big), err)
		}
	}
}

package all_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"path"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/emitters/pol"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/lint"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/psscripts"
)

// build compiles a fleet, checks that vet finds no error in it, and builds it
// with every target (the default of `mdeproxyc build`): files by path.
func build(t *testing.T, src string) ([]*model.Profile, map[string][]byte) {
	t.Helper()
	ps := testfleet.Source(t, src)
	if errs := lint.Errors(lint.Run(ps)); len(errs) > 0 {
		t.Fatalf("vet: %v", errs)
	}
	var mem bundle.Memory
	if _, err := bundle.Build(ps, all.Emitters(), &mem); err != nil {
		t.Fatalf("build: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range mem.Files() {
		files[f.Path] = f.Data
	}
	return ps, files
}

// TestLongBypassListBuilds: a 400-entry bypass list builds with every target,
// since no limit without a source fails a build (docs/windows.md, ConfigMgr),
// and the detection script's size does not depend on the list: it carries
// the list's digest, not the list.
func TestLongBypassListBuilds(t *testing.T) {
	var long []string
	for i := range 400 {
		long = append(long, fmt.Sprintf(`"h%03d.build.contoso.com"`, i))
	}
	src := `package fleet
profiles: {
	long: {
		proxy: "proxy.contoso.com:8080"
		bypass: [` + strings.Join(long, ", ") + `]
	}
	tiny: {
		proxy: "proxy.contoso.com:8080"
		bypass: ["h000.build.contoso.com"]
	}
}
`
	_, files := build(t, src)
	detect := func(profile string) []byte {
		d, ok := files[profile+"/windows/Detect-MdeProxy-ConfigMgr.ps1"]
		if !ok {
			t.Fatalf("%s has no detection script", profile)
		}
		return d
	}
	// The two names have the same length: any difference in size is the list's.
	longD, tinyD := detect("long"), detect("tiny")
	if len(longD) != len(tinyD) {
		t.Errorf("detection script: %d bytes with 400 bypass entries, %d with 1: its size depends on the list", len(longD), len(tinyD))
	}
	if bytes.Contains(longD, []byte("h399.build.contoso.com")) {
		t.Error("the detection script carries the bypass list itself")
	}
	var entries []string
	for i := range 400 {
		entries = append(entries, fmt.Sprintf("h%03d.build.contoso.com", i))
	}
	if want := psscripts.Digest(strings.Join(entries, ";")); !bytes.Contains(longD, []byte("'"+want+"'")) {
		t.Errorf("the detection script lacks the list's digest %s", want)
	}
	// The other artifacts carry the list whole.
	for _, f := range []string{"long/windows/Set-MdeProxy.ps1", "long/windows/Test-MdeProxy.ps1", "long/windows/gpo/Set-MdeProxyGpo.ps1"} {
		if !bytes.Contains(files[f], []byte("h399.build.contoso.com")) {
			t.Errorf("%s lacks the bypass list", f)
		}
	}
}

// component is one Windows component as TestNotManagedLeavesNoTrace sees it:
// its intent, and the traces it leaves in a bundle.
type component struct {
	name string
	// intent is the profile's windows.<name> block, less "enabled".
	intent string
	// traces match what only this component puts in a file: value names,
	// OMA-URIs, script data and its own addresses.
	traces []*regexp.Regexp
	// files exist only when the component is managed.
	files []string
}

var components = []component{
	{
		name:   "edr",
		intent: `proxy: "edr-only.example:1111", preferStaticProxy: true`,
		traces: words(`TelemetryProxyServer`, `DisableEnterpriseAuthProxy`, `PreferStaticProxyForHttpRequest`, `edr-only\.example`),
	},
	{
		name: "antivirus",
		intent: `proxy: "http://av-only.example:2222", pac: "http://pac-only.example/x.pac", bypass: ["avbypass-only.example"],
			disableRevocationChecks: true`,
		traces: words(`ProxyServer`, `ProxyPacUrl`, `ProxyBypass\w*`, `SSLOptions`, `ADMX_MicrosoftDefenderAntivirus`,
			`av-only\.example`, `pac-only\.example`, `avbypass-only\.example`, `\$MpPreference = @\{ Manage = \$true`),
	},
	{
		name:   "winhttp",
		intent: `proxy: "winhttp-only.example:3333", bypass: ["whbypass-only.example"]`,
		traces: words(`BypassList\w*`, `MDE_PROXY`, `MDE_BYPASS`, `winhttp-only\.example`, `whbypass-only\.example`, `\$WinHttp = @\{ Manage = \$true`),
		files:  []string{"windows/winhttp-set.cmd", "windows/winhttp-reset.cmd"},
	},
	{
		name:   "mma",
		intent: `proxy: "mma-only.example:4444"`,
		traces: words(`ProxyUrl`, `mma-only\.example`, `\$Mma = @\{ Manage = \$true`),
	},
}

// words compiles patterns that match whole identifiers only: "ProxyServer"
// is not found in "TelemetryProxyServer".
func words(patterns ...string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, p := range patterns {
		out = append(out, regexp.MustCompile(`(^|[^A-Za-z0-9_])`+p))
	}
	return out
}

// TestNotManagedLeavesNoTrace: a Windows component with enabled: false is not
// managed (docs/windows.md, "Managed and not managed"): no artifact of the
// profile — .reg, undo .reg, Registry.pol, the PowerShell scripts' data, the
// Intune bodies and the scripts they carry, the ConfigMgr script and the
// detection script it embeds, the GPO script, the WinHTTP batch files —
// writes, deletes or checks any of its values. Each component is disabled
// in one profile and enabled in another that is otherwise the same, so
// every trace the check looks for is shown to be there when it should be.
// The fixed text of the scripts names every component and acts only on
// what the data block says (Manage, the plan); the check reads the data.
func TestNotManagedLeavesNoTrace(t *testing.T) {
	var src strings.Builder
	src.WriteString("package fleet\nprofiles: {\n")
	for _, c := range components {
		for _, on := range []bool{false, true} {
			fmt.Fprintf(&src, "\t\"%s-%t\": {\n\t\tproxy: \"shared.example:8080\"\n\t\tplatforms: [\"windows\"]\n", c.name, on)
			fmt.Fprintf(&src, "\t\twindows: %s: {enabled: %t, %s}\n", c.name, on, c.intent)
			if c.name == "mma" {
				src.WriteString("\t\tconnectivity: \"standard\"\n")
			}
			src.WriteString("\t}\n")
		}
	}
	src.WriteString("}\n")
	ps := testfleet.Source(t, src.String())
	var mem bundle.Memory
	if _, err := bundle.Build(ps, all.Emitters(), &mem); err != nil {
		t.Fatalf("build: %v", err)
	}
	byProfile := map[string]map[string][]string{}
	for _, f := range mem.Files() {
		profile, rel, ok := strings.Cut(f.Path, "/")
		if !ok || f.Profile == "" {
			continue
		}
		if byProfile[profile] == nil {
			byProfile[profile] = map[string][]string{}
		}
		texts, err := searchable(rel, f.Data)
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		// The connectivity probes are diagnostics that pick the proxy to
		// probe themselves (docs/endpoints.md); they configure nothing.
		if strings.Contains(strings.ToLower(rel), "connectivity") {
			continue
		}
		byProfile[profile][rel] = texts
	}
	for _, c := range components {
		off, on := byProfile[c.name+"-false"], byProfile[c.name+"-true"]
		if len(off) == 0 || len(on) == 0 {
			t.Fatalf("%s: no files for its profiles", c.name)
		}
		for _, re := range c.traces {
			if !found(on, re) {
				t.Errorf("%s enabled: no file has %s: the check would pass vacuously", c.name, re)
			}
			for rel, texts := range off {
				for _, text := range texts {
					if loc := re.FindStringIndex(text); loc != nil {
						t.Errorf("%s: enabled: false, yet %s has %q", c.name, rel, excerpt(text, loc[0]))
					}
				}
			}
		}
		for _, f := range c.files {
			if _, ok := off[f]; ok {
				t.Errorf("%s: enabled: false, yet %s is written", c.name, f)
			}
			if _, ok := on[f]; !ok {
				t.Errorf("%s enabled: no %s", c.name, f)
			}
		}
	}
}

func found(files map[string][]string, re *regexp.Regexp) bool {
	for _, texts := range files {
		for _, text := range texts {
			if re.MatchString(text) {
				return true
			}
		}
	}
	return false
}

func excerpt(s string, at int) string {
	return s[max(0, at-60):min(len(s), at+60)]
}

// base64Blob is a run of base64 long enough to be an embedded script.
var base64Blob = regexp.MustCompile(`[A-Za-z0-9+/]{200,}={0,2}`)

// searchable turns one file into the texts the check reads: UTF-16 and
// Registry.pol decoded, each embedded base64 script decoded and read in turn,
// and of a PowerShell script only the generated data block without its
// comments: the fixed text is the same for every profile and acts on the data
// (psscripts' own tests read it). The profile's README is documentation: only
// the component's addresses are looked for there.
func searchable(rel string, data []byte) ([]string, error) {
	var text string
	switch {
	case strings.HasSuffix(rel, ".pol"):
		s, err := pol.Text(data)
		if err != nil {
			return nil, err
		}
		text = s
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		u := make([]uint16, (len(data)-2)/2)
		for i := range u {
			u[i] = uint16(data[2+2*i]) | uint16(data[3+2*i])<<8
		}
		text = string(utf16.Decode(u))
	default:
		text = strings.TrimPrefix(string(data), "\ufeff")
	}
	var out []string
	for _, blob := range base64Blob.FindAllString(text, -1) {
		dec, err := base64.StdEncoding.DecodeString(blob)
		if err != nil || !utf8.Valid(dec) {
			continue
		}
		inner, err := searchable("embedded.ps1", dec)
		if err != nil {
			return nil, err
		}
		out = append(out, inner...)
	}
	text = base64Blob.ReplaceAllString(text, "")
	if path.Base(rel) == "README.md" {
		var addrs []string
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(line, "-only.example") {
				addrs = append(addrs, line)
			}
		}
		return append(out, strings.Join(addrs, "\n")), nil
	}
	if begin := strings.Index(text, "# ---- intent:"); begin >= 0 {
		end := strings.Index(text, "# ---- end of intent ----")
		if end < begin {
			return nil, fmt.Errorf("%s: intent block without its end", rel)
		}
		var data []string
		for _, line := range strings.Split(text[begin:end], "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "#") {
				data = append(data, line)
			}
		}
		text = strings.Join(data, "\n")
	}
	return append(out, text), nil
}

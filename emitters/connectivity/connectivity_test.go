package connectivity

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/proxyside"
	"github.com/mdeproxyc/mdeproxyc/endpoints"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// TestPowerShellParseTree: every Windows profile's Test-MdeConnectivity.ps1
// parses with no ERROR or MISSING node, and the destinations read from the
// parse tree are the catalogue's probes, each through the proxy of every
// component that reaches it, with the analyzers' test paths; the groups
// without a probe are named.
func TestPowerShellParseTree(t *testing.T) {
	ps := testfleet.Targeting(t, model.Windows, 3)
	var scripts [][]byte
	for _, p := range ps {
		scripts = append(scripts, PowerShell(p, endpoints.Default().For(p)))
	}
	parsed := validators.ParsePowerShell(t, scripts...)
	for i, p := range ps {
		f := parsed[i]
		if e := f.SyntaxErrors(); e != "" {
			t.Errorf("%s: syntax errors:\n%s", p.Name, e)
			continue
		}
		dv, ok := f.Assigned("$Destinations")
		arr, err := dv.Array()
		if !ok || err != nil {
			t.Fatalf("%s: $Destinations: %v", p.Name, err)
		}
		var got []string
		for _, el := range arr {
			h, err := el.Hash()
			if err != nil {
				t.Fatalf("%s: destination: %v", p.Name, err)
			}
			u, _ := h["Url"].String()
			proxy, _ := h["Proxy"].String()
			got = append(got, u+" "+proxy)
		}
		win := endpoints.OnPlatform(endpoints.Default().For(p), model.Windows)
		var want []string
		for _, e := range endpoints.Probes(win) {
			var proxies []string
			for _, c := range e.Components {
				if r := windowsRoute(p, c); !slices.Contains(proxies, r.Proxy) {
					proxies = append(proxies, r.Proxy)
					want = append(want, e.URL()+" "+r.Proxy)
				}
			}
		}
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s: destinations in the parse tree:\n%v\nwant:\n%v", p.Name, got, want)
		}
		nv, _ := f.Assigned("$NotProbed")
		np, _ := nv.Array()
		if len(np) != len(endpoints.NotProbed(win)) {
			t.Errorf("%s: %d groups named as not probed, want %d", p.Name, len(np), len(endpoints.NotProbed(win)))
		}
	}
}

// TestPowerShellRoutes: each destination goes through the proxy of the
// component that uses it (legacy-branch: the sensor's, Antivirus' and the
// gateway's are three proxies); a profile without a static proxy leaves the
// proxy to the machine's WinHTTP setting at run time.
func TestPowerShellRoutes(t *testing.T) {
	lb := testfleet.Profile(t, "legacy-branch")
	s := string(PowerShell(lb, endpoints.Default().For(lb)))
	for _, want := range []string{
		"Url = 'https://winatp-gw-weu.microsoft.com/test'; Service = 'Command and control (unified agent, macOS, Linux; standard connectivity)'; Proxy = 'edr-proxy.contoso.com:8080'",
		"Url = 'https://winatp-gw-weu.microsoft.com/test'; Service = 'Command and control (unified agent, macOS, Linux; standard connectivity)'; Proxy = 'la-gateway.contoso.com:8080'",
		"Proxy = 'https://av-proxy.contoso.com:8443'",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("legacy-branch script lacks %q", want)
		}
	}
	auto := testfleet.Profile(t, "wpad-campus")
	s = string(PowerShell(auto, endpoints.Default().For(auto)))
	if n := strings.Count(s, "; Proxy = "); n == 0 || strings.Count(s, "; Proxy = ''") != n {
		t.Errorf("mode auto: a destination has a static proxy:\n%s", s)
	}
}

// TestPowerShellPreamble: the script carries the other scripts' PowerShell
// 2.0-safe preamble ahead of everything that runs, and no syntax newer than
// 2.0 anywhere (2.0 parses the whole file before running the preamble).
func TestPowerShellPreamble(t *testing.T) {
	p := testfleet.Profile(t, "hq")
	s := strings.ReplaceAll(string(PowerShell(p, endpoints.Default().For(p))), "\r\n", "\n")
	pre := strings.Index(s, "# ---- preamble: PowerShell 2.0 syntax only")
	check := strings.Index(s, "$PSVersionTable.PSVersion -lt [Version] '5.1'")
	intent := strings.Index(s, "$Profile_ = ")
	if pre < 0 || check < pre || intent < check || strings.Index(s, "param(") > pre {
		t.Errorf("preamble at %d, version check at %d, intent at %d", pre, check, intent)
	}
	for _, newer := range []string{" -in ", " -notin ", "[ordered]", "::new(", "$PSItem", " -shl ", " -shr ", "\n#Requires"} {
		if strings.Contains(s, newer) {
			t.Errorf("the script uses %q, newer than PowerShell 2.0", newer)
		}
	}
	for _, want := range []string{"CONNECT ", "BLOCKED by the proxy (CONNECT answered", "reachable (HTTP ", "WinHttpGetDefaultProxyConfiguration", "not probed: "} {
		if !strings.Contains(s, want) {
			t.Errorf("the script lacks %q", want)
		}
	}
}

// TestProbePaths: the probes request the paths Microsoft's analyzers and
// `mdatp connectivity test` request, not "/".
func TestProbePaths(t *testing.T) {
	lb := testfleet.Profile(t, "legacy-branch")
	s := string(PowerShell(lb, endpoints.Default().For(lb)))
	if !strings.Contains(s, "'https://winatp-gw-neu.microsoft.com/test'") || strings.Contains(s, "'https://winatp-gw-neu.microsoft.com/'") {
		t.Errorf("winatp-gw is not probed at /test")
	}
	src := "package fleet\n" + `profiles: lab: {platforms: ["linux", "macos"], region: "EU", connectivity: "standard", linux: proxy: "http://127.0.0.1:3128", macos: proxy: "http://127.0.0.1:3128"}`
	p := testfleet.Source(t, src)[0]
	es := endpoints.Default().For(p)
	for _, pl := range []model.Platform{model.Linux, model.MacOS} {
		sh := string(Shell(pl, "http://127.0.0.1:3128", endpoints.OnPlatform(es, pl)))
		for _, want := range []string{"https://x.cp.wd.microsoft.com/api/report\n", "https://cdn.x.cp.wd.microsoft.com/ping\n",
			"https://eu-v20.events.data.microsoft.com/ping\n", "https://winatp-gw-weu.microsoft.com/test\n", "https://v20.events.data.microsoft.com/ping\n"} {
			if !strings.Contains(sh, want) {
				t.Errorf("%s: no probe %s", pl, strings.TrimSpace(want))
			}
		}
	}
}

// TestEveryGroupProbedOrNamed: for every profile and platform, each
// destination group is probed through at least one host or named as not
// probed; the US core streamlined host is probed, and where no page names
// the region's (EU), the check says so.
func TestEveryGroupProbedOrNamed(t *testing.T) {
	for _, region := range []string{"US", "EU", "UK", "AU"} {
		for _, conn := range []string{"streamlined", "standard"} {
			src := fmt.Sprintf("package fleet\n"+`profiles: lab: {platforms: ["windows", "linux", "macos"], proxy: "proxy.example:8080", region: %q, connectivity: %q}`, region, conn)
			p := testfleet.Source(t, src)[0]
			es := endpoints.Default().For(p)
			for _, pl := range []model.Platform{model.Windows, model.Linux, model.MacOS} {
				on := endpoints.OnPlatform(es, pl)
				np := strings.Join(endpoints.NotProbed(on), "\n")
				for _, g := range endpoints.Groups(on) {
					if len(g.Probes) == 0 && !strings.Contains(np, g.Service+": ") {
						t.Errorf("%s %s %s: group %q neither probed nor named", region, conn, pl, g.Service)
					}
				}
				core := strings.Contains(np, "Core Defender for Endpoint services (streamlined domain)")
				if conn == "streamlined" && core != (region != "US") {
					t.Errorf("%s %s %s: core streamlined host named as not probed: %v", region, conn, pl, core)
				}
			}
		}
	}
}

// TestShellcheck: every check-connectivity.sh passes shellcheck as POSIX sh.
func TestShellcheck(t *testing.T) {
	for _, p := range testfleet.Profiles(t) {
		fs, err := Emitter{}.Emit(emitters.NewProfile(p))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if strings.HasSuffix(f.Path, ".sh") {
				if err := validators.Shellcheck(t, "sh", f.Data); err != nil {
					t.Errorf("%s/%s: %v", p.Name, f.Path, err)
				}
			}
		}
	}
}

// TestShellAgainstSquid: check-connectivity.sh of a Linux profile whose proxy
// is a real Squid on loopback, configured with the profile's snippet and one
// destination denied ahead of it, reports that one as blocked by the proxy
// (403) and every other as reachable, and exits 1. The destinations resolve
// to stand-ins on 127.0.0.1 (Squid's hosts file; DNS 127.0.0.1): nothing
// leaves the machine.
func TestShellAgainstSquid(t *testing.T) {
	validators.Tool(t, "curl")
	// The profile is compiled first with a placeholder proxy to learn its
	// destinations, then again with the running Squid's address.
	src := "package fleet\n" + `profiles: lab: {platforms: ["linux"], region: "US", linux: proxy: "http://127.0.0.1:%s"}`
	p := testfleet.Source(t, fmt.Sprintf(src, "3128"))[0]
	es := endpoints.Default().For(p)
	var names []string
	for _, e := range endpoints.Probes(es) {
		names = append(names, e.Host)
	}
	if len(names) < 3 {
		t.Fatalf("only %d probes: %v", len(names), names)
	}
	blocked, refusing := "packages.microsoft.com", "go.microsoft.com"
	if !slices.Contains(names, blocked) || !slices.Contains(names, refusing) {
		t.Fatalf("%s or %s is not probed: %v", blocked, refusing, names)
	}
	// The destination itself answers 503 for one host: reachable all the same.
	ca := validators.LoopbackOriginsStatus(t, names, map[string]int{refusing: 503})
	conf := "acl testblock dstdomain " + blocked + "\nhttp_access deny testblock\n" + squidFor(t, p)
	sq := validators.StartSquid(t, conf, names)
	port := sq.Addr[strings.LastIndexByte(sq.Addr, ':')+1:]
	p = testfleet.Source(t, fmt.Sprintf(src, port))[0]
	script := Shell(model.Linux, p.Linux.Proxy, endpoints.OnPlatform(endpoints.Default().For(p), model.Linux))
	path := filepath.Join(t.TempDir(), "check-connectivity.sh")
	if err := os.WriteFile(path, script, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", path, "--curl")
	cmd.Env = append(os.Environ(), "CURL_CA_BUNDLE="+ca, "no_proxy=", "NO_PROXY=")
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Errorf("exit: %v, want 1\n%s", err, out)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if i := strings.LastIndex(l, "  "); i > 0 {
			lines[l[i+2:]] = l[:i]
		}
	}
	for _, e := range endpoints.Probes(es) {
		got := lines[e.URL()]
		switch {
		case e.Host == blocked:
			if got != "BLOCKED by the proxy (CONNECT answered 403)" {
				t.Errorf("%s: %q, want blocked by the proxy (CONNECT answered 403)", e.URL(), got)
			}
		case e.Host == refusing:
			if got != "reachable (HTTP 503)" {
				t.Errorf("%s: %q, want reachable (HTTP 503): the destination answered", e.URL(), got)
			}
		case !strings.HasPrefix(got, "reachable"):
			t.Errorf("%s: %q, want reachable\n%s", e.URL(), got, out)
		}
	}
}

// squidFor is the Squid snippet of the proxy a profile's devices use, with
// the devices' networks filled in as loopback.
func squidFor(t *testing.T, p *model.Profile) string {
	t.Helper()
	xs, err := endpoints.FleetProxies([]*model.Profile{p})
	if err != nil || len(xs) == 0 {
		t.Fatalf("no proxy for %s: %v", p.Name, err)
	}
	return strings.ReplaceAll(string(proxyside.Squid(proxyside.Resolve(xs[0]))), proxyside.DevicesPlaceholder, "127.0.0.1")
}

// TestMacSystemProxy: on a Mac without a static proxy in the profile the
// check uses the system proxy `scutil --proxy` reports; with a PAC file it
// says it tests the direct route and does not blame the proxy. scutil is a
// stand-in printing what macOS prints.
func TestMacSystemProxy(t *testing.T) {
	validators.Tool(t, "curl")
	src := "package fleet\n" + `profiles: mac: {platforms: ["macos"], region: "US", mode: "auto"}`
	p := testfleet.Source(t, src)[0]
	es := endpoints.OnPlatform(endpoints.Default().For(p), model.MacOS)
	var names []string
	for _, e := range endpoints.Probes(es) {
		names = append(names, e.Host)
	}
	ca := validators.LoopbackOrigins(t, names)
	sq := validators.StartSquid(t, squidForAll(t, es), names)
	host, port, _ := strings.Cut(sq.Addr, ":")
	script := filepath.Join(t.TempDir(), "check-connectivity.sh")
	if err := os.WriteFile(script, Shell(model.MacOS, "", es), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(dict string) (string, int) {
		bin := t.TempDir()
		fake := "#!/bin/sh\ncat <<'EOF'\n<dictionary> {\n" + dict + "}\nEOF\n"
		if err := os.WriteFile(filepath.Join(bin, "scutil"), []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", script, "--curl")
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "CURL_CA_BUNDLE="+ca, "no_proxy=", "NO_PROXY=")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return string(out), code
	}
	out, code := run("  HTTPSEnable : 1\n  HTTPSPort : " + port + "\n  HTTPSProxy : " + host + "\n")
	if code != 0 || !strings.Contains(out, "Checking through the system proxy http://"+sq.Addr+" (scutil --proxy, HTTPS)") {
		t.Errorf("system proxy: exit %d\n%s", code, out)
	}
	if !strings.Contains(strings.Join(sq.AccessLog(t, "TCP_TUNNEL/200"), "\n"), "TCP_TUNNEL/200") {
		t.Errorf("the check did not go through the system proxy")
	}
	out, _ = run("  ProxyAutoConfigEnable : 1\n  ProxyAutoConfigURLString : http://pac.example/proxy.pac\n")
	if !strings.Contains(out, "the direct route: the system proxy comes from a PAC file or WPAD (http://pac.example/proxy.pac)") ||
		strings.Contains(out, "the proxy must allow them") {
		t.Errorf("PAC: the check does not say it tested the direct route, or blames the proxy:\n%s", out)
	}
}

// squidForAll is a Squid snippet letting loopback reach every entry.
func squidForAll(t *testing.T, es []endpoints.Entry) string {
	t.Helper()
	var b strings.Builder
	for _, d := range endpoints.Domains(es) {
		b.WriteString("acl all_mde dstdomain " + strings.TrimPrefix(d, "*") + "\n")
	}
	b.WriteString("http_access allow all_mde\n")
	return b.String()
}

// TestWinHttpAPIAsCommon: Test-MdeConnectivity.ps1 reads the machine's WinHTTP
// proxy with the same WinHTTP API declarations as psscripts/Common.ps1 (and
// the detection script, which psscripts' TestSharedFunctionsAgree holds to
// Common.ps1), so a fix to one copy cannot miss this one.
func TestWinHttpAPIAsCommon(t *testing.T) {
	common, err := os.ReadFile(filepath.Join("..", "..", "psscripts", "Common.ps1"))
	if err != nil {
		t.Fatal(err)
	}
	decl := func(name, src string) string {
		_, rest, ok := strings.Cut(src, "-MemberDefinition @'\n")
		body, _, closed := strings.Cut(rest, "\n'@")
		if !ok || !closed {
			t.Fatalf("%s: no Add-Type -MemberDefinition here-string", name)
		}
		return body
	}
	if got, want := decl("Test-MdeConnectivity.ps1", psTemplate), decl("Common.ps1", string(common)); got != want {
		t.Errorf("the WinHTTP API declarations differ from Common.ps1's:\n%s\nwant:\n%s", got, want)
	}
}

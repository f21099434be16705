package proxyside

import (
	"encoding/csv"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/endpoints"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
)

func fleetFiles(t *testing.T, ps []*model.Profile) map[string][]byte {
	t.Helper()
	ff, err := Emitter{}.EmitFleet(ps)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range ff.Files() {
		out[f.Path] = f.Data
	}
	return out
}

// concrete is a host name a catalogue destination stands for: the name
// itself, or a name below a wildcard's domain.
func concrete(h string) string {
	if strings.HasPrefix(h, "*.") {
		return "probe" + h[1:]
	}
	return h
}

// planned returns the fleet's proxy with the given folder, its
// destinations worked out.
func planned(t *testing.T, dir string) Proxy {
	t.Helper()
	xs, err := endpoints.FleetProxies(testfleet.Profiles(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range xs {
		if x.Dir == dir {
			return Resolve(x)
		}
	}
	t.Fatalf("no proxy folder %s", dir)
	return Proxy{}
}

// TestProxyFolders: one folder per proxy the fleet uses and per site without
// an explicit proxy, the index, and one PAC file per PAC profile; a Log
// Analytics gateway gets its cmdlet lines and no Squid snippet.
func TestProxyFolders(t *testing.T) {
	ps := testfleet.Profiles(t)
	files := fleetFiles(t, ps)
	for _, want := range []string{
		"proxy/README.md",
		"proxy/proxy.contoso.com_8080/allowlist.txt", "proxy/proxy.contoso.com_8080/squid.conf", "proxy/proxy.contoso.com_8080/squid-sslbump.conf",
		"proxy/proxy.contoso.com_8080/README.md", "proxy/proxy.contoso.com_8080/allowlist.csv", "proxy/proxy.contoso.com_8080/paloalto-edl.txt",
		"proxy/proxy.contoso.com_8080/allowlist-leading-dot.txt", "proxy/proxy.contoso.com_8080/allowlist-hosts.txt",
		"proxy/2001-db8--1_8080/squid.conf", "proxy/la-gateway.contoso.com_8080/allowlist.txt",
		"proxy/la-gateway.contoso.com_8080/Add-OMSGatewayAllowedHost.txt",
		"proxy/no-explicit-proxy/wpad-campus/allowlist.txt", "proxy/no-explicit-proxy/wpad-campus/README.md",
		"proxy/tokyo-lab.pac", "proxy/legacy-branch.pac",
	} {
		if files[want] == nil {
			t.Errorf("no %s", want)
		}
	}
	for _, gone := range []string{"proxy/la-gateway.contoso.com_8080/squid.conf", "proxy/la-gateway.contoso.com_8080/squid-sslbump.conf",
		"proxy/proxy.contoso.com_8080/Add-OMSGatewayAllowedHost.txt"} {
		if files[gone] != nil {
			t.Errorf("%s written", gone)
		}
	}
	readme := string(files["proxy/proxy.contoso.com_8080/README.md"])
	for _, want := range []string{"| hq | EDR sensor; Defender Antivirus; Defender on Linux; Defender on macOS | streamlined | US |", "Not inspect", "Not authenticate",
		"learn.microsoft.com", "before** your", "squid-openssl", DevicesPlaceholder, "Allow first", "Remove last", "paloalto-edl.txt"} {
		if !strings.Contains(readme, want) {
			t.Errorf("proxy README lacks %q", want)
		}
	}
	index := string(files["proxy/README.md"])
	for _, want := range []string{"`la-gateway.contoso.com:8080`", "Log Analytics gateway", "wpad-campus", "no-explicit-proxy/wpad-campus/README.md",
		"[tokyo-lab.pac](tokyo-lab.pac)", "Allow first", "before any device", "Remove last"} {
		if !strings.Contains(index, want) {
			t.Errorf("proxy/README.md lacks %q", want)
		}
	}
	again := fleetFiles(t, ps)
	for p, d := range files {
		if string(again[p]) != string(d) {
			t.Errorf("%s differs between two runs", p)
		}
	}
}

// TestPerProxyLists: each proxy lists exactly the catalogue destinations of
// the components that use it — the sensor's proxy no Antivirus-only or Log
// Analytics host, the Antivirus proxy no sensor-only host, the gateway only
// the Log Analytics agent's.
func TestPerProxyLists(t *testing.T) {
	cat := endpoints.Default()
	lb := testfleet.Profile(t, "legacy-branch")
	all := cat.For(lb)
	for dir, comps := range map[string][]string{
		"proxy/edr-proxy.contoso.com_8080":  {endpoints.ComponentEDR, endpoints.ComponentWinHTTP},
		"proxy/av-proxy.contoso.com_8443":   {endpoints.ComponentAntivirus},
		"proxy/la-gateway.contoso.com_8080": {endpoints.ComponentMMA},
	} {
		x := planned(t, dir)
		if got := x.Components(); !slices.Equal(got, comps) {
			t.Errorf("%s: used by %v, want %v", dir, got, comps)
		}
		var want, got []string
		for _, e := range all {
			if e.UsedBy(comps) {
				want = append(want, e.Host)
			}
		}
		for _, e := range x.Entries {
			got = append(got, e.Host)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s lists\n%v\nwant\n%v", dir, got, want)
		}
	}
	has := func(dir, host string) bool {
		return slices.ContainsFunc(planned(t, dir).Entries, func(e endpoints.Entry) bool { return e.Host == host })
	}
	for _, c := range []struct {
		dir, host string
		want      bool
	}{
		{"proxy/edr-proxy.contoso.com_8080", "*.blob.core.windows.net", false},
		{"proxy/edr-proxy.contoso.com_8080", "*.ods.opinsights.azure.com", false},
		{"proxy/edr-proxy.contoso.com_8080", "*.wdcp.microsoft.com", false},
		{"proxy/edr-proxy.contoso.com_8080", "winatp-gw-weu.microsoft.com", true},
		{"proxy/edr-proxy.contoso.com_8080", "automatedirstrprdweu.blob.core.windows.net", true},
		{"proxy/av-proxy.contoso.com_8443", "*.wdcp.microsoft.com", true},
		{"proxy/av-proxy.contoso.com_8443", "automatedirstrprdweu.blob.core.windows.net", false},
		{"proxy/av-proxy.contoso.com_8443", "winatp-gw-weu.microsoft.com", false},
		{"proxy/la-gateway.contoso.com_8080", "*.ods.opinsights.azure.com", true},
		{"proxy/la-gateway.contoso.com_8080", "winatp-gw-weu.microsoft.com", true},
		{"proxy/la-gateway.contoso.com_8080", "go.microsoft.com", false},
		{"proxy/10.20.0.6_3128", "*.update.microsoft.com", true},
		{"proxy/10.20.0.6_3128", "*.endpoint.security.microsoft.com", false},
		{"proxy/10.20.0.5_3128", "*.update.microsoft.com", false},
		{"proxy/10.20.0.5_3128", "packages.microsoft.com", true},
		{"proxy/secure-proxy.contoso.com_8443", "packages.microsoft.com", false},
	} {
		if got := has(c.dir, c.host); got != c.want {
			t.Errorf("%s lists %s: %v, want %v", c.dir, c.host, got, c.want)
		}
	}
}

// TestOMSGatewayLines: the gateway script adds each host with the cmdlet's
// documented -Host parameter, names the wildcards it cannot add, and parses
// as PowerShell.
func TestOMSGatewayLines(t *testing.T) {
	x := planned(t, "proxy/la-gateway.contoso.com_8080")
	s := string(OMSGateway(x))
	for _, want := range []string{"Import-Module OMSGateway\n", "Add-OMSGatewayAllowedHost -Host 'winatp-gw-weu.microsoft.com'\n",
		"# Not added: *.ods.opinsights.azure.com", "Restart-Service OMSGatewayService\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("gateway script lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "-Host '*.") {
		t.Errorf("gateway script adds a wildcard:\n%s", s)
	}
	if errs := validators.ParsePowerShell(t, []byte(s))[0].SyntaxErrors(); errs != "" {
		t.Errorf("PowerShell syntax errors:\n%s", errs)
	}
}

// TestVendorForms: each form follows its vendor's documented syntax for the
// same destinations (docs/proxy-side.md).
func TestVendorForms(t *testing.T) {
	x := planned(t, "proxy/proxy.contoso.com_8080")
	files := map[string]string{}
	for _, f := range proxyFiles(x) {
		files[f.Path[len(x.Dir)+1:]] = string(f.Data)
	}
	domains := endpoints.Domains(x.Entries)
	dot := strings.Split(strings.TrimSpace(files["allowlist-leading-dot.txt"]), "\n")
	edl := strings.Split(strings.TrimSpace(files["paloalto-edl.txt"]), "\n")
	if len(dot) != len(domains) || len(edl) != len(domains) {
		t.Fatalf("%d domains, %d leading-dot lines, %d EDL lines", len(domains), len(dot), len(edl))
	}
	for i, d := range domains {
		if strings.HasPrefix(d, "*.") {
			if dot[i] != d[1:] || edl[i] != d+"/" {
				t.Errorf("%s: leading-dot %q, EDL %q", d, dot[i], edl[i])
			}
		} else if dot[i] != d || edl[i] != d+"/" {
			t.Errorf("%s: leading-dot %q, EDL %q", d, dot[i], edl[i])
		}
	}
	for _, h := range strings.Split(strings.TrimSpace(files["allowlist-hosts.txt"]), "\n") {
		if strings.Contains(h, "*") || strings.HasPrefix(h, ".") {
			t.Errorf("exact-host list has %q", h)
		}
	}
	for _, w := range Wildcards(x.Entries) {
		if !strings.Contains(files["README.md"], "- `"+w+"`") {
			t.Errorf("README does not name the wildcard %s an exact-host product misses", w)
		}
	}
	rows, err := csv.NewReader(strings.NewReader(files["allowlist.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], []string{"host", "ports", "components", "source", "source_url"}) {
		t.Fatalf("CSV header %v", rows[0])
	}
	cat := endpoints.Default()
	var www []string
	for _, r := range rows[1:] {
		if _, ok := cat.Sources[r[3]]; !ok || !strings.HasPrefix(r[4], "https://learn.microsoft.com/") || r[2] == "" {
			t.Errorf("CSV row %v", r)
		}
		if r[0] == "www.microsoft.com" {
			www = r
		}
	}
	if len(www) == 0 || www[1] != "80 443" {
		t.Errorf("www.microsoft.com row %v: want ports \"80 443\"", www)
	}
}

// withDevices fills the snippet's placeholder as the admin does.
func withDevices(snippet []byte, networks string) string {
	return strings.ReplaceAll(string(snippet), DevicesPlaceholder, networks)
}

// squidConf is a minimal squid.conf around a snippet, as a site would include it.
func squidConf(snippet string) string {
	return "http_port 127.0.0.1:3128\n" + snippet + "http_access deny all\n"
}

// TestSquidParses: every squid.conf of the example fleet, filled in and in a
// minimal squid.conf, passes `squid -k parse` of Debian's default (GnuTLS)
// build with no error or warning; every squid-sslbump.conf after it passes
// the OpenSSL build's.
func TestSquidParses(t *testing.T) {
	files := fleetFiles(t, testfleet.Profiles(t))
	n := 0
	for path, data := range files {
		if strings.HasSuffix(path, "/squid.conf") {
			n++
			conf := squidConf(withDevices(data, "192.0.2.0/24 2001:db8:1::/48"))
			if err := validators.SquidParse(t, conf); err != nil {
				t.Errorf("%s (default build): %v", path, err)
			}
		}
	}
	if n < 5 {
		t.Fatalf("only %d snippets", n)
	}
}

// TestSquidSSLBumpParses: the SslBump part parses with an OpenSSL build and
// only there: Debian's default build rejects it, which is why it has a file
// of its own.
func TestSquidSSLBumpParses(t *testing.T) {
	files := fleetFiles(t, testfleet.Profiles(t))
	n := 0
	for path, data := range files {
		if !strings.HasSuffix(path, "/squid-sslbump.conf") {
			continue
		}
		n++
		base := withDevices(files[strings.TrimSuffix(path, "squid-sslbump.conf")+"squid.conf"], "192.0.2.0/24")
		if err := validators.SquidParseSSLBump(t, squidConf(base+string(data))); err != nil {
			t.Errorf("%s (OpenSSL build): %v", path, err)
		}
	}
	if n < 5 {
		t.Fatalf("only %d SslBump snippets", n)
	}
	data := files["proxy/proxy.contoso.com_8080/squid-sslbump.conf"]
	if err := validators.SquidParse(t, squidConf(string(data))); err == nil || !strings.Contains(err.Error(), "ssl::server_name") {
		t.Errorf("the default build accepted the SslBump snippet (%v): then it need not be separate", err)
	}
}

// TestSquidPlaceholderParses: a snippet included without naming the devices'
// networks still parses in Debian's default build, so a reload does not stop
// the site's proxy; TestSquidInRealisticSite shows that it then lets nobody
// through.
func TestSquidPlaceholderParses(t *testing.T) {
	data := fleetFiles(t, testfleet.Profiles(t))["proxy/proxy.contoso.com_8080/squid.conf"]
	if !strings.Contains(string(data), "acl mde_devices src "+DevicesPlaceholder+"\n") {
		t.Fatalf("no placeholder in:\n%s", data)
	}
	if err := validators.SquidParse(t, squidConf(string(data))); err != nil {
		t.Errorf("squid -k parse of the unfilled snippet: %v", err)
	}
}

// curlThrough requests url through the proxy from a source address, without
// or with proxy credentials, and returns curl's "%{http_connect}
// %{http_code}" and its exit code.
func curlThrough(t *testing.T, sq *validators.Squid, from, method, url, creds string) (string, int) {
	t.Helper()
	curl := validators.Tool(t, "curl")
	args := []string{"-sk", "-o", "/dev/null", "-w", "%{http_connect} %{http_code}", "-x", "http://" + sq.Addr, "--interface", from, "--max-time", "10", "-X", method}
	if creds != "" {
		args = append(args, "--proxy-user", creds)
	}
	if strings.HasPrefix(url, "http://") {
		// A plain-HTTP request through a proxy; no tunnel.
		args = append(args, "--proxy-basic")
	}
	out, err := exec.Command(curl, append(args, url)...).Output()
	exit := 0
	if ee, ok := err.(*exec.ExitError); ok {
		exit = ee.ExitCode()
	}
	return string(out), exit
}

// TestSquidAllowsDefenderOnly: a real Squid on loopback with the snippet lets
// the devices CONNECT to a Defender destination on 443 and GET a port-80
// one, and denies with 403 a name not in the list, a CONNECT to port 80 and
// a plain request to an HTTPS-only destination. Names resolve to 127.0.0.1
// through Squid's hosts file and its only DNS server is 127.0.0.1.
func TestSquidAllowsDefenderOnly(t *testing.T) {
	x := planned(t, "proxy/proxy.contoso.com_8080")
	allowed, wild, crl, denied := "mdav.us.endpoint.security.microsoft.com", "go.microsoft.com", "crl.microsoft.com", "not-defender.example.org"
	names := []string{allowed, wild, crl, denied, "www.microsoft.com"}
	validators.LoopbackOrigins(t, names)
	sq := validators.StartSquid(t, withDevices(Squid(x), "127.0.0.1"), names)
	for _, c := range []struct {
		method, url, want string
		ok                bool
	}{
		{"GET", "https://" + allowed + "/", "200 200", true},
		{"GET", "https://" + wild + "/", "200 200", true},
		{"GET", "http://" + crl + "/pki/crl/", "000 200", true},
		{"GET", "http://www.microsoft.com/pkiops/", "000 200", true},
		{"GET", "https://" + denied + "/", "403 ", false},
		{"POST", "http://" + crl + "/", "000 403", true},
		{"GET", "https://" + crl + ":80/", "403 ", false},
		{"GET", "https://" + wild + ":80/", "403 ", false},
		{"GET", "http://" + allowed + "/", "000 403", true},
	} {
		out, exit := curlThrough(t, sq, "127.0.0.1", c.method, c.url, "")
		if !strings.HasPrefix(out, c.want) || (exit == 0) != c.ok {
			t.Errorf("%s %s: %q, curl exit %d; want %q", c.method, c.url, out, exit, c.want)
		}
	}
	log := strings.Join(sq.AccessLog(t, "TCP_TUNNEL/200 ", "TCP_DENIED/403 "), "\n")
	for _, want := range []string{"TCP_TUNNEL/200 ", "TCP_DENIED/403 "} {
		if !strings.Contains(log, want) {
			t.Errorf("access log lacks %s:\n%s", want, log)
		}
	}
}

// TestSquidInRealisticSite: the snippet in a site's squid.conf (Debian's
// safety rules, Basic authentication, localnet, deny all) on loopback. A
// device address (127.0.0.2) reaches Defender without credentials; another
// address of the site (127.0.0.3) is asked for them (407); a destination not
// in the list still needs them, from the device too, and gets through with
// them. With the placeholder left as it is, the snippet lets nobody through
// without credentials: the site's rules apply as before.
func TestSquidInRealisticSite(t *testing.T) {
	for _, filled := range []bool{true, false} {
		t.Run(map[bool]string{true: "filled", false: "placeholder"}[filled], func(t *testing.T) { squidInRealisticSite(t, filled) })
	}
}

func squidInRealisticSite(t *testing.T, filled bool) {
	helper := "/usr/lib/squid/basic_fake_auth"
	if _, err := exec.LookPath(helper); err != nil {
		validators.Missing(t, helper+" is not installed (Debian's squid-openssl or squid ships it)")
	}
	x := planned(t, "proxy/proxy.contoso.com_8080")
	allowed, denied := "mdav.us.endpoint.security.microsoft.com", "not-defender.example.org"
	names := []string{allowed, denied}
	validators.LoopbackOrigins(t, names)
	site := "auth_param basic program " + helper + "\n" +
		"auth_param basic realm test\n" +
		"acl localnet src 127.0.0.0/8\n" +
		"acl SSL_ports port 443\n" +
		"acl Safe_ports port 80 443\n" +
		"acl CONNECT method CONNECT\n" +
		"acl authenticated proxy_auth REQUIRED\n" +
		"http_access deny !Safe_ports\n" +
		"http_access deny CONNECT !SSL_ports\n" +
		map[bool]string{true: withDevices(Squid(x), "127.0.0.2"), false: string(Squid(x))}[filled] +
		"http_access allow localnet authenticated\n" +
		"http_access deny all\n"
	sq := validators.StartSquid(t, site, names)
	for _, c := range []struct {
		from, url, creds, want string
	}{
		{"127.0.0.2", "https://" + allowed + "/", "", "200 200"},
		{"127.0.0.3", "https://" + allowed + "/", "", "407 "},
		{"127.0.0.2", "https://" + denied + "/", "", "407 "},
		{"127.0.0.2", "https://" + denied + "/", "user:secret", "200 200"},
	} {
		if !filled && c.from == "127.0.0.2" && c.url == "https://"+allowed+"/" {
			c.want = "407 "
		}
		if out, _ := curlThrough(t, sq, c.from, "GET", c.url, c.creds); !strings.HasPrefix(out, c.want) {
			t.Errorf("from %s to %s (credentials %q): %q, want %q", c.from, c.url, c.creds, out, c.want)
		}
	}
}

// TestPACInRealEngine: each PAC file, evaluated by pacparser, sends every
// catalogue destination of its profile to the profile's proxy and every
// bypass entry that is not a Defender destination DIRECT.
func TestPACInRealEngine(t *testing.T) {
	checked := 0
	files := fleetFiles(t, testfleet.Profiles(t))
	for _, p := range testfleet.Profiles(t) {
		proxy, ok := endpoints.PACProxy(p)
		if !ok {
			continue
		}
		checked++
		es := endpoints.Default().For(p)
		pac := files["proxy/"+p.Name+".pac"]
		var hosts, want []string
		for _, e := range es {
			hosts = append(hosts, concrete(e.Host))
			want = append(want, "PROXY "+proxy)
		}
		for _, b := range p.Antivirus.Bypass {
			h := b
			switch {
			case b == "<local>":
				h = "intranethost"
			case strings.Contains(b, "*"):
				h = strings.ReplaceAll(b, "*", "x1")
			}
			if slices.ContainsFunc(es, func(e endpoints.Entry) bool { return e.Matches(h) }) {
				continue
			}
			hosts = append(hosts, h)
			want = append(want, "DIRECT")
		}
		got := validators.PACFindProxy(t, pac, hosts)
		for i := range hosts {
			if got[i] != want[i] {
				t.Errorf("%s: FindProxyForURL(%s) = %q, want %q", p.Name, hosts[i], got[i], want[i])
			}
		}
	}
	if checked < 2 {
		t.Fatalf("only %d PAC profiles", checked)
	}
	for path := range files {
		if strings.HasSuffix(path, ".pac") && !slices.ContainsFunc(testfleet.Profiles(t), func(p *model.Profile) bool { return path == "proxy/"+p.Name+".pac" }) {
			t.Errorf("unexpected PAC file %s", path)
		}
	}
}

// TestEmitterIsFleetOnly: as a per-profile emitter it writes nothing; the
// bundle runs it once for the fleet.
func TestEmitterIsFleetOnly(t *testing.T) {
	var _ emitters.FleetEmitter = Emitter{}
	fs, err := Emitter{}.Emit(emitters.NewProfile(testfleet.Profile(t, "hq")))
	if err != nil || len(fs) != 0 {
		t.Fatalf("Emit = %v, %v", fs, err)
	}
}

package proxyside

import (
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
	fs, err := Emitter{}.EmitFleet(ps)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range fs {
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

// TestProxyFolders: one folder per proxy the fleet uses, each listing the
// destinations of every profile behind it, and one PAC file per PAC profile.
func TestProxyFolders(t *testing.T) {
	ps := testfleet.Profiles(t)
	files := fleetFiles(t, ps)
	for _, want := range []string{
		"proxy/proxy.contoso.com_8080/allowlist.txt", "proxy/proxy.contoso.com_8080/squid.conf", "proxy/proxy.contoso.com_8080/README.md",
		"proxy/2001-db8--1_8080/squid.conf", "proxy/la-gateway.contoso.com_8080/allowlist.txt",
		"proxy/tokyo-lab.pac", "proxy/legacy-branch.pac",
	} {
		if files[want] == nil {
			t.Errorf("no %s", want)
		}
	}
	for path := range files {
		if strings.Contains(path, "wpad") {
			t.Errorf("mode auto profile has proxy-side files: %s", path)
		}
	}
	// The MMA gateway's allowlist carries the workspace destinations of the
	// MMA profile behind it.
	la := string(files["proxy/la-gateway.contoso.com_8080/allowlist.txt"])
	if !strings.Contains(la, "*.ods.opinsights.azure.com\n") || !strings.Contains(la, "winatp-gw-neu.microsoft.com\n") {
		t.Errorf("la-gateway allowlist:\n%s", la)
	}
	readme := string(files["proxy/proxy.contoso.com_8080/README.md"])
	for _, want := range []string{"| hq | streamlined | US |", "Not inspect", "Not authenticate", "learn.microsoft.com"} {
		if !strings.Contains(readme, want) {
			t.Errorf("proxy README lacks %q", want)
		}
	}
	again := fleetFiles(t, ps)
	for p, d := range files {
		if string(again[p]) != string(d) {
			t.Errorf("%s differs between two runs", p)
		}
	}
}

// squidConf is a minimal squid.conf around a snippet, as a site would include it.
func squidConf(snippet []byte) string {
	return "http_port 127.0.0.1:3128\n" + string(snippet) + "http_access deny all\n"
}

// TestSquidParses: every snippet of the example fleet, in a minimal
// squid.conf, passes `squid -k parse` with no error or warning.
func TestSquidParses(t *testing.T) {
	files := fleetFiles(t, testfleet.Profiles(t))
	n := 0
	for path, data := range files {
		if strings.HasSuffix(path, "/squid.conf") {
			n++
			if err := validators.SquidParse(t, squidConf(data)); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
	}
	if n < 5 {
		t.Fatalf("only %d snippets", n)
	}
}

// TestSquidAllowsDefenderOnly: a real Squid on loopback with the snippet lets
// a CONNECT to a Defender destination through and denies one to a name not
// in the list with 403. The names resolve to 127.0.0.1 through Squid's hosts
// file and its only DNS server is 127.0.0.1: nothing leaves the machine.
func TestSquidAllowsDefenderOnly(t *testing.T) {
	curl := validators.Tool(t, "curl")
	p := testfleet.Profile(t, "hq")
	es := endpoints.Default().For(p)
	snippet := Squid("proxy.contoso.com:8080", []*model.Profile{p}, endpoints.Domains(es))
	allowed, wild, denied := "mdav.us.endpoint.security.microsoft.com", "go.microsoft.com", "not-defender.example.org"
	validators.LoopbackOrigins(t, []string{allowed, wild, denied})
	sq := validators.StartSquid(t, string(snippet), []string{allowed, wild, denied})
	connect := func(host string) (code string, exit int) {
		cmd := exec.Command(curl, "-sk", "-o", "/dev/null", "-w", "%{http_connect} %{http_code}", "-x", "http://"+sq.Addr, "--max-time", "10", "https://"+host+"/")
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok {
			exit = ee.ExitCode()
		}
		return string(out), exit
	}
	if out, exit := connect(allowed); out != "200 200" || exit != 0 {
		t.Errorf("CONNECT %s: %q, curl exit %d; want the tunnel (200) and the stand-in's 200", allowed, out, exit)
	}
	if out, exit := connect(wild); out != "200 200" || exit != 0 {
		t.Errorf("CONNECT %s: %q, curl exit %d", wild, out, exit)
	}
	if out, exit := connect(denied); !strings.HasPrefix(out, "403 ") || exit == 0 {
		t.Errorf("CONNECT %s: %q, curl exit %d; want 403 from the proxy", denied, out, exit)
	}
	log := strings.Join(sq.AccessLog(t, "TCP_TUNNEL/200 ", "TCP_DENIED/403 "), "\n")
	for _, want := range []string{"TCP_TUNNEL/200 ", "TCP_DENIED/403 "} {
		if !strings.Contains(log, want) {
			t.Errorf("access log lacks %s:\n%s", want, log)
		}
	}
	for _, line := range sq.AccessLog(t) {
		if strings.Contains(line, denied) != strings.Contains(line, "TCP_DENIED/403") {
			t.Errorf("access log line: %s", line)
		}
	}
}

// TestPACInRealEngine: each PAC file, evaluated by pacparser, sends every
// catalogue destination of its profile to the profile's proxy and every
// bypass entry that is not a Defender destination DIRECT.
func TestPACInRealEngine(t *testing.T) {
	checked := 0
	for _, p := range testfleet.Profiles(t) {
		proxy, ok := PACProxy(p)
		if !ok {
			continue
		}
		checked++
		es := endpoints.Default().For(p)
		pac := PAC(p, proxy, es)
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

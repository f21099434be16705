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
// parses with no ERROR or MISSING node, and the destinations and proxy read
// from the parse tree equal the catalogue's probes and the sensor's proxy.
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
		pv, ok := f.Assigned("$Proxy")
		proxy, err := pv.String()
		if !ok || err != nil || proxy != p.EDR.Proxy {
			t.Errorf("%s: $Proxy = %q (%v), want %q", p.Name, proxy, err, p.EDR.Proxy)
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
			got = append(got, u)
		}
		var want []string
		for _, e := range endpoints.Probes(endpoints.OnPlatform(endpoints.Default().For(p), model.Windows)) {
			want = append(want, e.URL())
		}
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s: destinations in the parse tree:\n%v\nwant the catalogue's:\n%v", p.Name, got, want)
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
	blocked := "packages.microsoft.com"
	if !slices.Contains(names, blocked) {
		t.Fatalf("%s is not probed: %v", blocked, names)
	}
	ca := validators.LoopbackOrigins(t, names)
	conf := "acl testblock dstdomain " + blocked + "\nhttp_access deny testblock\n" +
		string(proxyside.Squid("test", []*model.Profile{p}, endpoints.Domains(es)))
	sq := validators.StartSquid(t, conf, names)
	port := sq.Addr[strings.LastIndexByte(sq.Addr, ':')+1:]
	p = testfleet.Source(t, fmt.Sprintf(src, port))[0]
	script := Shell(p.Linux.Proxy, endpoints.OnPlatform(endpoints.Default().For(p), model.Linux))
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
			if got != "BLOCKED by the proxy (HTTP 403)" {
				t.Errorf("%s: %q, want blocked by the proxy (HTTP 403)", e.URL(), got)
			}
		case !strings.HasPrefix(got, "reachable"):
			t.Errorf("%s: %q, want reachable\n%s", e.URL(), got, out)
		}
	}
}

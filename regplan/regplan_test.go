package regplan

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// text renders a plan one operation a line, for readable comparisons.
func text(p Plan) string {
	var b strings.Builder
	for _, o := range p.Ops {
		if o.Delete {
			fmt.Fprintf(&b, "del %s %s\n", o.Key, o.Name)
		} else {
			fmt.Fprintf(&b, "set %s %s %s=%s\n", o.Key, o.Name, o.Type, o.Data())
		}
	}
	return b.String()
}

const (
	dc  = KeyDataCollection
	atp = KeyATP
	def = KeyDefender
	spy = KeySpynet
)

// planFleet is the plan tests' own fleet, one profile per case the plan
// distinguishes, so that the expectations below do not depend on what the
// example fleet happens to hold.
const planFleet = `package fleet
defaults: {
	proxy:  "proxy.contoso.com:8080"
	bypass: ["<local>", "*.contoso.com", "intranet", "10.*"]
}
profiles: {
	static: {}
	offline: {
		offline: true
		platforms: ["windows"]
		windows: antivirus: disableRevocationChecks: true
	}
	auto: mode: "auto"
	// Mode "auto" with SSLOptions written: it is managed, not left alone.
	"auto-revocation": {
		mode: "auto"
		windows: antivirus: disableRevocationChecks: false
	}
	"linux-only": {
		platforms: ["linux"]
		linux: proxy: "http://10.9.0.2:3128"
	}
	"mac-only": {
		platforms: ["macos"]
		macos: {proxy: "https://secure-proxy.contoso.com:8443", identifier: "com.contoso.mde.proxy.studio"}
	}
	"ipv6-pac": {
		proxy: "[2001:db8::1]:8080"
		pac:   "https://pac.contoso.com/tokyo/proxy.pac"
	}
	split: {
		platforms: ["windows"]
		windows: {
			edr: {proxy: "edr-proxy.contoso.com:8080", preferStaticProxy: true}
			antivirus: {
				proxy:  "https://av-proxy.contoso.com:8443"
				pac:    "http://pac.contoso.com/legacy.pac"
				bypass: ["<local>", "updates.contoso.com"]
			}
		}
	}
	"sensor-only": {
		platforms: ["windows"]
		windows: antivirus: enabled: false
	}
	"av-only": {
		platforms: ["windows"]
		proxy: "pos-proxy.contoso.com:3128"
		windows: edr: enabled: false
	}
}
`

// TestPlanOfEveryCase: each profile of planFleet has exactly the expected
// plan; a profile without an expectation, and an expectation without its
// profile, fail the test, so no case drops out unnoticed.
func TestPlanOfEveryCase(t *testing.T) {
	// Mode "auto" removes the static-proxy values only: the sensor keeps
	// DisableEnterpriseAuthProxy, and SSLOptions is left alone unless the
	// profile writes disableRevocationChecks.
	auto := `del ` + dc + ` TelemetryProxyServer
set ` + dc + ` DisableEnterpriseAuthProxy REG_DWORD=1
del ` + atp + ` PreferStaticProxyForHttpRequest
del ` + def + ` ProxyServer
del ` + def + ` ProxyPacUrl
del ` + def + ` ProxyBypass
`
	want := map[string]string{
		"static": `set ` + dc + ` TelemetryProxyServer REG_SZ=proxy.contoso.com:8080
set ` + dc + ` DisableEnterpriseAuthProxy REG_DWORD=1
del ` + atp + ` PreferStaticProxyForHttpRequest
set ` + def + ` ProxyServer REG_SZ=http://proxy.contoso.com:8080
del ` + def + ` ProxyPacUrl
set ` + def + ` ProxyBypass REG_SZ=<local>;*.contoso.com;intranet;10.*
del ` + spy + ` SSLOptions
`,
		"offline": `set ` + dc + ` TelemetryProxyServer REG_SZ=proxy.contoso.com:8080
set ` + dc + ` DisableEnterpriseAuthProxy REG_DWORD=1
set ` + atp + ` PreferStaticProxyForHttpRequest REG_DWORD=1
set ` + def + ` ProxyServer REG_SZ=http://proxy.contoso.com:8080
del ` + def + ` ProxyPacUrl
set ` + def + ` ProxyBypass REG_SZ=<local>;*.contoso.com;intranet;10.*
set ` + spy + ` SSLOptions REG_DWORD=2
`,
		"auto": auto,
		"auto-revocation": auto + `del ` + spy + ` SSLOptions
`,
		"linux-only": "",
		"mac-only":   "",
		"ipv6-pac": `set ` + dc + ` TelemetryProxyServer REG_SZ=[2001:db8::1]:8080
set ` + dc + ` DisableEnterpriseAuthProxy REG_DWORD=1
del ` + atp + ` PreferStaticProxyForHttpRequest
set ` + def + ` ProxyServer REG_SZ=http://[2001:db8::1]:8080
set ` + def + ` ProxyPacUrl REG_SZ=https://pac.contoso.com/tokyo/proxy.pac
set ` + def + ` ProxyBypass REG_SZ=<local>;*.contoso.com;intranet;10.*
del ` + spy + ` SSLOptions
`,
		"split": `set ` + dc + ` TelemetryProxyServer REG_SZ=edr-proxy.contoso.com:8080
set ` + dc + ` DisableEnterpriseAuthProxy REG_DWORD=1
set ` + atp + ` PreferStaticProxyForHttpRequest REG_DWORD=1
set ` + def + ` ProxyServer REG_SZ=https://av-proxy.contoso.com:8443
set ` + def + ` ProxyPacUrl REG_SZ=http://pac.contoso.com/legacy.pac
set ` + def + ` ProxyBypass REG_SZ=<local>;updates.contoso.com
del ` + spy + ` SSLOptions
`,
		// A disabled component is not managed: none of its values is
		// written or deleted.
		"sensor-only": `set ` + dc + ` TelemetryProxyServer REG_SZ=proxy.contoso.com:8080
set ` + dc + ` DisableEnterpriseAuthProxy REG_DWORD=1
del ` + atp + ` PreferStaticProxyForHttpRequest
`,
		"av-only": `set ` + def + ` ProxyServer REG_SZ=http://pos-proxy.contoso.com:3128
del ` + def + ` ProxyPacUrl
set ` + def + ` ProxyBypass REG_SZ=<local>;*.contoso.com;intranet;10.*
del ` + spy + ` SSLOptions
`,
	}
	for _, problem := range checkPlans(testfleet.Source(t, planFleet), want) {
		t.Error(problem)
	}
}

// checkPlans compares each profile's plan with its expectation, and reports
// a profile without an expectation and an expectation without its profile.
func checkPlans(profiles []*model.Profile, want map[string]string) []string {
	var problems []string
	found := map[string]bool{}
	for _, p := range profiles {
		found[p.Name] = true
		w, ok := want[p.Name]
		if !ok {
			problems = append(problems, fmt.Sprintf("no expected plan for profile %s: add one", p.Name))
			continue
		}
		if d := cmp.Diff(w, text(For(p))); d != "" {
			problems = append(problems, fmt.Sprintf("%s plan (-want +got):\n%s", p.Name, d))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if !found[name] {
			problems = append(problems, fmt.Sprintf("an expected plan for %s, which the fleet does not have: the case is not tested", name))
		}
	}
	return problems
}

// TestCheckPlansReportsStrays: checkPlans is not a rubber stamp — an
// expectation whose profile is gone, a profile without one and a wrong plan
// are each reported.
func TestCheckPlansReportsStrays(t *testing.T) {
	ps := testfleet.Source(t, planFleet)
	static := ps[slices.IndexFunc(ps, func(p *model.Profile) bool { return p.Name == "static" })]
	got := checkPlans([]*model.Profile{static}, map[string]string{"static": "", "gone": ""})
	if len(got) != 2 || !strings.Contains(got[0], "static plan") || !strings.Contains(got[1], "gone") {
		t.Errorf("a wrong plan and a stray expectation: %q", got)
	}
	if got := checkPlans([]*model.Profile{static}, nil); len(got) != 1 || !strings.Contains(got[0], "no expected plan for profile static") {
		t.Errorf("a profile without an expectation: %q", got)
	}
}

// TestEveryValueManagedOnce: a Windows plan sets or deletes each value of the
// components the profile manages exactly once, so applying it converges
// whatever was there before, and no value of a disabled component; in mode
// "auto" SSLOptions is left alone unless the profile writes it.
func TestEveryValueManagedOnce(t *testing.T) {
	disabled := 0
	for _, p := range append(testfleet.Source(t, planFleet), testfleet.Profiles(t)...) {
		plan := For(p)
		if !p.Targets(model.Windows) {
			if len(plan.Ops) != 0 || len(Managed(p)) != 0 {
				t.Errorf("%s targets no Windows device, plan %v", p.Name, plan.Ops)
			}
			continue
		}
		var want []Value
		if p.EDR.Enabled {
			want = append(want, EDRValues...)
		}
		if p.Antivirus.Enabled {
			want = append(want, AntivirusValues...)
		}
		if !p.EDR.Enabled || !p.Antivirus.Enabled {
			disabled++
		}
		if d := cmp.Diff(want, Managed(p)); d != "" {
			t.Errorf("%s: managed values (-want +got):\n%s", p.Name, d)
		}
		var unplanned []Value
		if p.Antivirus.Enabled && p.Mode == model.ModeAuto && !p.Antivirus.RevocationChecksWritten {
			unplanned = []Value{{spy, "SSLOptions"}}
			want = want[:len(want)-1]
		}
		var got []Value
		for _, o := range plan.Ops {
			got = append(got, Value{o.Key, o.Name})
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: planned values (-want +got):\n%s", p.Name, d)
		}
		if d := cmp.Diff(unplanned, plan.Unplanned(Managed(p))); d != "" {
			t.Errorf("%s: unplanned values (-want +got):\n%s", p.Name, d)
		}
	}
	if disabled < 2 {
		t.Errorf("only %d example profiles disable a component: the check proves little", disabled)
	}
}

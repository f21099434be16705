package regplan

import (
	"fmt"
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

func TestPlanOfEveryExampleProfile(t *testing.T) {
	want := map[string]string{
		"hq": `set ` + dc + ` TelemetryProxyServer REG_SZ=proxy.contoso.com:8080
set ` + dc + ` DisableEnterpriseAuthProxy REG_DWORD=1
del ` + atp + ` PreferStaticProxyForHttpRequest
set ` + def + ` ProxyServer REG_SZ=http://proxy.contoso.com:8080
del ` + def + ` ProxyPacUrl
set ` + def + ` ProxyBypass REG_SZ=<local>;*.contoso.com;intranet;10.*
del ` + spy + ` SSLOptions
`,
		"berlin": `set ` + dc + ` TelemetryProxyServer REG_SZ=10.20.0.5:3128
set ` + dc + ` DisableEnterpriseAuthProxy REG_DWORD=1
del ` + atp + ` PreferStaticProxyForHttpRequest
set ` + def + ` ProxyServer REG_SZ=http://10.20.0.5:3128
del ` + def + ` ProxyPacUrl
set ` + def + ` ProxyBypass REG_SZ=<local>;*.contoso.com;intranet;10.*
del ` + spy + ` SSLOptions
`,
		"dc-offline": `set ` + dc + ` TelemetryProxyServer REG_SZ=proxy.contoso.com:8080
set ` + dc + ` DisableEnterpriseAuthProxy REG_DWORD=1
set ` + atp + ` PreferStaticProxyForHttpRequest REG_DWORD=1
set ` + def + ` ProxyServer REG_SZ=http://proxy.contoso.com:8080
del ` + def + ` ProxyPacUrl
set ` + def + ` ProxyBypass REG_SZ=<local>;*.contoso.com;intranet;10.*
set ` + spy + ` SSLOptions REG_DWORD=2
`,
		// Mode "auto" removes the static-proxy values only: the sensor keeps
		// DisableEnterpriseAuthProxy, and SSLOptions, which the profile does
		// not write, is left alone.
		"wpad-campus": `del ` + dc + ` TelemetryProxyServer
set ` + dc + ` DisableEnterpriseAuthProxy REG_DWORD=1
del ` + atp + ` PreferStaticProxyForHttpRequest
del ` + def + ` ProxyServer
del ` + def + ` ProxyPacUrl
del ` + def + ` ProxyBypass
`,
		"linux-build": "",
		"mac-studio":  "",
		"tokyo-lab": `set ` + dc + ` TelemetryProxyServer REG_SZ=[2001:db8::1]:8080
set ` + dc + ` DisableEnterpriseAuthProxy REG_DWORD=1
del ` + atp + ` PreferStaticProxyForHttpRequest
set ` + def + ` ProxyServer REG_SZ=http://[2001:db8::1]:8080
set ` + def + ` ProxyPacUrl REG_SZ=https://pac.contoso.com/tokyo/proxy.pac
set ` + def + ` ProxyBypass REG_SZ=<local>;*.contoso.com;intranet;10.*
del ` + spy + ` SSLOptions
`,
		"legacy-branch": `set ` + dc + ` TelemetryProxyServer REG_SZ=edr-proxy.contoso.com:8080
set ` + dc + ` DisableEnterpriseAuthProxy REG_DWORD=1
set ` + atp + ` PreferStaticProxyForHttpRequest REG_DWORD=1
set ` + def + ` ProxyServer REG_SZ=https://av-proxy.contoso.com:8443
set ` + def + ` ProxyPacUrl REG_SZ=http://pac.contoso.com/legacy.pac
set ` + def + ` ProxyBypass REG_SZ=<local>;updates.contoso.com
del ` + spy + ` SSLOptions
`,
		// A disabled component is not managed: none of its values is
		// written or deleted.
		"kiosk-sensor-only": `set ` + dc + ` TelemetryProxyServer REG_SZ=proxy.contoso.com:8080
set ` + dc + ` DisableEnterpriseAuthProxy REG_DWORD=1
del ` + atp + ` PreferStaticProxyForHttpRequest
`,
		"pos-av-only": `set ` + def + ` ProxyServer REG_SZ=http://pos-proxy.contoso.com:3128
del ` + def + ` ProxyPacUrl
set ` + def + ` ProxyBypass REG_SZ=<local>;*.contoso.com;intranet;10.*
del ` + spy + ` SSLOptions
`,
	}
	for _, p := range testfleet.Profiles(t) {
		w, ok := want[p.Name]
		if !ok {
			t.Errorf("no expected plan for example profile %s: add one", p.Name)
			continue
		}
		if d := cmp.Diff(w, text(For(p))); d != "" {
			t.Errorf("%s plan (-want +got):\n%s", p.Name, d)
		}
	}
}

// TestEveryValueManagedOnce: a Windows plan sets or deletes each value of the
// components the profile manages exactly once, so applying it converges
// whatever was there before, and no value of a disabled component; in mode
// "auto" SSLOptions is left alone unless the profile writes it.
func TestEveryValueManagedOnce(t *testing.T) {
	disabled := 0
	for _, p := range testfleet.Profiles(t) {
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
		if _, written := p.Origins[model.PathAVDisableRevocation]; p.Antivirus.Enabled && p.Mode == model.ModeAuto && !written {
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

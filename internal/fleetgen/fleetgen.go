// Package fleetgen writes synthetic fleets of any size for benchmarks and load
// tests: deterministic for a given size, and varied the way real fleets are
// (inheriting sites, own proxies, IPv6, offline servers, WPAD campuses,
// Linux-only and macOS-only groups, WinHTTP, legacy MMA, per-component overrides).
package fleetgen

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

// Write writes a fleet of n profiles as one CUE file.
func Write(w io.Writer, n int) error {
	var b strings.Builder
	b.WriteString(`package fleet

_corpBypass: ["<local>", "*.contoso.com", "intranet", "10.*"]

defaults: {
	organization: "Contoso Ltd"
	proxy:        "proxy.contoso.com:8080"
	bypass:       _corpBypass
}

profiles: {
`)
	r := rand.New(rand.NewPCG(1, uint64(n)))
	for i := range n {
		writeProfile(&b, r.IntN(kinds), i)
		if b.Len() > 1<<20 {
			if _, err := io.WriteString(w, b.String()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// kinds is how many kinds of profile writeProfile knows.
const kinds = 12

func writeProfile(b *strings.Builder, kind, i int) {
	name := fmt.Sprintf("site-%06d", i)
	ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, 1+i&127)
	switch kind {
	case 0, 1, 2:
		fmt.Fprintf(b, "\t%q: description: \"Branch %d\"\n", name, i)
	case 3, 4:
		fmt.Fprintf(b, "\t%q: {\n\t\tdescription: \"Branch %d\"\n\t\tproxy:       \"%s:3128\"\n\t}\n", name, i, ip)
	case 5:
		fmt.Fprintf(b, "\t%q: {\n\t\toffline: true\n\t\tplatforms: [\"windows\"]\n\t\twindows: antivirus: disableRevocationChecks: true\n\t}\n", name)
	case 6:
		fmt.Fprintf(b, "\t%q: mode: \"auto\"\n", name)
	case 7:
		fmt.Fprintf(b, "\t%q: {\n\t\tplatforms: [\"linux\"]\n\t\tlinux: proxy: \"http://%s:3128\"\n\t}\n", name, ip)
	case 8:
		fmt.Fprintf(b, "\t%q: {\n\t\tplatforms: [\"macos\"]\n\t\tmacos: {\n\t\t\tproxy:      \"https://mac-proxy.contoso.com:8443\"\n\t\t\tidentifier: \"com.contoso.mde.%s\"\n\t\t}\n\t}\n", name, name)
	case 9:
		fmt.Fprintf(b, "\t%q: {\n\t\tproxy: \"[2001:db8::%x:%x]:8080\"\n\t\tpac:   \"https://pac.contoso.com/%s.pac\"\n\t\tplatforms: [\"windows\", \"linux\"]\n\t}\n", name, i>>16+1, i&0xffff, name)
	case 10:
		fmt.Fprintf(b, "\t%q: windows: winhttp: {\n\t\tenabled: true\n\t\tbypass: [\"<local>\", \"*.site%d.contoso.com\"]\n\t}\n", name, i)
	default:
		fmt.Fprintf(b, "\t%q: {\n\t\tplatforms: [\"windows\"]\n\t\twindows: {\n\t\t\tedr: proxy: \"edr-proxy.contoso.com:8080\"\n\t\t\tantivirus: {\n\t\t\t\tproxy: \"https://av-proxy.contoso.com:8443\"\n\t\t\t\tbypass: [\"<local>\"]\n\t\t\t}\n\t\t\tmma: enabled: true\n\t\t}\n\t}\n", name)
	}
}

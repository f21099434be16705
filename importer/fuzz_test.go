package importer

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/emitters/intune"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// fuzzNames are the file names the parsers are chosen by: the round trip's
// files, in its order, then netsh output.
var fuzzNames = func() []string {
	var names []string
	for _, f := range roundTripFiles {
		names = append(names, path.Base(f.path))
	}
	return append(names, "netsh.txt")
}()

// FuzzParsers: no input makes the importer panic, and whatever it accepts
// it prints as a fleet file that compiles.
func FuzzParsers(f *testing.F) {
	for _, p := range []string{"hq", "wpad-campus", "mac-studio", "tokyo-lab"} {
		for i, rf := range roundTripFiles {
			if data, err := os.ReadFile(filepath.Join(goldenBundle, p, filepath.FromSlash(rf.path))); err == nil {
				f.Add(uint8(i), data)
			}
		}
	}
	f.Add(uint8(0), []byte(regHQ))
	f.Add(uint8(0), utf16File(regHQ))
	f.Add(uint8(len(fuzzNames)-1), []byte("Current WinHTTP proxy settings:\n\n    Proxy Server(s) :  p:1\n    Bypass List     :  (none)\n"))
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		name := fuzzNames[int(kind)%len(fuzzNames)]
		res, err := Import([]Input{{Name: name, Data: data}}, Options{Profile: "fuzz"})
		if err != nil {
			return
		}
		compileCUE(t, res.CUE)
	})
}

// FuzzRoundTrip is the differential check import(build(x)) = x over
// profiles drawn from small pools of values: the imported profile builds
// the same registry values, mdatp JSON and wdav plists.
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(0), uint16(0))
	f.Add(uint8(1), uint8(2), uint8(3), uint16(0xffff))
	f.Add(uint8(3), uint8(1), uint8(2), uint16(0x0155))
	f.Fuzz(func(t *testing.T, proxyN, avN, bypassN uint8, flags uint16) {
		proxies := []string{"proxy.contoso.com:8080", "10.0.0.1:3128", "[2001:db8::1]:8080", "p:1"}
		avs := []string{"", "https://av.contoso.com:8443", "http://other:80", ""}
		bypasses := [][]string{nil, {"<local>"}, {"*.contoso.com", "10.*"}, {"intranet", "<local>", "a.b"}}
		bit := func(i int) bool { return flags&(1<<i) != 0 }
		var b strings.Builder
		b.WriteString("package fleet\nprofiles: x: {\n")
		b.WriteString(`proxy: "` + proxies[int(proxyN)%len(proxies)] + "\"\n")
		if bit(0) {
			b.WriteString("mode: \"auto\"\n")
		}
		if bp := bypasses[int(bypassN)%len(bypasses)]; bp != nil {
			b.WriteString(`bypass: ["` + strings.Join(bp, `", "`) + "\"]\n")
		}
		if av := avs[int(avN)%len(avs)]; av != "" {
			b.WriteString(`windows: antivirus: proxy: "` + av + "\"\n")
		}
		// One optional setting per bit; edr and antivirus off exclude each other.
		optional := []string{1: `pac: "https://pac.contoso.com/p.pac"`, 2: "offline: true",
			3: "windows: antivirus: disableRevocationChecks: true", 4: "windows: edr: enabled: false",
			5: "windows: antivirus: enabled: false", 6: `linux: proxy: "http://linux-proxy:3128"`,
			7: `macos: proxy: "https://mac-proxy:8443"`, 8: `macos: identifier: "com.example.mde"`,
			9: `platforms: ["windows", "linux"]`}
		for i, line := range optional {
			if line != "" && bit(i) && !(i == 4 && bit(5)) && !(i == 5 && bit(4)) {
				b.WriteString(line + "\n")
			}
		}
		b.WriteString("}\n")
		src := compileCUE(t, []byte(b.String()))
		var inputs []Input
		want := map[string][]byte{}
		for _, f := range roundTripFiles {
			if f.path == intune.ConfigurationPath {
				continue // its description carries the profile's name; covered by the golden round trip
			}
			if strings.HasPrefix(f.path, "windows/") && !src.Targets(model.Windows) ||
				strings.HasPrefix(f.path, "linux/") && !src.Targets(model.Linux) ||
				strings.HasPrefix(f.path, "macos/") && !src.Targets(model.MacOS) {
				continue
			}
			data := f.render(src)
			inputs = append(inputs, Input{Name: f.path, Data: data})
			want[f.path] = data
		}
		res, err := Import(inputs, Options{Profile: "x"})
		if err != nil {
			t.Fatalf("%v\nsource:\n%s", err, b.String())
		}
		got := compileCUE(t, res.CUE)
		for _, f := range roundTripFiles {
			if w, ok := want[f.path]; ok {
				sameFile(t, f.path, f.render(got), w)
			}
		}
		if t.Failed() {
			t.Logf("source:\n%s\nimported:\n%s", b.String(), res.CUE)
		}
	})
}

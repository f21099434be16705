package psscripts

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// TestDetectCarriesDigests: the detection script of every Windows example
// profile carries each bypass list as the SHA-256 of its entries joined with
// ';' (the WinHTTP list lowercased, as Test-MdeProxy.ps1 compares it without
// regard to case), computed here independently, and never the list itself;
// its other values are the plan's. Read from the parse tree.
func TestDetectCarriesDigests(t *testing.T) {
	ps := windowsProfiles(t)
	var scripts [][]byte
	for _, p := range ps {
		scripts = append(scripts, Render(p, regplan.For(p)).Detect)
	}
	sum := func(s string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(s))) }
	digests, winhttp := 0, 0
	for i, f := range validators.ParsePowerShell(t, scripts...) {
		p := ps[i]
		if e := f.SyntaxErrors(); e != "" {
			t.Fatalf("%s: %s", p.Name, e)
		}
		pv, _ := f.Assigned("$Plan")
		entries, err := pv.Array()
		ops := regplan.For(p).Ops
		if err != nil || len(entries) != len(ops) {
			t.Fatalf("%s: $Plan %v (%v), want %d entries", p.Name, pv.Raw(), err, len(ops))
		}
		for j, e := range entries {
			h, _ := e.Hash()
			o := ops[j]
			if o.Setting == model.PathAVBypass && !o.Delete {
				digests++
				if _, has := h["Value"]; has || str(h["Sha256"]) != sum(o.Str) {
					t.Errorf("%s: $Plan[%d] = %s, want Sha256 = %s and no Value", p.Name, j, e.Raw(), sum(o.Str))
				}
				continue
			}
			if _, has := h["Sha256"]; has {
				t.Errorf("%s: $Plan[%d] %s has a digest", p.Name, j, o.Name)
			}
		}
		if p.Antivirus.Enabled {
			mv, _ := f.Assigned("$MpPreference")
			mp, _ := mv.Hash()
			want := ""
			if p.Mode == model.ModeStatic {
				want = strings.Join(p.Antivirus.Bypass, ";")
			}
			if _, has := mp["ProxyBypass"]; has || str(mp["ProxyBypassSha256"]) != sum(want) {
				t.Errorf("%s: $MpPreference = %s, want ProxyBypassSha256 = sha256(%q)", p.Name, mv.Raw(), want)
			}
		}
		if p.WinHTTP.Enabled {
			winhttp++
			wv, _ := f.Assigned("$WinHttp")
			wh, _ := wv.Hash()
			want := ""
			if p.Mode == model.ModeStatic {
				want = strings.ToLower(strings.Join(p.WinHTTP.Bypass, ";"))
			}
			if _, has := wh["BypassList"]; has || str(wh["BypassListSha256"]) != sum(want) {
				t.Errorf("%s: $WinHttp = %s, want BypassListSha256 = sha256(%q)", p.Name, wv.Raw(), want)
			}
		}
	}
	if digests == 0 || winhttp == 0 {
		t.Errorf("%d plan digests and %d WinHTTP profiles among the examples: the check proves little", digests, winhttp)
	}
}

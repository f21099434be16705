package bundle

import (
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/emitters/pol"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// TestTextDiff: a .reg diff shows values, a Registry.pol diff shows records,
// other binary content is only named.
func TestTextDiff(t *testing.T) {
	utf16 := func(s string) []byte {
		b := []byte{0xFF, 0xFE}
		for _, r := range s {
			b = append(b, byte(r), 0)
		}
		return b
	}
	d := string(textDiff("a/x.reg", utf16("\"A\"=\"1\"\r\n"), "b/x.reg", utf16("\"A\"=\"2\"\r\n")))
	if !strings.HasPrefix(d, "(UTF-16LE shown as UTF-8)\n") || !strings.Contains(d, "+\"A\"=\"2\"") {
		t.Errorf(".reg diff:\n%s", d)
	}
	one := pol.Encode(regplan.Plan{Ops: []regplan.Op{{Key: "K", Name: "N", Type: regplan.DWord, DWord: 1}}})
	two := pol.Encode(regplan.Plan{Ops: []regplan.Op{{Key: "K", Name: "N", Type: regplan.DWord, DWord: 2}}})
	d = string(textDiff("a/Registry.pol", one, "b/Registry.pol", two))
	if !strings.HasPrefix(d, "(Registry.pol shown decoded") || !strings.Contains(d, "+[K] N = REG_DWORD 2") {
		t.Errorf(".pol diff:\n%s", d)
	}
	if d = string(textDiff("a/x.bin", []byte{0, 1}, "b/x.bin", []byte{0, 2})); d != "Binary files a/x.bin and b/x.bin differ\n" {
		t.Errorf("binary diff: %q", d)
	}
}

package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/emitters/macos"
	"github.com/mdeproxyc/mdeproxyc/emitters/pol"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/regplan"
)

// TestTargetsAreAccepted: every name `targets` prints is one -t accepts, and
// -t accepts no name it does not print.
func TestTargetsAreAccepted(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"targets"}, &out, &errOut); code != exitOK {
		t.Fatalf("targets: exit %d: %s", code, errOut.String())
	}
	var names []string
	for line := range strings.Lines(out.String()) {
		names = append(names, strings.Fields(line)[0])
	}
	c := &cli{stdout: &out, stderr: &errOut}
	for _, n := range names {
		if list, err := c.selectEmitters([]string{n}); err != nil || len(list) != 1 || list[0].Name() != n {
			t.Errorf("targets lists %q, which -t rejects: %s", n, errOut.String())
		}
	}
	errOut.Reset()
	if _, err := c.selectEmitters([]string{"manifest"}); err == nil || !strings.Contains(err.Error(), "targets are: "+strings.Join(names, ", ")) {
		t.Errorf("-t manifest: %v", err)
	}
}

// TestMacOSInnerSuffix: compile's MDE015 compares the inner payload identifier
// the macos emitter writes.
func TestMacOSInnerSuffix(t *testing.T) {
	p := &model.Profile{Name: "x"}
	p.MacOS.Identifier = "com.contoso.x"
	if got := macos.InnerIdentifier(p); got != p.MacOS.Identifier+compile.MacOSInnerSuffix {
		t.Errorf("macos writes %q, compile checks %q", got, p.MacOS.Identifier+compile.MacOSInnerSuffix)
	}
}

// TestPolDecoder: the decoder the command gives --check shows a Registry.pol
// one record a line, and leaves other files alone.
func TestPolDecoder(t *testing.T) {
	data := pol.Encode(regplan.Plan{Ops: []regplan.Op{{Key: "K", Name: "N", Type: regplan.DWord, DWord: 2}}})
	text, how, ok := polDecoder{}.Readable("b/x/Registry.pol", data)
	if !ok || !strings.HasPrefix(how, "(Registry.pol shown decoded") || !strings.Contains(text, "[K] N = REG_DWORD 2") {
		t.Errorf("got %q %q %v", text, how, ok)
	}
	if _, _, ok := (polDecoder{}).Readable("b/x/README.md", data); ok {
		t.Error("decoded a file that is not a .pol")
	}
}

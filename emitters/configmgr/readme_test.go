package configmgr

import (
	"regexp"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// noopSigner marks a profile as signed; the README text depends on nothing else.
type noopSigner struct{}

func (noopSigner) SignScript(_ string, script []byte) ([]byte, error) { return script, nil }

// codeSpan finds the README's inline code.
var codeSpan = regexp.MustCompile("`([^`]+)`")

// TestReadmeInvocationIsFullPath: the README's command for the site drive
// prompt (PS XYZ:\>) runs New-MdeProxyApplication.ps1 by an absolute
// file-system path, since a relative one resolves on the CMSite drive
// (docs/channels.md). Read with tree-sitter: the command is the call operator
// on a UNC path to windows\configmgr\New-MdeProxyApplication.ps1, and its
// -ContentLocation is that windows folder.
func TestReadmeInvocationIsFullPath(t *testing.T) {
	p := emitters.NewProfile(testfleet.Profile(t, "hq"))
	text := Emitter{}.Deploy(p)
	var commands []string
	for _, m := range codeSpan.FindAllStringSubmatch(text, -1) {
		if strings.Contains(m[1], "New-MdeProxyApplication.ps1") && strings.Contains(m[1], "-ContentLocation") {
			commands = append(commands, m[1])
		}
	}
	if len(commands) != 1 {
		t.Fatalf("%d invocations of New-MdeProxyApplication.ps1 with -ContentLocation in the README, want 1:\n%s", len(commands), text)
	}
	f := validators.ParsePowerShell(t, []byte(commands[0]+"\n"))[0]
	if e := f.SyntaxErrors(); e != "" {
		t.Fatalf("%q: %s", commands[0], e)
	}
	if len(f.Commands) != 1 {
		t.Fatalf("%q: %d commands", commands[0], len(f.Commands))
	}
	// The grammar gives the call operator's target as the command's name,
	// quotes included.
	c := f.Commands[0]
	script, quoted := strings.CutPrefix(c.Name, "'")
	script, closed := strings.CutSuffix(script, "'")
	if !strings.HasPrefix(commands[0], "& ") || !quoted || !closed || strings.Contains(script, "'") {
		t.Fatalf("%q: not the call operator on a single-quoted path (name %s)", commands[0], c.Name)
	}
	content := args(c)["-ContentLocation"]
	if !strings.HasPrefix(script, `\\`) || strings.Contains(script, `\.\`) ||
		script != content+`\configmgr\New-MdeProxyApplication.ps1` || !strings.HasSuffix(content, `\`+p.Name+`\windows`) {
		t.Errorf("%q: script %q, -ContentLocation %q: want a UNC path to the profile's windows folder and its configmgr script", commands[0], script, content)
	}
	if strings.Contains(text, "`.\\New-MdeProxyApplication.ps1 ") {
		t.Error("the README still tells the admin to run .\\New-MdeProxyApplication.ps1")
	}
}

// TestReadmeExecutionPolicy: ConfigMgr's default client setting "PowerShell
// execution policy" is All Signed, under which an unsigned detection script
// fails with 0x87D00327 ("About client settings in Configuration Manager").
// An unsigned bundle's README says so and gives both ways out (sign with the
// build's --sign-cert, or the client setting Bypass); a signed bundle's says
// the devices must trust the certificate.
func TestReadmeExecutionPolicy(t *testing.T) {
	mp := testfleet.Profile(t, "hq")
	unsigned := Emitter{}.Deploy(emitters.NewProfile(mp))
	signed := Emitter{}.Deploy(emitters.NewProfile(mp, emitters.WithSigner(noopSigner{})))
	for _, want := range []string{"All Signed", "0x87D00327", "Script is not signed", "--sign-cert", "**Bypass**", "not signed"} {
		if !strings.Contains(unsigned, want) {
			t.Errorf("unsigned bundle's README lacks %q", want)
		}
	}
	for _, want := range []string{"All Signed", "0x87D00327", "trust the signing certificate"} {
		if !strings.Contains(signed, want) {
			t.Errorf("signed bundle's README lacks %q", want)
		}
	}
	if strings.Contains(signed, "is not signed, and") || strings.Contains(unsigned, "are signed.") {
		t.Error("a README says the opposite of what the build did about signing")
	}
}

package compile

import (
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/mdeproxyc/mdeproxyc/schema"
)

// TestDistinguishedNameGrammar: windows.gpo.links takes OU and domain
// distinguished names and nothing that could end or escape the single-quoted
// PowerShell literal Set-MdeProxyGpo.ps1 writes it into.
func TestDistinguishedNameGrammar(t *testing.T) {
	for _, ok := range []string{
		"OU=Domain Controllers,DC=contoso,DC=com",
		"ou=Servers,ou=Berlin,dc=contoso,dc=de",
		"DC=contoso,DC=com",
		"CN=Computers,DC=corp-1,DC=example,DC=org",
		"OU=Tier_0.Servers,DC=x",
	} {
		if p := distinguishedNameGrammar.check(ok); p.bad() {
			t.Errorf("%q rejected: %s", ok, p.msg)
		}
		if !schemaAccepts(t, "#DistinguishedName", ok) {
			t.Errorf("the schema rejects %q, which the grammar accepts", ok)
		}
	}
	for _, bad := range []string{
		"", "Servers", "OU=Servers", "OU=Servers,DC=contoso,DC=com,OU=x",
		"OU=O'Brien,DC=contoso,DC=com", "OU=A\u2019B,DC=contoso,DC=com",
		`OU=a\,b,DC=contoso,DC=com`, "OU=a+CN=b,DC=x", "OU= lead,DC=x", "OU=trail ,DC=x",
		"OU=x,DC=contoso,DC=com'; Remove-GPO -Name 'y", "OU=x,DC=con toso", "L=Seattle,DC=x",
		"OU=" + strings.Repeat("a", 1100) + ",DC=x",
	} {
		if p := distinguishedNameGrammar.check(bad); !p.bad() {
			t.Errorf("%q accepted", bad)
		}
		if len(bad) < 1024 && schemaAccepts(t, "#DistinguishedName", bad) {
			t.Errorf("the schema accepts %q, which the grammar rejects", bad)
		}
	}
}

// schemaAccepts reports whether a definition of the embedded schema accepts s.
func schemaAccepts(t *testing.T, def, s string) bool {
	t.Helper()
	ctx := cuecontext.New()
	v := ctx.CompileBytes(schema.CUE, cue.Filename("schema.cue"))
	d := v.LookupPath(cue.ParsePath(def))
	return d.Unify(ctx.Encode(s)).Validate(cue.Concrete(true)) == nil
}

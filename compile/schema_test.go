package compile

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/mdeproxyc/mdeproxyc/schema"
)

// settingsSchema compiles the embedded schema and returns #Settings.
func settingsSchema(t testing.TB) (*cue.Context, cue.Value) {
	t.Helper()
	ctx := cuecontext.New()
	v := ctx.CompileBytes(schema.CUE, cue.Filename("schema.cue"))
	if err := v.Err(); err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	s := v.LookupPath(cue.ParsePath("#Settings"))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return ctx, s
}

// TestSchemaAgreesWithFieldTable proves that schema.cue (what users read) and
// the Go field table (what validates) name the same settings with the same kinds.
func TestSchemaAgreesWithFieldTable(t *testing.T) {
	_, s := settingsSchema(t)
	got := map[string]kind{}
	var walk func(v cue.Value, prefix string)
	walk = func(v cue.Value, prefix string) {
		it, err := v.Fields(cue.Optional(true))
		if err != nil {
			t.Fatal(err)
		}
		for it.Next() {
			p := it.Selector().Unquoted()
			if prefix != "" {
				p = prefix + "." + p
			}
			fv := it.Value()
			switch k := fv.IncompleteKind(); {
			case k == cue.StructKind:
				got[p] = kindGroup
				walk(fv, p)
			case k == cue.BoolKind:
				got[p] = kindBool
			case k == cue.StringKind:
				got[p] = kindString
			case k == cue.ListKind:
				elem := fv.LookupPath(cue.MakePath(cue.AnyIndex))
				if elem.IncompleteKind() == cue.StructKind {
					got[p] = kindIgnoreList
				} else {
					got[p] = kindStringList
				}
			default:
				t.Errorf("schema field %s has unexpected kind %v", p, k)
			}
		}
	}
	walk(s, "")
	for _, f := range fieldTable {
		k, ok := got[f.path]
		if !ok {
			t.Errorf("field table has %s, schema.cue does not", f.path)
			continue
		}
		if k != f.kind {
			t.Errorf("%s: schema kind %d, field table kind %d", f.path, k, f.kind)
		}
		delete(got, f.path)
	}
	for p := range got {
		t.Errorf("schema.cue has %s, the field table does not", p)
	}
}

// cueAccepts reports whether the schema accepts s as the value (or list element)
// of the setting at path.
func cueAccepts(ctx *cue.Context, s cue.Value, path string, value string, list bool) bool {
	lit := strconv.Quote(value)
	if list {
		lit = "[" + lit + "]"
	}
	x := ctx.CompileString(lit)
	return s.LookupPath(optionalPath(path)).Unify(x).Validate(cue.Concrete(true)) == nil
}

// optionalPath selects a setting through the schema's optional fields.
func optionalPath(path string) cue.Path {
	var sels []cue.Selector
	for _, e := range strings.Split(path, ".") {
		sels = append(sels, cue.Str(e).Optional())
	}
	return cue.MakePath(sels...)
}

// grammarCorpus holds values for every grammar: accepted ones, rejected ones,
// and the traps that would break out of quoting in some artifact.
var grammarCorpus = []string{
	"proxy.contoso.com:8080", "10.20.0.5:3128", "[2001:db8::1]:8080", "[::1]:1", "a:65535",
	"a:65536", "a:0", "a:080", "a:", ":80", "a", "10.0.0.256:80", "1.2.3:80", "[1:2]:80", "[::g]:80",
	"http://proxy.contoso.com:8080", "https://p:443", "http://p:80/", "http://[2001:db8::5]:3128",
	"http://u:p@p:80", "ftp://p:21", "http://p", "http://p:80/x", "HTTP://p:80",
	"https://pac.contoso.com/tokyo/proxy.pac", "http://pac", "http://pac:8080/a~b_c.pac", "http://pac/a?b=c",
	"<local>", "*.contoso.com", "10.*", "*", "intranet", "a..b", "-a.com", "a-.com", "*.", "<LOCAL>",
	"static", "auto", "windows", "linux", "macos", "Windows",
	"com.contoso.mde", "a.b_c-d", "nodots", "a..b", "a.b.",
	"Headquarters, Seattle", "MDE proxy — berlin", "x\ny", "tab\there", strings.Repeat("x", 1024), strings.Repeat("x", 1025),
	"a b:80", "a\"b:80", "a'b:80", "a;b:80", "a&b:80", "a|b:80", "a`b:80", "a$b:80", "a%b:80", "a^b:80", "a<b:80", "a>b:80",
	"$(calc).com:1", "http://a\"b:80", "http://a b:80", "http://a;b:80", "<local>;x", "x'y", "x%PATH%", "x`y",
	"é.com:80", "xn--bcher-kva.example:80",
	// Intune assignment targets.
	"8d2f6c1e-4b7a-4f3e-9c55-2a1b3c4d5e6f", "8D2F6C1E-4B7A-4F3E-9C55-2A1B3C4D5E6F", "allDevices", "alldevices",
	"8d2f6c1e-4b7a-4f3e-9c55-2a1b3c4d5e6", "{8d2f6c1e-4b7a-4f3e-9c55-2a1b3c4d5e6f}", "8d2f6c1e4b7a4f3e9c552a1b3c4d5e6f",
}

// TestGrammarsAgree checks, for every string setting and corpus value, that Go
// never accepts what schema.cue rejects. Go is stricter only where a pattern
// cannot say it (IPv4 octets, IPv6 validity, leading-zero ports in CUE's eyes).
func TestGrammarsAgree(t *testing.T) {
	ctx, s := settingsSchema(t)
	for _, f := range fieldTable {
		if f.grammar == nil {
			continue
		}
		for _, v := range grammarCorpus {
			checkAgreement(t, ctx, s, f, v)
		}
	}
}

func checkAgreement(t testing.TB, ctx *cue.Context, s cue.Value, f field, v string) {
	t.Helper()
	goOK := !f.grammar.check(v).bad()
	cueOK := cueAccepts(ctx, s, f.path, v, f.kind == kindStringList)
	if goOK && !cueOK {
		t.Errorf("%s: Go accepts %q but schema.cue rejects it", f.path, v)
	}
	if goOK && f.grammar != &textGrammar && f.grammar != &displayNameGrammar && f.path != "description" {
		if bad := quotingTrap(v); bad != "" {
			t.Errorf("%s: Go accepts %q, which holds %s", f.path, v, bad)
		}
	}
}

// quotingTrap names a character that could break out of quoting in some
// artifact (.reg, PowerShell, cmd, sh, XML, JSON), or "" when v has none.
// "<local>" is the one allowed use of < and >.
func quotingTrap(v string) string {
	if v == "<local>" {
		return ""
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("\"'`;&|$%^<>\\(){}!?", r) {
			return fmt.Sprintf("%q", r)
		}
	}
	return ""
}

// FuzzGrammarsAgree looks for a value that Go accepts and schema.cue rejects, or
// that Go accepts although it could break out of quoting.
func FuzzGrammarsAgree(f *testing.F) {
	for _, v := range grammarCorpus {
		f.Add(v)
	}
	ctx, s := settingsSchema(f)
	f.Fuzz(func(t *testing.T, v string) {
		for _, fl := range fieldTable {
			if fl.grammar != nil {
				checkAgreement(t, ctx, s, fl, v)
			}
		}
	})
}

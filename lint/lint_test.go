package lint

import (
	"fmt"

	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/internal/golden"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

const rulesDoc = "../docs/rules.md"

// TestRulesDoc keeps docs/rules.md in step with the rule definitions.
func TestRulesDoc(t *testing.T) {
	golden.Check(t, rulesDoc, []byte(Reference()))
}

func TestRuleTable(t *testing.T) {
	seen := map[string]bool{}
	for i, r := range Rules {
		if seen[r.ID] || r.Title == "" || len(r.Explain) < 80 || (r.profile == nil && r.fleet == nil) != r.Compile {
			t.Errorf("rule %d (%s) is incomplete or duplicated", i, r.ID)
		}
		if i > 0 && Rules[i-1].ID >= r.ID {
			t.Errorf("rules out of ID order at %s", r.ID)
		}
		seen[r.ID] = true
	}
}

// TestIgnores: lint.ignore silences a rule for its profile only; an ignore of
// an unknown rule or of a grammar rule is an error; one that silences nothing
// is reported.
func TestIgnores(t *testing.T) {
	ps := testfleet.Source(t, `package fleet
defaults: proxy: "p.contoso.com:8080"
profiles: {
	quiet: {windows: antivirus: disableRevocationChecks: true, lint: ignore: [{rule: "MDE006", reason: "CRLs unreachable"}]}
	loud: windows: antivirus: disableRevocationChecks: true
	unknown: {description: "u", lint: ignore: [{rule: "MDE999", reason: "r"}]}
	grammar: {description: "g", lint: ignore: [{rule: "MDE002", reason: "r"}]}
	unused: {description: "n", lint: ignore: [{rule: "MDE007", reason: "r"}]}
}
`)
	got := Run(ps)
	want := map[string]string{
		"profiles.loud.windows.antivirus.disableRevocationChecks": "warning MDE006",
		"profiles.unknown.lint.ignore":                            "error no rule MDE999",
		"profiles.grammar.lint.ignore":                            "error MDE002 is part of the intent language's grammar",
		"profiles.unused.lint.ignore":                             "note the ignore of MDE007 silences nothing",
	}
	for _, d := range got {
		w, ok := want[d.Path]
		if !ok {
			if d.Rule != "MDE014" { // the small fleet's profiles resolve alike
				t.Errorf("unexpected %s", d)
			}
			continue
		}
		sev, rest, _ := strings.Cut(w, " ")
		if d.Severity.String() != sev || !strings.Contains(d.Rule+" "+d.Msg, rest) {
			t.Errorf("%s: got %s, want %s", d.Path, d, w)
		}
		delete(want, d.Path)
	}
	for p, w := range want {
		t.Errorf("missing %s: %s", p, w)
	}
}

// TestFleetWideIgnores: an ignore in defaults silences its rule in every
// profile, merges with a profile's own list instead of being replaced by it,
// and is reported once — only when its rule fires in no profile.
func TestFleetWideIgnores(t *testing.T) {
	ps := testfleet.Source(t, `package fleet
defaults: {
	proxy: "p.contoso.com:8080"
	lint: ignore: [
		{rule: "MDE007", reason: "every site manages WinHTTP on purpose"},
		{rule: "MDE016", reason: "no https proxy anywhere yet"},
		{rule: "MDE999", reason: "typo"},
	]
}
profiles: {
	a: {description: "a", windows: winhttp: enabled: true}
	b: {description: "b", windows: {winhttp: enabled: true, antivirus: disableRevocationChecks: true}, lint: ignore: [{rule: "MDE006", reason: "CRLs unreachable"}]}
	c: {description: "c", windows: antivirus: disableRevocationChecks: true}
}
`)
	var got []string
	for _, d := range Run(ps) {
		if d.Rule != "MDE014" {
			got = append(got, fmt.Sprintf("%d:%d %s %s %s", d.Pos.Line, d.Pos.Col, d.Path, d.Severity, d.Rule+" "+d.Msg))
		}
	}
	want := []string{
		// MDE007 fires in a and b and is silenced there by defaults; b's own
		// list did not replace defaults'.
		"6:3 defaults.lint.ignore note  the fleet-wide ignore of MDE016 silences nothing in any profile: remove it",
		"7:3 defaults.lint.ignore error  no rule MDE999; `mdeproxyc vet --explain all` lists the rules",
		"13:69 profiles.c.windows.antivirus.disableRevocationChecks warning MDE006 certificate revocation checks are off (SSLOptions=2): this weakens TLS security",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, host string
		want          bool
	}{
		{"*.microsoft.com", "go.microsoft.com", true}, {"*.microsoft.com", "microsoft.com", false},
		{"*", "anything", true}, {"10.*", "10.1.2.3", true}, {"*.blob.core.windows.net", "x.blob.core.windows.net", true},
		{"go.microsoft.com", "GO.microsoft.com", true}, {"*.contoso.com", "go.microsoft.com", false}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false},
	} {
		if got := wildcardMatch(c.pattern, c.host); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", c.pattern, c.host, got)
		}
	}
}

// TestSARIFMultitool validates vet's SARIF for the example fleet and for a fleet
// that does not compile with Microsoft's SARIF Multitool, and checks the
// results point at the findings.
func TestSARIFMultitool(t *testing.T) {
	findings := Run(testfleet.Profiles(t))
	_, err := testfleet.SourceDiags(t, "package fleet\nprofiles: a: proxy: \"a b:0\"\nprofiles: b: linux: proxy: \"https://x:1\"\n")
	compileErrs, _ := err.(diag.List)
	if len(compileErrs) != 2 {
		t.Fatalf("want 2 compile errors, got %v", err)
	}
	for name, l := range map[string]diag.List{"example": findings, "compile errors": compileErrs} {
		var b bytes.Buffer
		if err := Write(&b, "sarif", l); err != nil {
			t.Fatal(err)
		}
		if err := validators.SarifMultitool(t, b.Bytes()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		var log sarifLog
		if err := json.Unmarshal(b.Bytes(), &log); err != nil {
			t.Fatal(err)
		}
		res := log.Runs[0].Results
		if len(res) != len(l) {
			t.Fatalf("%s: %d results for %d findings", name, len(res), len(l))
		}
		for i, d := range l {
			r := res[i]
			if d.Rule != "" && r.RuleID != d.Rule || log.Runs[0].Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID ||
				r.Locations[0].PhysicalLocation.Region.StartLine != d.Pos.Line || r.Level != sarifLevel(d.Severity) {
				t.Errorf("%s: result %d = %+v for %s", name, i, r, d)
			}
		}
	}
	// The checker is not a rubber stamp: a line 0 and an absolute path
	// without a scheme are reported.
	var b bytes.Buffer
	Write(&b, "sarif", findings)
	for _, broken := range [][]byte{
		regexp.MustCompile(`"startLine": \d+`).ReplaceAll(b.Bytes(), []byte(`"startLine": 0`)),
		bytes.Replace(b.Bytes(), []byte(`"uri": "file:///`), []byte(`"uri": "/`), 1),
	} {
		if bytes.Equal(broken, b.Bytes()) {
			t.Fatal("the replacement did not apply")
		}
		if err := validators.SarifMultitool(t, broken); err == nil {
			t.Errorf("the Multitool accepted a broken log")
		}
	}
}

func TestGitHubAndJSON(t *testing.T) {
	l := diag.List{{Pos: diagPos("a,b:c.cue", 3, 4), Path: "profiles.x", Severity: diag.Warning, Rule: "MDE006", Msg: "50% off\nnext"}}
	var b bytes.Buffer
	Write(&b, "github", l)
	if want := "::warning file=a%2Cb%3Ac.cue,line=3,col=4,title=MDE006::profiles.x: 50%25 off%0Anext\n"; b.String() != want {
		t.Errorf("github:\n got %q\nwant %q", b.String(), want)
	}
	b.Reset()
	Write(&b, "json", l)
	var out []JSONFinding
	if err := json.Unmarshal(b.Bytes(), &out); err != nil || len(out) != 1 || out[0].Rule != "MDE006" || out[0].Line != 3 || out[0].Severity != "warning" {
		t.Errorf("json: %s (%v)", b.String(), err)
	}
}

// TestExampleFleetPassesStrict: the shipped example passes the README's own
// recommended `vet --strict`: its deliberate choices are silenced with reasons.
func TestExampleFleetPassesStrict(t *testing.T) {
	for _, d := range Run(testfleet.Profiles(t)) {
		if d.Severity != diag.Info {
			t.Errorf("%s", d)
		}
	}
}

package compile

import (
	"testing"

	"cuelang.org/go/cue/ast"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// TestSettingsTableCoversGrammar: every value setting of the intent language
// (the field table, which TestSchemaAgreesWithFieldTable ties to the schema)
// is a row of model.Settings, and every row is a setting of the language:
// explain, the README and vet cannot miss a setting, nor show one that does
// not exist.
func TestSettingsTableCoversGrammar(t *testing.T) {
	// proxy, pac and bypass are the profile-wide sources of the components'
	// settings, not effective settings of their own: each component setting
	// derived from one names it as its origin's Via.
	sources := map[model.Path]bool{model.PathProxy: true, model.PathPAC: true, model.PathBypass: true, model.PathLintIgnore: true}
	for _, f := range fieldTable {
		if f.kind == kindGroup || sources[model.Path(f.path)] {
			continue
		}
		if model.Lookup(model.Path(f.path)) == nil {
			t.Errorf("setting %s is in the grammar but not in model.Settings", f.path)
		}
	}
	for _, d := range model.Settings {
		if fields[string(d.Path)] == nil || sources[d.Path] {
			t.Errorf("model.Settings has %s, which the grammar does not", d.Path)
		}
	}
}

// TestQuoteLabelAgreesWithCUE: model cannot import CUE, so it writes labels
// with its own copy of CUE's identifier rule; this keeps the two in step.
func TestQuoteLabelAgreesWithCUE(t *testing.T) {
	for _, s := range []string{"hq", "dc-offline", "a.b", "x_1", "_hidden", "#def", "1abc", "abc1", "$x", "if", "for", "é", "a b", "Berlin", ""} {
		cueIdent := ast.IsValidIdent(s) && s != "" && s[0] != '_' && s[0] != '#'
		if model.QuoteLabel(s) == s != cueIdent {
			t.Errorf("QuoteLabel(%q) = %s; CUE identifier: %v", s, model.QuoteLabel(s), cueIdent)
		}
	}
}

// TestMMAProxyFallback: on MMA devices the agent is the sensor's channel, so
// its proxy is windows.mma.proxy, else the sensor's proxy, else proxy; and its
// origin says which.
func TestMMAProxyFallback(t *testing.T) {
	src := `package fleet
defaults: proxy: "proxy.example.com:8080"
profiles: {
	own: windows: mma: {enabled: true, proxy: "gw.example.com:8080"}
	edr: windows: {mma: enabled: true, edr: proxy: "sensor.example.com:3128"}
	plain: windows: mma: enabled: true
}
`
	ps := compileOK(t, writeFleet(t, map[string]string{"fleet.cue": src}))
	for name, want := range map[string]struct {
		proxy string
		via   model.Path
	}{
		"own":   {"gw.example.com:8080", ""},
		"edr":   {"sensor.example.com:3128", model.PathEDRProxy},
		"plain": {"proxy.example.com:8080", model.PathProxy},
	} {
		p := ps[name]
		if p.MMA.Proxy != want.proxy || p.Origins[model.PathMMAProxy].Via != want.via {
			t.Errorf("%s: MMA proxy %q via %q; want %q via %q", name, p.MMA.Proxy, p.Origins[model.PathMMAProxy].Via, want.proxy, want.via)
		}
	}
}

// TestGrammarRulesAreData: a rejection that is one of vet's documented traps
// carries its rule ID from the grammar, whatever the message's wording.
func TestGrammarRulesAreData(t *testing.T) {
	for _, c := range []struct {
		g     *grammar
		value string
		rule  string
	}{
		{&hostPortGrammar, "http://proxy:8080", diag.RuleScheme},
		{&proxyURLGrammar, "proxy:8080", diag.RuleScheme},
		{&proxyURLGrammar, "http://u:p@proxy:8080", diag.RuleAuthenticatedProxy},
		{&pacGrammar, "pac.example.com/x.pac", diag.RuleScheme},
		{&pacGrammar, "http://u:p@pac.example.com/x.pac", diag.RuleAuthenticatedProxy},
		{&hostPortGrammar, "proxy:99999", ""},
		{&hostPortGrammar, "proxy:8080", ""},
	} {
		if got := c.g.check(c.value); got.rule != c.rule {
			t.Errorf("%q: rule %q (%q); want %q", c.value, got.rule, got.msg, c.rule)
		}
	}
}

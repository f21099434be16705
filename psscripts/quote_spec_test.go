package psscripts_test

import (
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
	"github.com/mdeproxyc/mdeproxyc/psscripts"
)

// The tests in this file judge quoting with validators.PSVerbatimAt, a model
// of PowerShell's verbatim string literals written from the language
// specification, not from psscripts/quote.go: the tree-sitter grammar takes
// only the ASCII apostrophe for a quote, so a typographic quote that ends a
// literal on a real device is invisible to it.

// specQuotes are the specification's single-quote-characters, spelled out
// here rather than taken from the code under test.
var specQuotes = []string{"'", "\u2018", "\u2019", "\u201a", "\u201b"}

// hostileTexts are user texts that try to leave their literal: each
// single-quote-character alone, doubled, between text, next to each other
// kind, and carrying a statement; and double quotes, which mean nothing in a
// verbatim literal.
func hostileTexts() []string {
	out := []string{"", "plain", "\u201c\u201d\u201e\"", "$(calc)", "`n"}
	for _, q := range specQuotes {
		out = append(out, q, q+q, "a"+q+"b", q+"; Remove-Item C:\\ -Recurse; "+q, "O"+q+"Brien"+q)
		for _, r := range specQuotes {
			out = append(out, q+r, "x"+q+r+"y")
		}
	}
	return out
}

// TestPSQuoteEndsWhereTheSpecSays: each quoted text, read by the model from
// its opening quote, ends exactly where PSQuote's output ends and reads back
// as the text — alone, and followed by more script on the same line.
func TestPSQuoteEndsWhereTheSpecSays(t *testing.T) {
	for _, s := range hostileTexts() {
		q := psscripts.PSQuote(s)
		for _, src := range []string{q, q + "; $next = 'x'"} {
			v, end, err := validators.PSVerbatimAt(src, 0)
			if err != nil || v != s || end != len(q) {
				t.Errorf("%q quoted as %s: the specification reads %q, ending at byte %d of %d (%v)", s, q, v, end, len(q), err)
			}
		}
	}
}

// userTextKeys are the intent-block variables that carry user text, with
// where the text comes from.
var userTextKeys = map[string]string{
	"$GpoName":         "windows.gpo.name",
	"$GpoComment":      "description (the GPO's comment)",
	"$Links":           "windows.gpo.links",
	"$ApplicationName": "windows.configmgr.applicationName",
	"$Description":     "description (the ConfigMgr application's)",
	"$Publisher":       "organization",
}

// TestUserTextStaysInItsLiteral puts each hostile text in every free-text
// field of a profile and checks every .ps1 every emitter writes for it.
func TestUserTextStaysInItsLiteral(t *testing.T) {
	hq := testfleet.Profile(t, "hq")
	for _, s := range hostileTexts() {
		checkUserText(t, hq, s)
	}
}

// FuzzUserTextStaysInItsLiteral is TestUserTextStaysInItsLiteral for any text.
func FuzzUserTextStaysInItsLiteral(f *testing.F) {
	for _, s := range hostileTexts() {
		f.Add(s)
	}
	hq := testfleet.Profile(f, "hq")
	f.Fuzz(func(t *testing.T, s string) {
		if compile.TextProblem(s) != "" {
			return // the intent's text grammar refuses it (a newline, say): no fleet holds it
		}
		checkUserText(t, hq, s)
	})
}

// checkUserText renders a copy of the Windows profile base whose description, organization,
// Intune display name and description, ConfigMgr application name, GPO name
// and a GPO link are all s, and reads the data block of every .ps1 with the
// model: each variable of userTextKeys holds exactly s (the link list s and
// the example's own link), and no block ends early, runs on or holds a
// double quote. A script with no data block the test knows fails it, so a
// new script cannot go unchecked.
func checkUserText(t *testing.T, base *model.Profile, s string) {
	t.Helper()
	p := *base
	p.Description, p.Organization = s, s
	p.Intune.DisplayName, p.Intune.Description = s, s
	p.ConfigMgr.ApplicationName = s
	p.GPO.Name = s
	p.GPO.Links = []string{s, "OU=Servers,DC=contoso,DC=com"}
	seen := map[string]bool{}
	scripts := 0
	for _, e := range all.Emitters() {
		files, err := e.Emit(emitters.NewProfile(&p))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		for _, f := range files {
			if path.Ext(f.Path) != ".ps1" {
				continue
			}
			scripts++
			src := strings.TrimPrefix(string(f.Data), "\ufeff")
			var lits []validators.PSLiteral
			switch {
			case strings.Contains(src, validators.IntentStart):
				lits, err = validators.PSIntentLiterals(src)
			case path.Base(f.Path) == "Test-MdeConnectivity.ps1":
				lits, err = validators.PSBlockLiterals(src, "$Profile_ = ", "function Write-Result")
			default:
				t.Fatalf("%s: a script with no data block this test knows: its user text goes unchecked", f.Path)
			}
			if err != nil {
				t.Errorf("%q in %s: %v", s, f.Path, err)
				continue
			}
			values := map[string][]string{}
			for _, l := range lits {
				values[l.Key] = append(values[l.Key], l.Value)
			}
			for key, from := range userTextKeys {
				got, ok := values[key]
				if !ok {
					continue
				}
				seen[key] = true
				if key == "$Publisher" && s == "" {
					continue // an empty organization publishes as mdeproxyc
				}
				want := []string{s}
				if key == "$Links" {
					want = p.GPO.Links
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: %s (%s) reads %q per the PowerShell specification, want %q", f.Path, key, from, got, want)
				}
			}
		}
	}
	if scripts < 5 {
		t.Fatalf("only %d scripts for a Windows profile", scripts)
	}
	for key, from := range userTextKeys {
		if !seen[key] {
			t.Errorf("no script assigns %s (%s): the check of its quoting reads nothing", key, from)
		}
	}
}

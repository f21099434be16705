package compile

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// examples gives each string grammar of the schema one valid value, unlike
// any default, for TestEverySettingReachesTheModel. A new grammar needs one
// here: the test says so.
var examples = map[*grammar]string{
	&textGrammar:        "reach test text",
	&displayNameGrammar: "Reach test name",
	&hostPortGrammar:    "reach.example.com:3128",
	&proxyURLGrammar:    "http://reach.example.com:3128",
	&linuxURLGrammar:    "http://reach.example.com:3128",
	&pacGrammar:         "http://pac.example.com/reach.pac",
	&bypassGrammar:      "reach.example.com",
	&identifierGrammar:  "com.example.reach",
	// A reserved-range GUID, as no tenant's group has.
	&groupIDGrammar:           "00000000-0000-4000-8000-00000000beef",
	&assignmentTargetGrammar:  "allDevices",
	&distinguishedNameGrammar: "OU=Reach,DC=example,DC=com",
	&scopeTagGrammar:          "4242",
}

// candidates are the values TestEverySettingReachesTheModel writes for a field,
// as CUE source.
func candidates(t *testing.T, f field) []string {
	if f.kind == kindBool {
		return []string{"true", "false"}
	}
	// An enum's allowed text is its values, quoted, joined by " or ".
	var values []string
	for _, part := range strings.Split(f.grammar.allowed, " or ") {
		v, err := strconv.Unquote(part)
		if err != nil {
			values = nil
			break
		}
		values = append(values, v)
	}
	if len(values) == 0 {
		ex, ok := examples[f.grammar]
		if !ok {
			t.Fatalf("%s: no example value for its grammar (%s): add one to examples", f.path, f.grammar.allowed)
		}
		values = []string{ex}
	}
	var out []string
	for _, v := range values {
		if f.kind == kindStringList {
			out = append(out, "["+strconv.Quote(v)+"]")
		} else {
			out = append(out, strconv.Quote(v))
		}
	}
	return out
}

// TestEverySettingReachesTheModel: writing any setting of the grammar changes
// the profile's settings table. A field added to the schema but never copied
// into the model (so that it reaches no artifact, silently) fails here.
func TestEverySettingReachesTheModel(t *testing.T) {
	const base = "package fleet\ndefaults: proxy: \"proxy.example.com:8080\"\nprofiles: p: {%s}\n"
	table := func(src string) (string, bool) {
		ps, diags := Dir(writeFleet(t, map[string]string{"f.cue": src}), Options{})
		if len(diags) > 0 {
			return diags.Error(), false
		}
		var b strings.Builder
		for _, s := range ps[0].Table() {
			fmt.Fprintf(&b, "%s=%q\n", s.Path, s.Text)
		}
		return b.String(), true
	}
	plain, ok := table(fmt.Sprintf(base, ""))
	if !ok {
		t.Fatal(plain)
	}
	n := 0
	for _, f := range fieldTable {
		if f.kind == kindGroup || f.kind == kindIgnoreList {
			continue
		}
		n++
		t.Run(f.path, func(t *testing.T) {
			var tried []string
			for _, v := range candidates(t, f) {
				got, ok := table(fmt.Sprintf(base, strings.ReplaceAll(f.path, ".", ": ")+": "+v))
				tried = append(tried, v)
				if ok && got != plain {
					return
				}
			}
			t.Errorf("writing %s (tried %s) changes no setting of the profile: the value reaches no artifact", f.path, strings.Join(tried, ", "))
		})
	}
	if n < 25 {
		t.Fatalf("only %d settings tried", n)
	}
}

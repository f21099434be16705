package compile

import (
	"slices"
	"strings"
	"testing"
)

// TestScopeTags: intune.scopeTags reach the model as written; an ID that is
// not decimal digits is an error naming file:line, the path and what is
// allowed, and the schema and the Go grammar agree on it.
func TestScopeTags(t *testing.T) {
	src := "package fleet\nprofiles: x: {proxy: \"p.example.com:1\", intune: scopeTags: [\"0\", \"42\"]}\n"
	ps, diags := Dir(writeFleet(t, map[string]string{"fleet.cue": src}), Options{})
	if len(diags) > 0 || len(ps) != 1 || !slices.Equal(ps[0].Intune.ScopeTags, []string{"0", "42"}) {
		t.Fatalf("%v %s", diags, ps[0].Intune.ScopeTags)
	}
	for _, bad := range []string{"Default", "-1", "1/../x", "", "12345678901", " 7"} {
		src := "package fleet\nprofiles: x: {proxy: \"p.example.com:1\", intune: scopeTags: [\"" + bad + "\"]}\n"
		_, diags := Dir(writeFleet(t, map[string]string{"fleet.cue": src}), Options{})
		got := diags.Error()
		if len(diags) == 0 || !strings.Contains(got, "intune.scopeTags") || !strings.Contains(got, "fleet.cue:2:") || !strings.Contains(got, "decimal digits") {
			t.Errorf("scopeTags [%q]: %s", bad, got)
		}
		if schemaAccepts(t, "#ScopeTagID", bad) {
			t.Errorf("the schema accepts %q, which the grammar rejects", bad)
		}
	}
}

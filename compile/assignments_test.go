package compile

import (
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/model"
)

// TestIntuneAssignments: include and exclude are inherited like any list,
// GUIDs are lower-cased (Graph lists assignments in lower case), and
// "allDevices" keeps its spelling.
func TestIntuneAssignments(t *testing.T) {
	src := `package fleet
defaults: {
	proxy: "proxy.example.com:8080"
	intune: assignments: exclude: ["0B7E6C2D-5A41-4F8E-9D3C-1E2F3A4B5C6D"]
}
profiles: {
	a: intune: assignments: include: ["allDevices"]
	b: intune: assignments: {include: ["3f1c2a4e-8b6d-4e2f-9a1c-5d7e8f901234"], exclude: []}
	c: {}
}
`
	ps := compileOK(t, writeFleet(t, map[string]string{"fleet.cue": src}))
	ex := []string{"0b7e6c2d-5a41-4f8e-9d3c-1e2f3a4b5c6d"}
	for name, want := range map[string][2][]string{
		"a": {{model.AllDevices}, ex},
		"b": {{"3f1c2a4e-8b6d-4e2f-9a1c-5d7e8f901234"}, {}},
		"c": {nil, ex},
	} {
		p := ps[name]
		if !slices.Equal(p.Intune.Include, want[0]) || !slices.Equal(p.Intune.Exclude, want[1]) {
			t.Errorf("%s: include %q exclude %q; want %q %q", name, p.Intune.Include, p.Intune.Exclude, want[0], want[1])
		}
	}
	if s := ps["a"].Get(model.PathIntuneExclude); !s.Origin.FromDefaults || s.Text != ex[0] {
		t.Errorf("a's exclude: %+v", s)
	}
}

// TestIntuneAssignmentsRejected: a group is named by its object ID, and
// "allDevices" cannot be excluded; the message says what is allowed.
func TestIntuneAssignmentsRejected(t *testing.T) {
	for _, c := range []struct{ setting, value, want string }{
		{"include", `"Domain controllers"`, "neither a GUID nor"},
		{"include", `"alldevices"`, `is spelled "allDevices"`},
		{"include", `"{3f1c2a4e-8b6d-4e2f-9a1c-5d7e8f901234}"`, "neither a GUID nor"},
		{"exclude", `"allDevices"`, "not a GUID"},
		{"include", `"3f1c2a4e-8b6d-4e2f-9a1c-5d7e8f901234", "3f1c2a4e-8b6d-4e2f-9a1c-5d7e8f901234"`, "duplicate"},
	} {
		src := "package fleet\nprofiles: x: {proxy: \"p.example.com:1\", intune: assignments: " + c.setting + ": [" + c.value + "]}\n"
		_, diags := Dir(writeFleet(t, map[string]string{"fleet.cue": src}), Options{})
		got := diags.Error()
		if len(diags) == 0 || !strings.Contains(got, c.want) || !strings.Contains(got, "intune.assignments."+c.setting) || !strings.Contains(got, "fleet.cue:2:") {
			t.Errorf("%s: [%s]: %s", c.setting, c.value, got)
		}
	}
}

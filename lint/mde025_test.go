package lint

import (
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
)

// TestOverlappingAssignments (MDE025): a group included by two profiles,
// allDevices beside another profile's include that it does not exclude, and
// a group a profile both includes and excludes are warnings naming the
// profiles and the group; the usual pattern — allDevices minus the groups
// other profiles take — is not.
func TestOverlappingAssignments(t *testing.T) {
	const (
		g1 = "11111111-1111-4111-8111-111111111111"
		g2 = "22222222-2222-4222-8222-222222222222"
		g3 = "33333333-3333-4333-8333-333333333333"
	)
	for _, c := range []struct {
		name, profiles string
		want           []string
	}{
		{"a group twice", `
	a: {proxy: "a.contoso.com:8080", intune: assignments: include: ["` + g1 + `"]}
	b: {proxy: "b.contoso.com:8080", intune: assignments: include: ["` + g2 + `", "` + g1 + `"]}`,
			[]string{"profiles.b.intune.assignments.include: profiles a and b are both assigned to group " + g1}},
		{"allDevices beside a group", `
	a: {proxy: "a.contoso.com:8080", intune: assignments: include: ["allDevices"]}
	b: {proxy: "b.contoso.com:8080", intune: assignments: include: ["` + g2 + `"]}`,
			[]string{"profiles.b.intune.assignments.include: profiles a and b are both assigned to group " + g2 + " (a includes allDevices)"}},
		{"a group beside allDevices", `
	a: {proxy: "a.contoso.com:8080", intune: assignments: include: ["` + g2 + `"]}
	b: {proxy: "b.contoso.com:8080", intune: assignments: {include: ["allDevices"], exclude: ["` + g1 + `"]}}`,
			[]string{"profiles.b.intune.assignments.include: profiles a and b are both assigned to group " + g2 + " (b includes allDevices)"}},
		{"allDevices twice", `
	a: {proxy: "a.contoso.com:8080", intune: assignments: {include: ["allDevices"], exclude: ["` + g3 + `"]}}
	b: {proxy: "b.contoso.com:8080", intune: assignments: include: ["allDevices"]}`,
			[]string{"profiles.b.intune.assignments.include: profiles a and b are both assigned to allDevices"}},
		{"included and excluded", `
	a: {proxy: "a.contoso.com:8080", intune: assignments: {include: ["` + g1 + `"], exclude: ["` + g1 + `"]}}`,
			[]string{"profiles.a.intune.assignments.exclude: profile a includes and excludes group " + g1}},
		{"allDevices minus the others' groups", `
	a: {proxy: "a.contoso.com:8080", intune: assignments: {include: ["allDevices"], exclude: ["` + g1 + `", "` + g2 + `"]}}
	b: {proxy: "b.contoso.com:8080", intune: assignments: include: ["` + g1 + `"]}
	c: {proxy: "c.contoso.com:8080", intune: assignments: include: ["` + g2 + `"]}
	d: {proxy: "d.contoso.com:8080", platforms: ["linux"], intune: assignments: include: ["` + g2 + `"]}`,
			nil},
		{"a group, then allDevices minus it", `
	a: {proxy: "a.contoso.com:8080", intune: assignments: include: ["` + g1 + `"]}
	b: {proxy: "b.contoso.com:8080", intune: assignments: {include: ["allDevices"], exclude: ["` + g1 + `"]}}`,
			nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ps := testfleet.Source(t, "package fleet\nprofiles: {"+c.profiles+"\n}\n")
			var got []string
			for _, d := range Run(ps) {
				if d.Rule == "MDE025" {
					if d.Severity.String() != "warning" {
						t.Errorf("%s is not a warning", d)
					}
					got = append(got, d.Path+": "+d.Msg)
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("MDE025 findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			for _, w := range c.want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
					t.Errorf("MDE025 findings:\n%s\nwant one starting %q", strings.Join(got, "\n"), w)
				}
			}
		})
	}
}

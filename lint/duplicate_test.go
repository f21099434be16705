package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/compile"
	"github.com/mdeproxyc/mdeproxyc/diag"
)

// TestProfileInSeveralFiles: a profile written in two files is a warning
// (MDE030, so vet --strict fails) at the later place, naming every place;
// the profile's lint.ignore with a reason silences it, and an ignore of
// MDE030 in a profile written once silences nothing, which vet says.
func TestProfileInSeveralFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.cue": `package fleet
defaults: proxy: "proxy.contoso.com:8080"
profiles: hq: description: "Headquarters"
profiles: split: {description: "Split on purpose", lint: ignore: [{rule: "MDE030", reason: "policy lives in b.cue"}]}
profiles: solo: {description: "Solo", lint: ignore: [{rule: "MDE030", reason: "none"}]}
`,
		"b.cue": `package fleet
profiles: hq: offline: true
profiles: split: offline: true
`,
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ps, errs := compile.Dir(dir, compile.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, d := range Run(ps) {
		if d.Rule == "MDE030" || strings.Contains(d.Msg, "MDE030") {
			got = append(got, d.String())
		}
	}
	a, b := filepath.Join(dir, "a.cue"), filepath.Join(dir, "b.cue")
	want := []string{
		a + ":5:54: note: profiles.solo.lint.ignore: the ignore of MDE030 silences nothing in this profile: remove it",
		b + ":2:11: warning: MDE030: profiles.hq: profile \"hq\" is defined in 2 places: " + a + ":3:11, " + b + ":2:11; CUE merges them into one profile (a conflict between them is an error): keep one, or silence this with lint.ignore and a reason if the split is deliberate",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := Lookup("MDE030"); r == nil || r.Severity != diag.Warning || r.Compile {
		t.Errorf("MDE030 is %+v, want a warning lint.ignore can silence", r)
	}
}

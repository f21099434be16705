package psscripts

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// goldenDir is the example fleet's golden bundle.
const goldenDir = "../testdata/golden"

// allScripts returns every .ps1 of the golden bundle and the script sources
// of this folder (Set and Test with Common.ps1 spliced in, as rendered), by name.
func allScripts(t *testing.T) (names []string, data [][]byte) {
	t.Helper()
	err := filepath.WalkDir(goldenDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".ps1") {
			return err
		}
		b, err := os.ReadFile(path)
		names, data = append(names, path), append(data, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 20 {
		t.Fatalf("%d .ps1 files under %s: the walk found too few", len(names), goldenDir)
	}
	for name, src := range map[string]string{
		"Set-MdeProxy.ps1 (source)":              withCommon("Set-MdeProxy.ps1", setSource),
		"Test-MdeProxy.ps1 (source)":             withCommon("Test-MdeProxy.ps1", testSource),
		"Detect-MdeProxy-ConfigMgr.ps1 (source)": detectSource,
		"Common.ps1 (source)":                    commonSource,
	} {
		names, data = append(names, name), append(data, []byte(src))
	}
	return names, data
}

// TestNoOutputLeaks: in every script, no function whose result is used as a
// value writes anything else to the output stream (about_Return), directly or
// through a function it calls without capturing the output; and every result
// of a function that can return $null is tested before it is used.
func TestNoOutputLeaks(t *testing.T) {
	names, data := allScripts(t)
	trees := validators.ParsePowerShellTree(t, data...)
	uses := 0
	for i := range trees {
		p := newProgram(&trees[i])
		uses += len(p.valueUses())
		for _, l := range outputLeaks(&trees[i]) {
			t.Errorf("%s: %s", names[i], l)
		}
		for _, l := range nullRules(&trees[i]) {
			if !strings.Contains(l, "the scan found too few") {
				t.Errorf("%s: %s", names[i], l)
			}
		}
	}
	if uses < len(trees) {
		t.Errorf("%d value uses of script functions in %d scripts: the scan found too few", uses, len(trees))
	}
}

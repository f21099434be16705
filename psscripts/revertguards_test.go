package psscripts

import (
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// TestUndoRemovesCreatedKeys: the model's undo removes the keys an apply
// created (undo_test.go), and so must the script: Set-MdeProxy.ps1 removes,
// with Remove-Item, the loop variable of a foreach over the record's
// CreatedKeys. Read from the parse tree, as the model does not run the script.
func TestUndoRemovesCreatedKeys(t *testing.T) {
	f := validators.ParsePowerShell(t, setScript(testfleet.Profile(t, "hq")))[0]
	for _, c := range f.Commands {
		if c.Name != "Remove-Item" {
			continue
		}
		for _, l := range c.Loops {
			if strings.Contains(l.Collection, "$State.CreatedKeys") && slices.ContainsFunc(c.Args, func(a validators.PSValue) bool { return strings.HasSuffix(a.Raw(), ":\""+l.Variable+"\"") }) {
				return
			}
		}
	}
	t.Error("no Remove-Item of the loop variable of a foreach over $State.CreatedKeys: -Undo would leave the keys an apply created")
}

// TestUndoLeavesUnreadAgent: an agent whose proxy was not read before the
// first apply is left as is by -Undo (no SetProxyInfo with a guessed proxy), as
// the model's undo does: in Restore-Mma, a statement testing $Prior.Readable
// returns before the one calling Set-MmaProxy.
func TestUndoLeavesUnreadAgent(t *testing.T) {
	tree := validators.ParsePowerShellTree(t, setScript(testfleet.Profile(t, "hq")))[0]
	p := newProgram(&tree)
	guard, set := 0, 0
	for _, st := range body(p.funcs["restore-mma"]) {
		if cond := st.Child("pipeline"); st.Type == "if_statement" && cond != nil && set == 0 &&
			strings.Contains(cond.Source(), "-not") && strings.Contains(cond.Source(), "Readable") && strings.Contains(st.Source(), "return") {
			guard = st.Line
		}
		if strings.Contains(st.Source(), "Set-MmaProxy") {
			set = st.Line
		}
	}
	if guard == 0 || set == 0 {
		t.Errorf("Restore-Mma calls Set-MmaProxy (line %d) without first returning when the prior proxy was not read (guard line %d)", set, guard)
	}
}

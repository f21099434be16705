package bundle

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRemoveStale: a temporary folder a killed build left a day ago is removed;
// one a running build may be using is not.
func TestRemoveStale(t *testing.T) {
	parent := t.TempDir()
	old := filepath.Join(parent, tempPrefix+"old")
	fresh := filepath.Join(parent, tempPrefix+"fresh")
	other := filepath.Join(parent, "keep")
	for _, d := range []string{old, fresh, other} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-48 * time.Hour)
	os.Chtimes(old, past, past)
	os.Chtimes(other, past, past)
	removeStale(parent)
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Error("a day-old temporary folder was kept")
	}
	for _, d := range []string{fresh, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed", d)
		}
	}
}

package fleetgen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/compile"
)

// TestGeneratedFleetCompiles: a generated fleet is valid and has every profile.
func TestGeneratedFleetCompiles(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := Write(&buf, 500); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fleet.cue"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, diags := compile.Dir(dir, compile.Options{})
	if len(diags) > 0 {
		t.Fatal(diags.Error())
	}
	if len(ps) != 500 {
		t.Fatalf("got %d profiles", len(ps))
	}
	modes := map[string]int{}
	for _, p := range ps {
		modes[string(p.Mode)]++
	}
	if modes["auto"] == 0 || modes["static"] == 0 {
		t.Errorf("no variety: %v", modes)
	}
	var again bytes.Buffer
	Write(&again, 500)
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("generator is not deterministic")
	}
}

// BenchmarkCompile measures compile.Dir per profile on a 2,000-profile fleet.
func BenchmarkCompile(b *testing.B) {
	dir := b.TempDir()
	var buf bytes.Buffer
	Write(&buf, 2000)
	os.WriteFile(filepath.Join(dir, "fleet.cue"), buf.Bytes(), 0o644)
	b.ResetTimer()
	for range b.N {
		if _, diags := compile.Dir(dir, compile.Options{}); len(diags) > 0 {
			b.Fatal(diags.Error())
		}
	}
}

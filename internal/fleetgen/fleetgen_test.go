package fleetgen

import (
	"runtime"

	"bytes"
	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"os"
	"path/filepath"
	"strings"
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

// TestEveryKindAtLargeIndices: every kind of profile stays valid at the indices
// where generated numbers grow (a 100k fleet once produced an invalid IPv6).
func TestEveryKindAtLargeIndices(t *testing.T) {
	var b strings.Builder
	b.WriteString("package fleet\ndefaults: proxy: \"p.contoso.com:8080\"\nprofiles: {\n")
	for kind := range kinds {
		for _, i := range []int{kind, 65535 - kind, 65536 + kind, 1<<20 + kind, 999999 - kind} {
			writeProfile(&b, kind, i)
		}
	}
	b.WriteString("}\n")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fleet.cue"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if ps, diags := compile.Dir(dir, compile.Options{}); len(diags) > 0 || len(ps) != kinds*5 {
		t.Fatalf("%d profiles; %s", len(ps), diags.Error())
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

// discard is a bundle sink that keeps nothing: the benchmark measures the
// emitters and the pipeline, not a file system.
type discard struct{}

func (discard) Put(bundle.File) error { return nil }

// BenchmarkEmit measures the whole emitter pipeline (every emitter, each
// profile's README and the manifest) over 2,000 generated profiles, on one
// goroutine so that the figure is CPU spent rather than wall time.
func BenchmarkEmit(b *testing.B) {
	dir := b.TempDir()
	var buf bytes.Buffer
	Write(&buf, 2000)
	os.WriteFile(filepath.Join(dir, "fleet.cue"), buf.Bytes(), 0o644)
	ps, diags := compile.Dir(dir, compile.Options{})
	if len(diags) > 0 {
		b.Fatal(diags.Error())
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	b.ResetTimer()
	for range b.N {
		if _, err := bundle.Build(ps, all.Emitters(), discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

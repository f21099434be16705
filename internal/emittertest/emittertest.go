// Package emittertest holds what every emitter's tests share: the comparison
// of its files for the example fleet with the golden bundle.
package emittertest

import (
	"path"
	"path/filepath"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/internal/golden"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
)

// GoldenDir is the example fleet's golden bundle.
func GoldenDir() string {
	return filepath.Join(testfleet.Dir(), "..", "..", "testdata", "golden", "contoso")
}

// CheckEmitter compares, byte for byte, what one emitter writes for every
// profile of the example fleet with the golden bundle's copy of those files: a
// change to an emitter is reported (and, with golden.Env set, rewritten) by
// that emitter's own tests, one bounded diff per file. The golden bundle's
// whole-tree test still catches files no emitter claims.
func CheckEmitter(t *testing.T, e emitters.Emitter) {
	t.Helper()
	n := 0
	for _, p := range testfleet.Profiles(t) {
		files, err := e.Emit(emitters.NewProfile(p))
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		for _, f := range files {
			golden.Check(t, filepath.Join(GoldenDir(), filepath.FromSlash(path.Join(p.Name, f.Path))), f.Data)
			n++
		}
	}
	if n == 0 {
		t.Fatalf("emitter %s wrote no file for the example fleet: nothing was compared", e.Name())
	}
}

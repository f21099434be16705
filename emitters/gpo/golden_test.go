package gpo

import (
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/emittertest"
)

// TestGolden compares this emitter's files for the example fleet with the
// golden bundle, byte for byte.
func TestGolden(t *testing.T) { emittertest.CheckEmitter(t, Emitter{}) }

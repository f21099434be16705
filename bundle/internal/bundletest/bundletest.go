// Package bundletest holds what the tests of bundle and its packages share:
// a small emitter and helpers that spoil a bundle on disk.
package bundletest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// TwoFiles is an emitter that writes two files a profile, one in a
// subfolder, and a fleet-level file naming every profile's description.
type TwoFiles struct{}

// Name implements emitters.Emitter.
func (TwoFiles) Name() string { return "two" }

// Summary implements emitters.Emitter.
func (TwoFiles) Summary() string { return "two files" }

// Emit implements emitters.Emitter.
func (TwoFiles) Emit(p *emitters.Profile) ([]emitters.File, error) {
	return []emitters.File{
		{Path: "top.txt", Data: []byte("profile " + p.Name + "\n")},
		{Path: "sub/deep/leaf.txt", Data: []byte(p.Description + "\n")},
	}, nil
}

// EmitFleet implements emitters.FleetEmitter.
func (TwoFiles) EmitFleet(ps []*model.Profile) (emitters.FleetFiles, error) {
	var b bytes.Buffer
	for _, p := range ps {
		b.WriteString(p.Name + ": " + p.Description + "\n")
	}
	return emitters.FleetFiles{Parts: 1, Part: func(int) []emitters.File {
		return []emitters.File{{Path: "proxy/all.txt", Data: b.Bytes()}}
	}}, nil
}

// Write writes data to the slash path rel below root as a new file, making
// its folders: not the old file edited, since a bundle's files may be hard
// links shared with the previous bundle.
func Write(t testing.TB, root, rel, data string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(p)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Remove removes the slash path rel below root.
func Remove(t testing.TB, root, rel string) {
	t.Helper()
	if err := os.Remove(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
		t.Fatal(err)
	}
}

// WriteSecret writes a secret outside any bundle and returns its path: what
// a symlink in a hostile bundle points at, which no output may show.
func WriteSecret(t testing.TB) string {
	t.Helper()
	secret := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(secret, []byte("root:SECRET-HASH:19000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return secret
}

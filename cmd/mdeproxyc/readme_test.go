package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEExamplePassesStrictVet: the fleet the README shows first, as a
// new user would paste it, passes vet --strict.
func TestREADMEExamplePassesStrictVet(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "## The intent language")
	if !ok {
		t.Fatal("README.md has no section \"The intent language\"")
	}
	_, block, ok := strings.Cut(section, "```cue\n")
	if !ok {
		t.Fatal("no cue block in \"The intent language\"")
	}
	block, _, _ = strings.Cut(block, "```")
	if !strings.HasPrefix(block, "package ") {
		t.Fatalf("the first cue block is not a whole file:\n%s", block)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fleet.cue"), []byte(block), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"vet", "--strict", dir}, &stdout, &stderr); code != exitOK {
		t.Fatalf("vet --strict exits %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "5 profiles: 0 errors, 0 warnings") {
		t.Errorf("vet: %s", stderr.String())
	}
}

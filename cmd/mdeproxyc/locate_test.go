package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEmitterErrorNamesThePlace: an emitter knows values, not where they are
// written; its error about a setting (a WinHTTP bypass list over cmd.exe's
// line limit) reaches the user with the file:line:col of the setting, which
// the bundle adds from the profile's provenance.
func TestEmitterErrorNamesThePlace(t *testing.T) {
	dir := t.TempDir()
	var bypass []string
	for i := range 350 {
		bypass = append(bypass, fmt.Sprintf("%q", fmt.Sprintf("host%04d.corp.example.com", i)))
	}
	src := "package fleet\n\nprofiles: big: {\n\tplatforms: [\"windows\"]\n\tproxy: \"p.example.com:8080\"\n\twindows: winhttp: {enabled: true, bypass: [" +
		strings.Join(bypass, ", ") + "]}\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "f.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	// Only the winhttp emitter: another limit (the detection script's) stops a
	// full build first.
	code, out := runCLI("build", dir, "-o", filepath.Join(dir, "out"), "-t", "winhttp")
	want := regexp.MustCompile(`f\.cue:6:\d+: profiles\.big\.windows\.winhttp\.bypass: windows/winhttp-set\.cmd would hold a command line of \d+ characters`)
	if code == 0 || !want.MatchString(out) {
		t.Fatalf("exit %d, output:\n%s\nwant a match for %s", code, out, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("the failed build wrote a bundle")
	}
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// goreleaserConfig is the part of .goreleaser.yaml the release promises:
// which platforms get archives, in which format, with what checksum and
// SBOM, and how the version is stamped.
type goreleaserConfig struct {
	Builds []struct {
		Main    string   `yaml:"main"`
		Goos    []string `yaml:"goos"`
		Goarch  []string `yaml:"goarch"`
		Ldflags []string `yaml:"ldflags"`
	} `yaml:"builds"`
	Archives []struct {
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
	} `yaml:"archives"`
	Checksum struct {
		Algorithm string `yaml:"algorithm"`
	} `yaml:"checksum"`
	Sboms []struct {
		Artifacts string `yaml:"artifacts"`
	} `yaml:"sboms"`
}

func readGoreleaser(t *testing.T) goreleaserConfig {
	t.Helper()
	data, err := os.ReadFile("../../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c goreleaserConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Builds) != 1 || len(c.Archives) != 1 {
		t.Fatalf("%d builds, %d archives; want one of each", len(c.Builds), len(c.Archives))
	}
	return c
}

// TestGoreleaserPromises: archives for Linux, macOS and Windows on amd64
// and arm64, zip on Windows, SHA-256 checksums and an SBOM per archive.
// (`goreleaser check` in .ci/run checks the rest of the schema.)
func TestGoreleaserPromises(t *testing.T) {
	c := readGoreleaser(t)
	b, a := c.Builds[0], c.Archives[0]
	for _, os := range []string{"linux", "darwin", "windows"} {
		if !slices.Contains(b.Goos, os) {
			t.Errorf("no %s build", os)
		}
	}
	for _, arch := range []string{"amd64", "arm64"} {
		if !slices.Contains(b.Goarch, arch) {
			t.Errorf("no %s build", arch)
		}
	}
	if b.Main != "./cmd/mdeproxyc" {
		t.Errorf("main %q", b.Main)
	}
	windowsZip := slices.ContainsFunc(a.FormatOverrides, func(o struct {
		Goos    string   `yaml:"goos"`
		Formats []string `yaml:"formats"`
	}) bool {
		return o.Goos == "windows" && slices.Equal(o.Formats, []string{"zip"})
	})
	if !windowsZip || !slices.Equal(a.Formats, []string{"tar.gz"}) {
		t.Errorf("archive formats %v, overrides %+v; want tar.gz, zip on Windows", a.Formats, a.FormatOverrides)
	}
	if c.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum algorithm %q", c.Checksum.Algorithm)
	}
	if len(c.Sboms) != 1 || c.Sboms[0].Artifacts != "archive" {
		t.Errorf("sboms %+v; want one per archive", c.Sboms)
	}
}

// TestReleaseStamp builds mdeproxyc with the release's own -ldflags (the
// templates filled in as GoReleaser would) and reads the tag and commit back
// from `mdeproxyc version`: a renamed variable would otherwise be stamped
// silently into nothing.
func TestReleaseStamp(t *testing.T) {
	validators.Slow(t, "builds mdeproxyc")
	c := readGoreleaser(t)
	const tag, commit = "0.1.0", "0123456789abcdef0123456789abcdef01234567"
	flags := strings.NewReplacer("{{ .Version }}", tag, "{{ .FullCommit }}", commit).Replace(strings.Join(c.Builds[0].Ldflags, " "))
	if strings.Contains(flags, "{{") {
		t.Fatalf("ldflags use a template this test does not fill in: %s", flags)
	}
	bin := filepath.Join(t.TempDir(), "mdeproxyc")
	// -buildvcs=false: the commit must come from the stamp, not from Git.
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-ldflags", flags, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mdeproxyc 0.1.0\n", "release: " + tag + "\n", "commit: " + commit + "\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("version prints:\n%s\nwant a line %q", out, want)
		}
	}
}

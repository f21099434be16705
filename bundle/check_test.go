package bundle

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/bundle/outdir"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// upperDecoder stands for a format package's Decoder: it handles .up files.
type upperDecoder struct{}

func (upperDecoder) Readable(path string, data []byte) (string, string, bool) {
	if !strings.HasSuffix(path, ".up") {
		return "", "", false
	}
	return strings.ToUpper(string(data)), "(shown upper-cased)", true
}

// TestTextDiff: a .reg diff shows values, a format a Decoder knows is shown
// decoded, other binary content and text with control characters are only named.
func TestTextDiff(t *testing.T) {
	c := &checker{decoders: []Decoder{upperDecoder{}}}
	utf16 := func(s string) []byte {
		b := []byte{0xFF, 0xFE}
		for _, r := range s {
			b = append(b, byte(r), 0)
		}
		return b
	}
	d := string(c.textDiff("a/x.reg", utf16("\"A\"=\"1\"\r\n"), "b/x.reg", utf16("\"A\"=\"2\"\r\n")))
	if !strings.HasPrefix(d, "(UTF-16LE shown as UTF-8)\n") || !strings.Contains(d, "+\"A\"=\"2\"") {
		t.Errorf(".reg diff:\n%s", d)
	}
	d = string(c.textDiff("a/x.up", []byte("one\n"), "b/x.up", []byte("two\n")))
	if !strings.HasPrefix(d, "(shown upper-cased)\n") || !strings.Contains(d, "+TWO") {
		t.Errorf("decoded diff:\n%s", d)
	}
	if d = string(c.textDiff("a/x.bin", []byte{0, 1}, "b/x.bin", []byte{0, 2})); d != "Binary files a/x.bin and b/x.bin differ\n" {
		t.Errorf("binary diff: %q", d)
	}
	// An escape sequence or a lone CR from a hostile bundle never reaches a terminal.
	for _, hostile := range []string{"a\x1b[2Jb\n", "x\r::warning::y\n", "a\u202eb\n"} {
		if d = string(c.textDiff("a/x.txt", []byte(hostile), "b/x.txt", []byte("ok\n"))); d != "Binary files a/x.txt and b/x.txt differ\n" {
			t.Errorf("%q diffs as %q", hostile, d)
		}
	}
	// A file name holding a newline is quoted in the header.
	if d = string(c.textDiff("a/x\n::error::y", []byte("1\n"), "/dev/null", nil)); strings.Contains(d, "\n::") {
		t.Errorf("a newline in a name reached the diff: %q", d)
	}
}

// TestPrintable: names with control or format characters are quoted.
func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"hq/README.md": "hq/README.md",
		"a\nb":         `"a\nb"`,
		"a\u202eb":     `"a\u202eb"`,
		"caf\u00e9":    "caf\u00e9",
	} {
		if got := outdir.Printable(in); got != want {
			t.Errorf("outdir.Printable(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestIntuneScriptLimit: a Graph body whose script decodes to more than
// 200,000 bytes fails the build, naming the profile and the file.
func TestIntuneScriptLimit(t *testing.T) {
	body := func(n int) []byte {
		return []byte(`{"displayName": "x", "scriptContent": "` + base64.StdEncoding.EncodeToString(make([]byte, n)) + `"}`)
	}
	f := File{Path: "berlin/windows/intune/platform-script.json", Profile: "berlin", Target: "intune", Data: body(maxIntuneScript)}
	if err := checkIntuneScripts(f); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	f.Data = body(maxIntuneScript + 1)
	err := checkIntuneScripts(f)
	if err == nil || !strings.Contains(err.Error(), "profile berlin: intune: berlin/windows/intune/platform-script.json: the script in scriptContent is 200001 bytes, over the 200000 bytes Intune accepts") {
		t.Errorf("over the limit: %v", err)
	}
	if err := (&folder{root: t.TempDir()}).Put(f); err == nil {
		t.Error("the folder sink wrote an oversized script")
	}
	f.Target = "readme"
	if err := checkIntuneScripts(f); err != nil {
		t.Errorf("another target: %v", err)
	}
}

// TestCheckShowsNewFiles: in a bundle, a file a build would add is shown in
// full, as a removed one is; against a folder that holds no bundle yet, each
// file is only named (the whole bundle would be printed).
func TestCheckShowsNewFiles(t *testing.T) {
	list := []emitters.Emitter{twoFiles{}}
	profiles := []*model.Profile{{Name: "a", Description: "first line"}}
	out := filepath.Join(t.TempDir(), "out")
	empty, err := Check(out, profiles, list)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(empty), "+++ b/a/sub/deep/leaf.txt\nnew file, 11 bytes\n") || strings.Contains(string(empty), "+first line") {
		t.Errorf("against no bundle:\n%s", empty)
	}
	if _, err := Update(context.Background(), out, profiles, list, Options{}); err != nil {
		t.Fatal(err)
	}
	remove(t, out, "a/sub/deep/leaf.txt")
	d, err := Check(out, profiles, list)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(d), "--- /dev/null\n+++ b/a/sub/deep/leaf.txt\n") || !strings.Contains(string(d), "\n+first line\n") {
		t.Errorf("a file missing from a bundle:\n%s", d)
	}
}

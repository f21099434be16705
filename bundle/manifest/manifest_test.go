package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// TestEncodeChunksMatchMarshalIndent: the manifest encoded in chunks, as the
// up-to-date check compares it, is json.MarshalIndent's bytes, for a manifest
// larger than one chunk.
func TestEncodeChunksMatchMarshalIndent(t *testing.T) {
	m := &Manifest{Tool: ToolName, Version: "v<1>", Fleet: "sha256:x"}
	for i := range 2000 {
		name := string(rune('a'+i%26)) + "-\u00e9&" + string(rune('0'+i%10))
		m.Profiles = append(m.Profiles, Profile{Name: name, Digest: "d"})
		m.Files = append(m.Files, Entry{Path: name + "/f.txt", Profile: name, Target: "t", Size: i, SHA256: Hash{byte(i), 0xab}, Executable: i%3 == 0})
	}
	// Encode writes the checksum it computes; MarshalIndent, the field.
	m.Checksum = m.Sum()
	if !strings.HasPrefix(m.Checksum, "sha256:") || len(m.Checksum) != len("sha256:")+64 {
		t.Fatalf("checksum %q", m.Checksum)
	}
	want, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	var chunks int
	var got []byte
	m.EncodeChunks(func(c []byte) bool { chunks++; got = append(got, c...); return true })
	if !bytes.Equal(got, want) {
		t.Fatal("chunked encoding differs from MarshalIndent")
	}
	if chunks < 2 {
		t.Fatalf("%d chunk(s): the test does not cross a chunk boundary", chunks)
	}
	enc, _ := m.Encode()
	if !bytes.Equal(enc, want) {
		t.Fatal("Encode differs from MarshalIndent")
	}
}

// TestParseHash: 64 hex digits of either case, nothing else.
func TestParseHash(t *testing.T) {
	want := Hash{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	for _, s := range []string{want.String(), strings.ToUpper(want.String())} {
		if h, ok := ParseHash(s); !ok || h != want {
			t.Errorf("%s: %x, %v", s, h, ok)
		}
	}
	for _, s := range []string{"", want.String()[1:], want.String() + "0", "g" + want.String()[1:], want.String()[:63] + "/", want.String()[:63] + ":"} {
		if _, ok := ParseHash(s); ok {
			t.Errorf("%q parsed", s)
		}
	}
}

// TestParseManifestAnyKeyOrder: a manifest whose members come in another
// order (rewritten by a tool that sorts keys) reads as encoding/json reads it;
// the line parser used to pair each path with the next entry's hash.
func TestParseManifestAnyKeyOrder(t *testing.T) {
	m := &Manifest{Tool: ToolName, Version: "1", Fleet: "sha256:f", Profiles: []Profile{{Name: "a", Digest: "d"}}}
	for i := range 3 {
		m.Files = append(m.Files, Entry{Path: "a/f" + string(rune('0'+i)), Profile: "a", Target: "t", Size: i, SHA256: Hash{byte(i)}})
	}
	canonical, _ := m.Encode()
	var generic map[string]any
	if err := json.Unmarshal(canonical, &generic); err != nil {
		t.Fatal(err)
	}
	sorted, err := json.MarshalIndent(generic, "", "  ") // maps: keys sorted
	if err != nil {
		t.Fatal(err)
	}
	// Encode's layout, but each entry's members last to first: the top
	// level as Encode writes it, so only the entries' order differs.
	var reversed bytes.Buffer
	reversed.WriteString("{\n  \"tool\": \"mdeproxyc\",\n  \"version\": \"1\",\n  \"fleet\": \"sha256:f\",\n  \"profiles\": [\n    {\n      \"name\": \"a\",\n      \"digest\": \"d\"\n    }\n  ],\n  \"files\": [")
	for i, e := range m.Files {
		if i > 0 {
			reversed.WriteString(",")
		}
		fmt.Fprintf(&reversed, "\n    {\n      \"sha256\": %q,\n      \"size\": %d,\n      \"target\": %q,\n      \"profile\": %q,\n      \"path\": %q\n    }", e.SHA256.String(), e.Size, e.Target, e.Profile, e.Path)
	}
	fmt.Fprintf(&reversed, "\n  ],\n  \"checksum\": %q\n}\n", m.Sum())
	for name, text := range map[string][]byte{"Encode's layout": canonical, "keys sorted": sorted, "entries' members reversed": reversed.Bytes()} {
		got, err := Decode(bytes.NewReader(text), true)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var want Manifest
		if err := json.Unmarshal(text, &want); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Files, want.Files) || !slices.Equal(got.Files, m.Files) {
			t.Errorf("%s: files %v, want %v", name, got.Files, m.Files)
		}
	}
	if _, err := Decode(bytes.NewReader(canonical[:len(canonical)/2]), true); err == nil {
		t.Error("a manifest cut short was read")
	}
}

// BenchmarkDecodeManifest reads a manifest the size of the 10,000-profile
// benchmark fleet's (165,000 entries), as a rebuild does (encoding/json, checksum checked).
func BenchmarkDecodeManifest(b *testing.B) {
	m := &Manifest{Tool: ToolName, Version: "1", Fleet: "sha256:f"}
	files := []string{"README.md", "linux/check-connectivity.sh", "linux/mdatp_managed.json", "linux/set-proxy.sh", "macos/com.microsoft.wdav.mobileconfig",
		"macos/com.microsoft.wdav.plist", "windows/Registry.pol", "windows/Set-MdeProxy.ps1", "windows/Test-MdeProxy.ps1", "windows/configmgr/New-MdeProxyApplication.ps1",
		"windows/gpo/Set-MdeProxyGpo.ps1", "windows/intune/custom-configuration.json", "windows/intune/platform-script.json", "windows/intune/remediation.json", "windows/mde-proxy-undo.reg", "windows/mde-proxy.reg"}
	for i := range 10000 {
		name := fmt.Sprintf("site-%06d", i)
		m.Profiles = append(m.Profiles, Profile{Name: name, Digest: fmt.Sprintf("sha256:%064d", i)})
		for j, f := range files {
			m.Files = append(m.Files, Entry{Path: name + "/" + f, Profile: name, Target: strings.Split(f, "/")[0], Size: 1000 + i + j, SHA256: Hash{byte(i), byte(j)}})
		}
	}
	data, err := m.Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(data), true); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecodeRefuses: what is not one manifest object is not read.
func TestDecodeRefuses(t *testing.T) {
	m := &Manifest{Tool: ToolName, Version: "1", Files: []Entry{{Path: "a/x", Profile: "a", Target: "t", Size: 1}}}
	good, _ := m.Encode()
	if got, err := Decode(bytes.NewReader(good), true); err != nil || len(got.Files) != 1 || got.Files[0].Path != "a/x" {
		t.Fatalf("Encode's bytes: %v, %v", got, err)
	}
	for name, text := range map[string]string{
		"data after the object": string(good) + "{}",
		"files not an array":    strings.Replace(string(good), `"files": [`, `"files": {"x": [`, 1),
		"an array":              "[" + string(good) + "]",
		"cut short":             string(good[:len(good)-40]),
	} {
		if _, err := Decode(strings.NewReader(text), false); err == nil {
			t.Errorf("%s: read", name)
		}
	}
	extra := strings.Replace(string(good), `"tool": `, `"note": {"any": [1, 2]}, "tool": `, 1)
	if got, err := Decode(strings.NewReader(extra), false); err != nil || got.Tool != ToolName || len(got.Files) != 1 {
		t.Errorf("an unknown member is skipped: %v, %v", got, err)
	}
}

// TestDecodeKeepsEachNameOnce: the entries Decode returns hold each
// profile's and each target's name once, not a copy an entry (memory at
// 100,000 profiles), and read as they were written.
func TestDecodeKeepsEachNameOnce(t *testing.T) {
	m := &Manifest{Tool: ToolName, Version: "v1"}
	for _, p := range []string{"site-a", "site-b"} {
		for _, f := range []string{"linux/mdatp.json", "windows/x.reg", "windows/y.ps1"} {
			target, _, _ := strings.Cut(f, "/")
			m.Files = append(m.Files, Entry{Path: p + "/" + f, Profile: p, Target: target, Size: 1})
		}
	}
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(bytes.NewReader(data), true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Files, m.Files) {
		t.Fatalf("decoded %v, want %v", got.Files, m.Files)
	}
	profiles, targets := map[string]*byte{}, map[string]*byte{}
	for _, e := range got.Files {
		for _, s := range []struct {
			seen map[string]*byte
			name string
		}{{profiles, e.Profile}, {targets, e.Target}} {
			if first, ok := s.seen[s.name]; ok && first != unsafe.StringData(s.name) {
				t.Errorf("%s: the name %q is held twice", e.Path, s.name)
			}
			s.seen[s.name] = unsafe.StringData(s.name)
		}
	}
}

package macos

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	howett "howett.net/plist"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
	"github.com/mdeproxyc/mdeproxyc/model"
)

func macProfiles(t *testing.T) []*model.Profile { return testfleet.Targeting(t, model.MacOS, 3) }

// wantPrefs is the com.microsoft.wdav preferences the intent asks for, as a
// parser decodes them: no cloudService key at all without a proxy, so that an
// existing profile's cloudService is not replaced by an empty one.
func wantPrefs(p *model.Profile) map[string]any {
	if p.MacOS.Proxy == "" {
		return map[string]any{}
	}
	return map[string]any{"cloudService": map[string]any{"proxy": p.MacOS.Proxy}}
}

func wantProfile(p *model.Profile) map[string]any {
	outer, inner := UUIDs(p)
	payload := wantPrefs(p)
	for k, v := range map[string]any{
		"PayloadDescription": "Microsoft Defender for Endpoint proxy preferences (com.microsoft.wdav)",
		"PayloadDisplayName": "Microsoft Defender proxy", "PayloadEnabled": true,
		"PayloadIdentifier": p.MacOS.Identifier + ".wdav", "PayloadType": "com.microsoft.wdav",
		"PayloadUUID": inner, "PayloadVersion": float64(1),
	} {
		payload[k] = v
	}
	m := map[string]any{
		"PayloadContent":     []any{payload},
		"PayloadDescription": p.Intune.Description, "PayloadDisplayName": p.Intune.DisplayName,
		"PayloadIdentifier": p.MacOS.Identifier, "PayloadScope": "System", "PayloadType": "Configuration",
		"PayloadUUID": outer, "PayloadVersion": float64(1),
	}
	if p.Organization != "" {
		m["PayloadOrganization"] = p.Organization
	}
	return m
}

// TestConsumers runs every plist and mobileconfig of the example fleet through
// xmllint (Apple's DTD), Python's plistlib, libplist's plistutil (binary round
// trip) and howett.net/plist, and compares what they read with the intent.
func TestConsumers(t *testing.T) {
	for _, p := range macProfiles(t) {
		for name, c := range map[string]struct {
			data []byte
			want map[string]any
		}{
			"plist":        {Plist(p), wantPrefs(p)},
			"mobileconfig": {Mobileconfig(p), wantProfile(p)},
		} {
			t.Run(p.Name+"/"+name, func(t *testing.T) {
				if err := validators.Xmllint(t, c.data); err != nil {
					t.Fatal(err)
				}
				got, err := validators.Plistlib(t, c.data)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(any(c.want), got); d != "" {
					t.Errorf("plistlib (-intent +plistlib):\n%s", d)
				}
				back, err := validators.Plistutil(t, c.data)
				if err != nil {
					t.Fatal(err)
				}
				again, err := validators.Plistlib(t, back)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(got, again); d != "" {
					t.Errorf("plistutil binary round trip changed the values:\n%s", d)
				}
				var v map[string]any
				format, err := howett.Unmarshal(c.data, &v)
				if err != nil || format != howett.XMLFormat {
					t.Fatalf("howett.net/plist: format %d, %v", format, err)
				}
				if name == "mobileconfig" {
					checkPayloadTypes(t, v)
				}
			})
		}
	}
}

// checkPayloadTypes asserts strict typing of the required payload keys, as
// howett.net/plist decodes them (Go types, not JSON's).
func checkPayloadTypes(t *testing.T, v map[string]any) {
	t.Helper()
	uuidRE := regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)
	check := func(where string, m map[string]any, key string, want string) {
		switch x := m[key].(type) {
		case string:
			if want != "string" {
				t.Errorf("%s %s is a string, want %s", where, key, want)
			}
			if key == "PayloadUUID" && !uuidRE.MatchString(x) {
				t.Errorf("%s PayloadUUID %q is not an uppercase UUIDv5", where, x)
			}
		case uint64:
			if want != "integer" || x != 1 {
				t.Errorf("%s %s = %d (integer), want %s 1", where, key, x, want)
			}
		case bool:
			if want != "bool" || !x {
				t.Errorf("%s %s = %v, want %s true", where, key, x, want)
			}
		default:
			t.Errorf("%s %s is %T, want %s", where, key, x, want)
		}
	}
	for _, k := range []string{"PayloadIdentifier", "PayloadUUID", "PayloadDisplayName", "PayloadDescription", "PayloadOrganization", "PayloadScope", "PayloadType"} {
		check("outer", v, k, "string")
	}
	check("outer", v, "PayloadVersion", "integer")
	inner := v["PayloadContent"].([]any)[0].(map[string]any)
	for _, k := range []string{"PayloadIdentifier", "PayloadUUID", "PayloadType"} {
		check("inner", inner, k, "string")
	}
	check("inner", inner, "PayloadVersion", "integer")
	check("inner", inner, "PayloadEnabled", "bool")
}

// TestCheckersReject proves each checker catches what it is there for.
func TestCheckersReject(t *testing.T) {
	p := testfleet.Profile(t, "mac-studio")
	good := string(Mobileconfig(p))
	notValid := strings.Replace(good, "<key>PayloadScope</key>", "", 1) // dict: key, value pairs broken
	if err := validators.Xmllint(t, []byte(notValid)); err == nil {
		t.Error("xmllint accepted a dict with a value without a key")
	}
	badInt := strings.Replace(good, "<integer>1</integer>", "<integer>one</integer>", 1)
	if err := validators.Xmllint(t, []byte(badInt)); err != nil {
		t.Fatalf("the DTD allows any text in <integer>: %v", err)
	}
	if _, err := validators.Plistlib(t, []byte(badInt)); err == nil {
		t.Error("plistlib accepted <integer>one</integer>")
	}
	if _, err := validators.Plistutil(t, []byte(strings.Replace(good, "</dict>\n</plist>", "</plist>", 1))); err == nil {
		t.Error("plistutil accepted an unclosed dict")
	}
}

// TestDeterministicAndUnique: two builds give the same bytes; no two profiles
// share a UUID or an identifier.
func TestDeterministicAndUnique(t *testing.T) {
	seen := map[string]string{}
	for _, p := range macProfiles(t) {
		if !bytes.Equal(Mobileconfig(p), Mobileconfig(p)) {
			t.Errorf("%s: two renders differ", p.Name)
		}
		outer, inner := UUIDs(p)
		for _, id := range []string{outer, inner, p.MacOS.Identifier, InnerIdentifier(p)} {
			if other, dup := seen[id]; dup {
				t.Errorf("%s and %s share %s", p.Name, other, id)
			}
			seen[id] = p.Name
		}
	}
	// The UUID depends on the identifier only: a changed proxy keeps the profile's identity.
	p := *testfleet.Profile(t, "mac-studio")
	o1, _ := UUIDs(&p)
	p.MacOS.Proxy = "http://other:1"
	if o2, _ := UUIDs(&p); o1 != o2 {
		t.Error("PayloadUUID changed with the proxy")
	}
}

// TestEscaping: free text with XML's special characters stays text.
func TestEscaping(t *testing.T) {
	ps := testfleet.Source(t, `package fleet
profiles: x: {platforms: ["macos"], proxy: "p.example.com:1", organization: "A & B <Corp> \"Q\" 'S'", description: "</string><key>evil</key>"}
`)
	data := Mobileconfig(ps[0])
	if err := validators.Xmllint(t, data); err != nil {
		t.Fatal(err)
	}
	got, err := validators.Plistlib(t, data)
	if err != nil {
		t.Fatal(err)
	}
	m := got.(map[string]any)
	if m["PayloadOrganization"] != `A & B <Corp> "Q" 'S'` || m["PayloadDescription"] != "</string><key>evil</key>" {
		t.Errorf("text did not round-trip: %v / %v", m["PayloadOrganization"], m["PayloadDescription"])
	}
}

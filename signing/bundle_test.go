package signing

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/bundle"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/emitters/all"
	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
)

// buildSigned builds the example fleet with a signer and returns its files by path.
func buildSigned(t *testing.T, s *Signer) map[string][]byte {
	t.Helper()
	var mem bundle.Memory
	if _, err := bundle.Build(testfleet.Profiles(t), all.Emitters(), &mem, emitters.WithSigner(s)); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range mem.Files() {
		files[f.Path] = f.Data
	}
	return files
}

// TestSignedBundle: with a signer, a second build gives identical bytes; the
// Intune bodies carry the very same signed bytes and set
// enforceSignatureCheck; the ConfigMgr script embeds the signed detection
// script; and every .ps1 of the example fleet's bundle verifies with
// osslsigncode. The checks that need no osslsigncode come first, so that a
// machine without it still runs them before the skip.
func TestSignedBundle(t *testing.T) {
	pemFile, _ := testCert(t)
	s, err := Load(pemFile, "", "")
	if err != nil {
		t.Fatal(err)
	}
	files := buildSigned(t, s)
	again := buildSigned(t, s)
	var ps1 []string
	for p, data := range files {
		if !bytes.Equal(data, again[p]) {
			t.Errorf("%s differs between two signed builds", p)
		}
		if strings.HasSuffix(p, ".ps1") {
			ps1 = append(ps1, p)
		}
	}
	if len(ps1) < 5*3 {
		t.Fatalf("only %d scripts in the bundle", len(ps1))
	}
	bodies := 0
	for p, data := range files {
		if !strings.HasSuffix(p, "platform-script.json") && !strings.HasSuffix(p, "remediation.json") {
			continue
		}
		bodies++
		var body map[string]any
		if err := json.Unmarshal(data, &body); err != nil {
			t.Fatal(err)
		}
		if body["enforceSignatureCheck"] != true {
			t.Errorf("%s: enforceSignatureCheck is %v", p, body["enforceSignatureCheck"])
		}
		dir := path.Dir(path.Dir(p))
		for field, file := range map[string]string{"scriptContent": "Set-MdeProxy.ps1", "remediationScriptContent": "Set-MdeProxy.ps1", "detectionScriptContent": "Test-MdeProxy.ps1"} {
			b64, ok := body[field].(string)
			if !ok {
				continue
			}
			got, _ := base64.StdEncoding.DecodeString(b64)
			if !bytes.Equal(got, files[dir+"/"+file]) {
				t.Errorf("%s: %s is not the signed %s", p, field, file)
			}
		}
	}
	if bodies == 0 {
		t.Fatal("no Intune script body in the bundle")
	}
	for p, data := range files {
		if !strings.HasSuffix(p, "New-MdeProxyApplication.ps1") {
			continue
		}
		detect := files[path.Dir(path.Dir(p))+"/Detect-MdeProxy-ConfigMgr.ps1"]
		if !bytes.Contains(data, []byte(base64.StdEncoding.EncodeToString(detect))) {
			t.Errorf("%s does not embed the signed detection script", p)
		}
	}
	slices.Sort(ps1)
	for _, p := range ps1 {
		if out, ok := osslVerify(t, dirOf(pemFile), files[p]); !ok {
			t.Errorf("%s does not verify:\n%s", p, out)
		}
	}
}

func dirOf(p string) string { return p[:strings.LastIndexByte(p, '/')] }

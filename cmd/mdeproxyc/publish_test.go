package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mdeproxyc/mdeproxyc/internal/fakegraph"
	"github.com/mdeproxyc/mdeproxyc/internal/intunegraph"
	"github.com/mdeproxyc/mdeproxyc/publish"
)

// TestPublishIntuneCLI runs `mdeproxyc publish intune` on the example fleet
// against a fake Graph: the dry run plans 21 creations (7 Windows profiles with Intune) and writes nothing, the
// run publishes them, the next run finds nothing to do, and a Graph error
// exits 1 naming the profile and Graph's code.
func TestPublishIntuneCLI(t *testing.T) {
	srv := fakegraph.New()
	defer func() { srv.Close() }()
	srv.ThrottleEvery, srv.RetryAfter = 11, "0"
	t.Setenv(publish.TokenEnv, fakegraph.Token)
	mdeproxyc := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"publish", "intune", "../../examples/contoso", "--graph-url", srv.URL}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}

	code, out, stderr := mdeproxyc("--dry-run", "--format", "json")
	var plan publish.Result
	if err := json.Unmarshal([]byte(out), &plan); code != 0 || err != nil || len(plan.Items) != 21 || !plan.DryRun {
		t.Fatalf("dry run: exit %d, %d items (%v)\n%s", code, len(plan.Items), err, stderr)
	}
	for _, it := range plan.Items {
		if it.Action != publish.ActionCreate {
			t.Errorf("dry run on an empty tenant: %s %s %s", it.Profile, it.Object, it.Action)
		}
	}
	if w := srv.Writes(); len(w) > 0 {
		t.Errorf("--dry-run wrote %d times", len(w))
	}

	if code, out, stderr := mdeproxyc(); code != 0 || !strings.HasSuffix(out, "21 create\n") {
		t.Fatalf("publish: exit %d\n%s%s", code, out, stderr)
	}
	srv.ResetLog()
	if code, out, stderr := mdeproxyc(); code != 0 || !strings.HasSuffix(out, "21 unchanged\n") || len(srv.Writes()) > 0 {
		t.Errorf("second publish: exit %d, %d writes\n%s%s", code, len(srv.Writes()), out, stderr)
	}
	if throttled, _ := srv.Stats(); throttled == 0 {
		t.Error("the fake never throttled the CLI")
	}

	// A fresh tenant where Graph refuses hq's remediation.
	srv.Close()
	srv = fakegraph.New()
	srv.Fail = func(method, path string, body map[string]any) *fakegraph.Failure {
		if method == http.MethodPost && path == fakegraph.HealthScripts && body["displayName"] == "MDE proxy — hq" {
			return &fakegraph.Failure{Status: http.StatusBadRequest, Code: "BadRequest", Message: "detectionScriptContent is too large"}
		}
		return nil
	}
	code, out, stderr = mdeproxyc()
	if code != exitFail || !strings.Contains(stderr, `profile hq: remediation "MDE proxy — hq"`) || !strings.Contains(stderr, "BadRequest: detectionScriptContent is too large") ||
		!strings.HasSuffix(out, "21 create, 1 failed\n") {
		t.Errorf("a Graph error: exit %d\n%s%s", code, out, stderr)
	}

	if code, _, stderr := mdeproxyc("--format", "yaml"); code != exitUsage || !strings.Contains(stderr, "unknown format") {
		t.Errorf("--format yaml: exit %d, %s", code, stderr)
	}
	var errb bytes.Buffer
	if code := run([]string{"publish", "../../examples/contoso"}, &bytes.Buffer{}, &errb); code != exitUsage || !strings.Contains(errb.String(), "publish intune") {
		t.Errorf("publish without a channel: exit %d, %s", code, errb.String())
	}
}

// TestPublishGraphURLIsChecked: --graph-url must be https (http only to a
// loopback address), without user info (never echoed) or query: a usage
// error, exit 2, before anything is compiled or sent.
func TestPublishGraphURLIsChecked(t *testing.T) {
	t.Setenv(publish.TokenEnv, fakegraph.Token)
	for url, want := range map[string]string{
		"http://graph.example.com":            "plain http",
		"https://admin:hunter2@graph.example": "user name or password",
		"https://graph.microsoft.com/?a=b":    "query",
	} {
		var out, errb bytes.Buffer
		code := run([]string{"publish", "intune", "../../examples/contoso", "--graph-url", url}, &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), want) || strings.Contains(errb.String(), "hunter2") {
			t.Errorf("--graph-url %s: exit %d\n%s", url, code, errb.String())
		}
	}
}

// signingCert writes a self-signed code-signing certificate with its key as
// PEM, valid for a year.
func signingCert(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mdeproxyc publish test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	f := filepath.Join(t.TempDir(), "sign.pem")
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestPublishSignedIsWhatSignedBuildWrites: with build's signing flags,
// publish sends exactly the bodies a signed build writes — signed scripts,
// enforceSignatureCheck true — and a second run finds nothing to do.
func TestPublishSignedIsWhatSignedBuildWrites(t *testing.T) {
	srv := fakegraph.New()
	defer srv.Close()
	t.Setenv(publish.TokenEnv, fakegraph.Token)
	cert := signingCert(t)
	out := filepath.Join(t.TempDir(), "dist")
	var o, e bytes.Buffer
	if code := run([]string{"build", "../../examples/contoso", "-o", out, "-q", "--sign-cert", cert}, &o, &e); code != 0 {
		t.Fatalf("signed build: exit %d\n%s", code, e.String())
	}
	o.Reset()
	e.Reset()
	if code := run([]string{"publish", "intune", "../../examples/contoso", "--graph-url", srv.URL, "--sign-cert", cert}, &o, &e); code != 0 {
		t.Fatalf("signed publish: exit %d\n%s%s", code, o.String(), e.String())
	}
	checked := 0
	for _, c := range []struct{ coll, file string }{
		{fakegraph.Configurations, "custom-configuration.json"}, {fakegraph.Scripts, "platform-script.json"}, {fakegraph.HealthScripts, "remediation.json"},
	} {
		for _, obj := range srv.Objects(c.coll) {
			profile, _ := intunegraph.ProfileOf(obj["description"].(string))
			data, err := os.ReadFile(filepath.Join(out, profile, "windows", "intune", c.file))
			if err != nil {
				t.Fatal(err)
			}
			var built map[string]any
			if err := json.Unmarshal(data, &built); err != nil {
				t.Fatal(err)
			}
			delete(obj, "id")
			delete(obj, "createdDateTime")
			if !reflect.DeepEqual(obj, built) {
				t.Errorf("%s %s: Graph holds another body than the signed build's", profile, c.file)
			}
			if c.coll != fakegraph.Configurations {
				if obj["enforceSignatureCheck"] != true {
					t.Errorf("%s %s: enforceSignatureCheck %v", profile, c.file, obj["enforceSignatureCheck"])
				}
				for _, k := range []string{"scriptContent", "detectionScriptContent", "remediationScriptContent"} {
					if s, ok := obj[k].(string); ok {
						script, _ := base64.StdEncoding.DecodeString(s)
						if !bytes.Contains(script, []byte("# SIG # Begin signature block")) {
							t.Errorf("%s %s: %s is not signed", profile, c.file, k)
						}
					}
				}
			}
			checked++
		}
	}
	if checked != 21 {
		t.Errorf("checked %d objects; want 21", checked)
	}
	srv.ResetLog()
	o.Reset()
	if code := run([]string{"publish", "intune", "../../examples/contoso", "--graph-url", srv.URL, "--sign-cert", cert}, &o, &e); code != 0 || !strings.HasSuffix(o.String(), "21 unchanged\n") || len(srv.Writes()) > 0 {
		t.Errorf("second signed publish: exit %d\n%s", code, o.String())
	}
	o.Reset()
	if code := run([]string{"publish", "intune", "../../examples/contoso", "--graph-url", srv.URL, "--dry-run"}, &o, &e); code != 0 || !strings.Contains(o.String(), "changed: enforceSignatureCheck, scriptContent") {
		t.Errorf("an unsigned dry run after a signed publish does not plan to replace the signed scripts:\n%s", o.String())
	}
}

// TestPublishBundle: --bundle publishes a built bundle's bodies as they are
// (here signed), after checking them against the manifest and the intent: a
// body edited after the build, or a bundle of another version of the intent,
// is refused before anything is written.
func TestPublishBundle(t *testing.T) {
	srv := fakegraph.New()
	defer srv.Close()
	t.Setenv(publish.TokenEnv, fakegraph.Token)
	out := filepath.Join(t.TempDir(), "dist")
	var o, e bytes.Buffer
	if code := run([]string{"build", "../../examples/contoso", "-o", out, "-q", "--sign-cert", signingCert(t)}, &o, &e); code != 0 {
		t.Fatalf("signed build: exit %d\n%s", code, e.String())
	}
	publishBundle := func(fleet string) (int, string) {
		var o, e bytes.Buffer
		code := run([]string{"publish", "intune", fleet, "--graph-url", srv.URL, "--bundle", out}, &o, &e)
		return code, o.String() + e.String()
	}
	if code, msg := publishBundle("../../examples/contoso"); code != 0 || !strings.Contains(msg, "21 create") {
		t.Fatalf("publish --bundle: exit %d\n%s", code, msg)
	}
	n := 0
	for _, obj := range srv.Objects(fakegraph.HealthScripts) {
		profile, _ := intunegraph.ProfileOf(obj["description"].(string))
		data, _ := os.ReadFile(filepath.Join(out, profile, "windows", "intune", "remediation.json"))
		var built map[string]any
		_ = json.Unmarshal(data, &built)
		delete(obj, "id")
		delete(obj, "createdDateTime")
		if !reflect.DeepEqual(obj, built) || obj["enforceSignatureCheck"] != true {
			t.Errorf("%s: Graph does not hold the bundle's signed remediation", profile)
		}
		n++
	}
	if n != 7 {
		t.Fatalf("%d remediations", n)
	}

	// Another version of the intent: hq's proxy changed after the build.
	stale := t.TempDir()
	for _, f := range []string{"defaults.cue", "sites.cue"} {
		data, _ := os.ReadFile(filepath.Join("../../examples/contoso", f))
		data = bytes.ReplaceAll(data, []byte("proxy.contoso.com:8080"), []byte("proxy2.contoso.com:8080"))
		_ = os.WriteFile(filepath.Join(stale, f), data, 0o644)
	}
	srv.ResetLog()
	if code, msg := publishBundle(stale); code != exitFail || !strings.Contains(msg, "built from another version of the intent") || len(srv.Writes()) > 0 {
		t.Errorf("a stale bundle: exit %d, %d writes\n%s", code, len(srv.Writes()), msg)
	}

	// A body replaced by a symbolic link (to identical bytes) is not read.
	rem := filepath.Join(out, "hq", "windows", "intune", "remediation.json")
	elsewhere := filepath.Join(t.TempDir(), "remediation.json")
	remData, _ := os.ReadFile(rem)
	_ = os.WriteFile(elsewhere, remData, 0o644)
	_ = os.Remove(rem)
	if err := os.Symlink(elsewhere, rem); err != nil {
		t.Fatal(err)
	}
	if code, msg := publishBundle("../../examples/contoso"); code != exitFail || !strings.Contains(msg, "is not a regular file") || len(srv.Writes()) > 0 {
		t.Errorf("a symlinked body: exit %d\n%s", code, msg)
	}
	_ = os.Remove(rem)
	_ = os.WriteFile(rem, remData, 0o644)

	// A body edited after the build.
	f := filepath.Join(out, "hq", "windows", "intune", "platform-script.json")
	data, _ := os.ReadFile(f)
	_ = os.WriteFile(f, bytes.Replace(data, []byte(`"runAsAccount": "system"`), []byte(`"runAsAccount": "user"  `), 1), 0o644)
	if code, msg := publishBundle("../../examples/contoso"); code != exitFail || !strings.Contains(msg, "differs from the manifest") || len(srv.Writes()) > 0 {
		t.Errorf("an edited body: exit %d\n%s", code, msg)
	}
	if code := run([]string{"publish", "intune", "../../examples/contoso", "--graph-url", srv.URL, "--bundle", out, "--sign-cert", "x.pem"}, &o, &e); code != exitUsage {
		t.Errorf("--bundle with --sign-cert: exit %d", code)
	}
}

package signing

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// testCert makes a self-signed code-signing certificate and writes it with
// its key as PEM, and as PKCS#12 with the password "pw"; it returns the two
// files' paths.
func testCert(t *testing.T) (pemFile, p12File string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "mdeproxyc test code signing"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	pemFile = filepath.Join(dir, "sign.pem")
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	if err := os.WriteFile(pemFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pfx, err := pkcs12.Modern.Encode(key, cert, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	p12File = filepath.Join(dir, "sign.p12")
	if err := os.WriteFile(p12File, pfx, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return pemFile, p12File
}

// osslVerify runs osslsigncode verify on a script, trusting the test CA, and
// returns its output and whether it verified. Without osslsigncode the test
// skips, or fails with MDEPROXYC_REQUIRE_VALIDATORS=1 (validators.Tool).
func osslVerify(t *testing.T, caDir string, script []byte) (string, bool) {
	t.Helper()
	tool := validators.Tool(t, "osslsigncode")
	f := filepath.Join(t.TempDir(), "script.ps1")
	if err := os.WriteFile(f, script, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "verify", "-in", f, "-CAfile", filepath.Join(caDir, "ca.pem")).CombinedOutput()
	if os.Getenv("SHOWOSSL") != "" {
		t.Log(string(out))
	}
	return string(out), err == nil
}

const script = "# test\r\n$a = 'MDE proxy \u2014 hq'\r\nWrite-Output $a\r\n"

func TestSignVerifiesWithOsslsigncode(t *testing.T) {
	pemFile, p12File := testCert(t)
	t.Setenv("MDEPROXYC_TEST_PFX_PASSWORD", "pw")
	for _, c := range []struct{ file, env string }{{pemFile, ""}, {p12File, "MDEPROXYC_TEST_PFX_PASSWORD"}} {
		s, err := Load(c.file, c.env, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range [][]byte{[]byte(script), append([]byte("\xef\xbb\xbf"), script...)} {
			signed, err := s.SignScript("x.ps1", in)
			if err != nil {
				t.Fatal(err)
			}
			out, ok := osslVerify(t, filepath.Dir(c.file), signed)
			if !ok {
				t.Fatalf("%s: osslsigncode does not verify:\n%s\n%s", c.file, out, signed)
			}
			again, _ := s.SignScript("x.ps1", in)
			if !bytes.Equal(signed, again) {
				t.Errorf("%s: signing twice gave different bytes", c.file)
			}
			if !strings.HasPrefix(string(signed), string(in)) || !strings.HasSuffix(string(signed), "# SIG # End signature block\r\n") {
				t.Errorf("%s: the signature block is not appended to the script", c.file)
			}
		}
	}
}

// TestOneByteChangeFailsVerification: osslsigncode recomputes the PowerShell
// digest, so a script changed after signing — one byte of the text, or one of
// the signature — no longer verifies; and a certificate it does not trust
// fails too (the check is not vacuous).
func TestOneByteChangeFailsVerification(t *testing.T) {
	pemFile, _ := testCert(t)
	s, err := Load(pemFile, "", "")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := s.SignScript("x.ps1", []byte(script))
	if err != nil {
		t.Fatal(err)
	}
	if out, ok := osslVerify(t, filepath.Dir(pemFile), signed); !ok {
		t.Fatalf("the unchanged script does not verify:\n%s", out)
	}
	for _, at := range []int{strings.Index(script, "hq"), len(script) + 200} {
		bad := bytes.Clone(signed)
		bad[at] ^= 0x01
		if out, ok := osslVerify(t, filepath.Dir(pemFile), bad); ok {
			t.Errorf("a script changed at byte %d still verifies:\n%s", at, out)
		}
	}
	other, _ := testCert(t)
	if out, ok := osslVerify(t, filepath.Dir(other), signed); ok {
		t.Errorf("verifies against a CA that did not sign it:\n%s", out)
	}
}

// TestLoadRejects: what cannot sign reproducibly, or at all, is refused with
// the file named.
func TestLoadRejects(t *testing.T) {
	pemFile, p12File := testCert(t)
	t.Setenv("MDEPROXYC_TEST_PFX_PASSWORD", "wrong")
	if _, err := Load(p12File, "MDEPROXYC_TEST_PFX_PASSWORD", ""); err == nil || !strings.Contains(err.Error(), p12File) {
		t.Errorf("a wrong password: %v", err)
	}
	if _, err := Load(p12File, "MDEPROXYC_TEST_UNSET_VARIABLE", ""); err == nil || !strings.Contains(err.Error(), "not set") {
		t.Errorf("an unset password variable: %v", err)
	}
	data, _ := os.ReadFile(pemFile)
	certOnly := filepath.Join(t.TempDir(), "cert.pem")
	_ = os.WriteFile(certOnly, data[:bytes.Index(data, []byte("-----BEGIN PRIVATE KEY"))], 0o600)
	if _, err := Load(certOnly, "", ""); err == nil || !strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Errorf("a PEM file without a key: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.pem"), "", ""); err == nil {
		t.Error("a missing file loads")
	}
}

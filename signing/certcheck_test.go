//go:build !(windows && arm64)

package signing

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// certFile writes a self-signed certificate made from tmpl (subject "CN=<cn>")
// with a fresh RSA key of bits, as PEM with its key.
func certFile(t *testing.T, cn string, bits int, edit func(*x509.Certificate)) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	if edit != nil {
		edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	f := filepath.Join(t.TempDir(), "c.pem")
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestLoadRefusesCertificatesWindowsRejects: expired, not yet valid, an
// extended key usage without code signing, a key usage without digital
// signature, an RSA key under 2048 bits: each refused, naming the subject and
// the reason. One expiring within 30 days loads, with a warning.
func TestLoadRefusesCertificatesWindowsRejects(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		name, reason string
		bits         int
		edit         func(*x509.Certificate)
	}{
		{"expired", "expired on", 2048, func(c *x509.Certificate) {
			c.NotBefore, c.NotAfter = time.Now().Add(-400*day), time.Now().Add(-day)
		}},
		{"not yet valid", "not valid before", 2048, func(c *x509.Certificate) {
			c.NotBefore, c.NotAfter = time.Now().Add(day), time.Now().Add(400*day)
		}},
		{"server auth only", "does not include code signing", 2048, func(c *x509.Certificate) {
			c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}},
		{"unknown EKU only", "does not include code signing", 2048, func(c *x509.Certificate) {
			c.ExtKeyUsage, c.UnknownExtKeyUsage = nil, []asn1.ObjectIdentifier{{1, 2, 3, 4}}
		}},
		{"key encipherment only", "digital signature", 2048, func(c *x509.Certificate) {
			c.KeyUsage = x509.KeyUsageKeyEncipherment
		}},
		{"weak key", "an RSA key of 1024 bits; allowed: 2048 bits or more", 1024, nil},
	} {
		f := certFile(t, "Contoso "+c.name+" \x1b[31m", c.bits, c.edit)
		_, err := Load(f, "", "")
		if err == nil {
			t.Errorf("%s: loaded", c.name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.reason) || !strings.Contains(msg, `CN=Contoso `+c.name+` \\x1b[31m`) || !strings.Contains(msg, f) {
			t.Errorf("%s: error %q; want the file, the subject (escaped) and %q", c.name, msg, c.reason)
		}
		if strings.Contains(msg, "\x1b") {
			t.Errorf("%s: the subject's escape sequence is raw in %q", c.name, msg)
		}
	}

	soon := certFile(t, "Contoso soon", 2048, func(c *x509.Certificate) { c.NotAfter = time.Now().Add(10 * day) })
	s, err := Load(soon, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if w := s.Warning(); !strings.Contains(w, "CN=Contoso soon") || !strings.Contains(w, "expires on") || !strings.Contains(w, "in 9 days") {
		t.Errorf("warning %q", w)
	}
	for name, edit := range map[string]func(*x509.Certificate){
		"a year left": nil,
		"no EKU":      func(c *x509.Certificate) { c.ExtKeyUsage = nil },
		"any EKU":     func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageAny} },
		"31 days left": func(c *x509.Certificate) {
			c.NotAfter = time.Now().Add(31 * day)
		},
	} {
		s, err := Load(certFile(t, "Contoso ok", 2048, edit), "", "")
		if err != nil || s.Warning() != "" {
			t.Errorf("%s: %v, warning %q", name, err, s.Warning())
		}
	}
}

// TestTimestampServerTextIsEscaped: a timestamp server's status line is
// quoted in the error, escaped.
func TestTimestampServerTextIsEscaped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_, _ = http.ReadRequest(bufio.NewReader(conn))
				_, _ = conn.Write([]byte("HTTP/1.1 500 \x1b[2J\x1b]0;owned\a::error::bad\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			}()
		}
	}()
	s, err := Load(certFile(t, "Contoso ts", 2048, nil), "", "http://"+ln.Addr().String()+"/ts")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SignScript("x.ps1", []byte(script))
	if err == nil {
		t.Fatal("signing with a failing timestamp server succeeded")
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\x1b\a") || !strings.Contains(msg, `500 \x1b[2J`) {
		t.Errorf("error %q", msg)
	}
}

//go:build !(windows && arm64)

// Package signing Authenticode-signs generated PowerShell scripts the way
// Windows' PowerShell SIP expects (docs/channels.md): the digest is SHA-256 over
// the script as UTF-16LE, the PKCS#7 SignedData carries an
// SpcIndirectDataContent naming the PowerShell SIP, and the signature is
// appended as "# SIG # Begin signature block" base64 comment lines. The
// structures come from github.com/sassoftware/relic's authenticode package, a
// maintained signer that implements this SIP; this package adds loading the
// certificate and reproducibility: no signing time is written unless a
// timestamp server is named, and RSA PKCS#1 v1.5 signatures are
// deterministic, so the same script and key give the same bytes.
package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/sassoftware/relic/v8/lib/authenticode"
	"github.com/sassoftware/relic/v8/lib/certloader"
	"github.com/sassoftware/relic/v8/lib/pkcs7"
	"github.com/sassoftware/relic/v8/lib/pkcs9"
	"software.sslmate.com/src/go-pkcs12"
)

// Signer signs scripts with one certificate and key. It is safe for
// concurrent use.
type Signer struct {
	cert *certloader.Certificate
	// warning is set when the certificate is usable but expires soon.
	warning string
}

// Warning is a remark on a certificate Load accepted (it expires within
// ExpiryWarning), or "".
func (s *Signer) Warning() string { return s.warning }

// MinRSABits is the smallest RSA key Load accepts: Windows' code integrity
// and Microsoft's code-signing baseline reject shorter keys.
const MinRSABits = 2048

// ExpiryWarning is how close to its end a certificate draws a warning.
const ExpiryWarning = 30 * 24 * time.Hour

// now is the clock Load checks validity against.
var now = time.Now

// checkLeaf refuses a certificate Windows would not accept for an
// Authenticode signature, naming its subject and the reason, and returns a
// warning when it expires within ExpiryWarning.
func checkLeaf(file string, c *x509.Certificate) (warning string, err error) {
	subject := diag.Escape(c.Subject.String())
	t := now()
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("%s: certificate %q: %s", file, subject, fmt.Sprintf(format, args...))
	}
	switch {
	case t.Before(c.NotBefore):
		return "", refuse("not valid before %s; a signature made now would not verify", c.NotBefore.UTC().Format(time.RFC3339))
	case t.After(c.NotAfter):
		return "", refuse("expired on %s", c.NotAfter.UTC().Format(time.RFC3339))
	}
	if len(c.ExtKeyUsage) > 0 || len(c.UnknownExtKeyUsage) > 0 {
		ok := false
		for _, u := range c.ExtKeyUsage {
			ok = ok || u == x509.ExtKeyUsageCodeSigning || u == x509.ExtKeyUsageAny
		}
		if !ok {
			return "", refuse("its extended key usage does not include code signing (1.3.6.1.5.5.7.3.3); allowed: a code-signing certificate")
		}
	}
	if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return "", refuse("its key usage does not include digital signature")
	}
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return "", refuse("the key is %T; allowed: an RSA key (its signatures are deterministic, so builds are byte-reproducible)", c.PublicKey)
	}
	if n := pub.N.BitLen(); n < MinRSABits {
		return "", refuse("an RSA key of %d bits; allowed: %d bits or more", n, MinRSABits)
	}
	if left := c.NotAfter.Sub(t); left < ExpiryWarning {
		return fmt.Sprintf("%s: certificate %q expires on %s, in %d days: renew it before signatures made with it stop verifying (timestamped ones keep verifying)",
			file, subject, c.NotAfter.UTC().Format(time.RFC3339), int(left.Hours()/24)), nil
	}
	return "", nil
}

// Identity names what the signatures depend on — the certificate chain and the
// timestamp server — so an incremental build re-renders every profile when it
// changes instead of carrying over files signed differently.
func (s *Signer) Identity() string {
	h := sha256.New()
	for _, c := range s.cert.Certificates {
		h.Write(c.Raw)
	}
	ts := ""
	if r, ok := s.cert.Timestamper.(rfc3161); ok {
		ts = r.url
	}
	return "authenticode:" + hex.EncodeToString(h.Sum(nil)) + ":" + ts
}

// Load reads the signing certificate: a PKCS#12 file (.pfx/.p12) whose
// password is in the environment variable passwordEnv (empty: no password), or
// a PEM file holding the certificate chain, leaf first, and its unencrypted
// private key. timestampURL, when not empty, is an RFC 3161 timestamp server
// asked for a countersignature on every signature (the output then differs
// from run to run, by the time).
func Load(file, passwordEnv, timestampURL string) (*Signer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var cert *certloader.Certificate
	if block, _ := pem.Decode(data); block != nil {
		cert, err = fromPEM(data)
	} else {
		password := ""
		if passwordEnv != "" {
			v, ok := os.LookupEnv(passwordEnv)
			if !ok {
				return nil, fmt.Errorf("%s: the password variable %s is not set", file, passwordEnv)
			}
			password = v
		}
		var leaf *x509.Certificate
		var key any
		var chain []*x509.Certificate
		key, leaf, chain, err = pkcs12.DecodeChain(data, password)
		if err == nil {
			signer, ok := key.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("%s: the private key cannot sign", file)
			}
			cert = &certloader.Certificate{PrivateKey: signer, Leaf: leaf, Certificates: append([]*x509.Certificate{leaf}, chain...)}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w (allowed: a PKCS#12 file with its password in --sign-password-env, or a PEM file with the certificate and its private key)", file, err)
	}
	warning, err := checkLeaf(file, cert.Leaf)
	if err != nil {
		return nil, err
	}
	if _, ok := cert.PrivateKey.(*rsa.PrivateKey); !ok {
		return nil, fmt.Errorf("%s: the key is %T; allowed: an RSA key (its signatures are deterministic, so builds are byte-reproducible)", file, cert.PrivateKey)
	}
	if !cert.Leaf.PublicKey.(*rsa.PublicKey).Equal(cert.PrivateKey.(*rsa.PrivateKey).Public()) {
		return nil, fmt.Errorf("%s: the private key does not belong to the first certificate", file)
	}
	if timestampURL != "" {
		cert.Timestamper = rfc3161{url: timestampURL}
	}
	return &Signer{cert: cert, warning: warning}, nil
}

// fromPEM reads certificates (leaf first) and one private key from PEM blocks.
func fromPEM(data []byte) (*certloader.Certificate, error) {
	c := &certloader.Certificate{}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		switch block.Type {
		case "CERTIFICATE":
			x, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, err
			}
			c.Certificates = append(c.Certificates, x)
		case "PRIVATE KEY", "RSA PRIVATE KEY":
			key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
			}
			if err != nil {
				return nil, fmt.Errorf("private key: %w", err)
			}
			signer, ok := key.(crypto.Signer)
			if !ok {
				return nil, errors.New("the private key cannot sign")
			}
			c.PrivateKey = signer
		default:
			return nil, fmt.Errorf("a PEM block of type %q", block.Type)
		}
	}
	if len(c.Certificates) == 0 || c.PrivateKey == nil {
		return nil, errors.New("the PEM file needs a CERTIFICATE and a PRIVATE KEY block")
	}
	c.Leaf = c.Certificates[0]
	return c, nil
}

// SignScript implements emitters.Signer: the script with its signature block
// appended. A script that already carries a signature block is an error (the
// generated scripts never do).
func (s *Signer) SignScript(name string, script []byte) ([]byte, error) {
	digest, err := authenticode.DigestPowershell(bytes.NewReader(script), authenticode.SigStyleHash, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	if digest.SigSize != 0 || digest.TextSize != int64(len(script)) {
		return nil, fmt.Errorf("%s already holds a signature block", name)
	}
	_, sig, err := digest.Sign(context.Background(), s.cert, nil)
	if err != nil {
		return nil, err
	}
	return append(bytes.Clone(script), Block(sig.Raw)...), nil
}

// Block formats a PKCS#7 signature as PowerShell's signature block, the way
// relic's authenticode.PsDigest.MakePatch writes it: CRLF, the begin line,
// base64 in lines of 64 characters, the end line, each a "# " comment.
func Block(sig []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\r\n# SIG # Begin signature block\r\n")
	b64 := base64.StdEncoding.EncodeToString(sig)
	for len(b64) > 0 {
		n := min(64, len(b64))
		b.WriteString("# " + b64[:n] + "\r\n")
		b64 = b64[n:]
	}
	b.WriteString("# SIG # End signature block\r\n")
	return b.Bytes()
}

// rfc3161 asks an RFC 3161 timestamp server for a token over the signature.
type rfc3161 struct{ url string }

// Timestamp implements pkcs9.Timestamper.
func (t rfc3161) Timestamp(ctx context.Context, req *pkcs9.Request) (_ *pkcs7.ContentInfoSignedData, err error) {
	defer func() {
		// Whatever the server answered is quoted in the error: escaped.
		if err != nil {
			err = errors.New(diag.Escape(err.Error()))
		}
	}()
	h := req.Hash.New()
	h.Write(req.EncryptedDigest)
	msg, hreq, err := pkcs9.NewRequest(t.url, req.Hash, h.Sum(nil))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(hreq.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("timestamp server %s: %w", t.url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("timestamp server %s: %w", t.url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("timestamp server %s: HTTP %s", t.url, resp.Status)
	}
	return msg.ParseResponse(body)
}

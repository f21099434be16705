package validators

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The two Squid builds Debian ships: the default package "squid" is built
// with GnuTLS and knows no ssl_bump or ssl::server_name; "squid-openssl" is
// built with OpenSSL and knows both. They conflict as packages, so .ci/run
// installs squid-openssl and unpacks the default build into .cache/squid-gnutls
// (apt-get download squid; dpkg -x).
const (
	squidDefault = "default (GnuTLS) build, Debian package squid"
	squidOpenSSL = "OpenSSL build, Debian package squid-openssl"
)

// squidCandidates are the Squid binaries a test may use: the one on PATH,
// Debian's, and the unpacked ones under the repository's .cache.
func squidCandidates() []string {
	var out []string
	if p := os.Getenv("MDEPROXYC_SQUID"); p != "" {
		out = append(out, p)
	}
	if p, err := exec.LookPath("squid"); err == nil {
		out = append(out, p)
	}
	_, file, _, _ := runtime.Caller(0)
	cache := filepath.Join(filepath.Dir(file), "..", "..", ".cache")
	return append(out, "/usr/sbin/squid",
		filepath.Join(cache, "squid-gnutls", "usr", "sbin", "squid"),
		filepath.Join(cache, "squid-openssl", "usr", "sbin", "squid"))
}

// squidBuild returns a Squid binary of the wanted build, telling the builds
// apart by their configure options (`squid -v`); it skips (fails under
// RequireEnv) when none is there.
func squidBuild(t testing.TB, openssl bool) string {
	t.Helper()
	for _, p := range squidCandidates() {
		out, err := exec.Command(p, "-v").Output()
		if err != nil {
			continue
		}
		if strings.Contains(string(out), "--with-openssl") == openssl {
			return p
		}
	}
	want := squidDefault
	if openssl {
		want = squidOpenSSL
	}
	Missing(t, "no Squid "+want+" (.ci/run installs squid-openssl and unpacks squid into .cache/squid-gnutls)")
	return ""
}

// SquidParse runs `squid -k parse` of Debian's default Squid (built with
// GnuTLS, as most sites run it) on a complete squid.conf and returns its
// complaint, if any: what passes here passes every build.
func SquidParse(t testing.TB, conf string) error {
	t.Helper()
	return squidParse(t, squidBuild(t, false), conf)
}

// SquidParseSSLBump is SquidParse with a Squid built with OpenSSL, the only
// build that knows ssl_bump and ssl::server_name.
func SquidParseSSLBump(t testing.TB, conf string) error {
	t.Helper()
	return squidParse(t, squidBuild(t, true), conf)
}

func squidParse(t testing.TB, squid, conf string) error {
	t.Helper()
	file := writeFile(t, "", "squid.conf", []byte(conf), 0o644)
	out, err := exec.Command(squid, "-k", "parse", "-f", file).CombinedOutput()
	if err != nil {
		return fmt.Errorf("squid -k parse: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "ERROR") || strings.Contains(line, "FATAL") || strings.Contains(line, "WARNING") {
			return fmt.Errorf("squid -k parse: %s", line)
		}
	}
	return nil
}

// Squid is a real Squid running on loopback for one test.
type Squid struct {
	// Addr is the proxy's host:port on 127.0.0.1.
	Addr string
	dir  string
}

// StartSquid starts Squid with the given configuration lines (the snippet
// under test, and whatever the test adds before it) and stops it when the test
// ends. No traffic leaves the machine: Squid resolves names only through a
// hosts file mapping every name in hosts to 127.0.0.1, and its only DNS server
// is 127.0.0.1.
func StartSquid(t testing.TB, conf string, hosts []string) *Squid {
	t.Helper()
	squid := squidBuild(t, false)
	// Squid drops root for its effective user, which must reach and write its
	// logs: t.TempDir's parent is private, so the folder is made here.
	dir, err := os.MkdirTemp("", "mdeproxyc-squid-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var h strings.Builder
	for _, name := range hosts {
		fmt.Fprintf(&h, "127.0.0.1 %s\n", name)
	}
	writeFile(t, dir, "hosts", []byte(h.String()), 0o644)
	full := fmt.Sprintf(`http_port %s
pid_filename %s
access_log stdio:%s
cache_log %s
cache_store_log none
cache deny all
netdb_filename none
logfile_rotate 0
shutdown_lifetime 0 seconds
dns_nameservers 127.0.0.1
hosts_file %s
%s
http_access deny all
`, addr, filepath.Join(dir, "squid.pid"), filepath.Join(dir, "access.log"), filepath.Join(dir, "cache.log"), filepath.Join(dir, "hosts"), conf)
	file := writeFile(t, dir, "squid.conf", []byte(full), 0o644)
	cmd := exec.Command(squid, "-N", "-f", file)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// done is closed when Squid exits; waitErr is then its exit status.
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return &Squid{Addr: addr, dir: dir}
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "cache.log"))
			t.Fatalf("squid exited: %v\n%s\n%s", waitErr, stderr.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("squid did not listen on %s:\n%s", addr, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// AccessLog returns Squid's access log lines so far: each names the result
// code and status (TCP_DENIED/403) and the destination.
//
// Squid writes a request's line when the transaction ends, which can be just
// after the client has its answer: with wants, AccessLog waits (5 s at most)
// until every want appears in some line, so a test does not race the log.
func (s *Squid) AccessLog(t testing.TB, wants ...string) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines := s.readAccessLog(t)
		all := strings.Join(lines, "\n")
		missing := false
		for _, w := range wants {
			if !strings.Contains(all, w) {
				missing = true
			}
		}
		if !missing || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Squid) readAccessLog(t testing.TB) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(s.dir, "access.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// LoopbackOrigins starts the destinations' stand-ins on 127.0.0.1: an HTTPS
// server on port 443 with a self-signed certificate for names, and an HTTP
// server on port 80, both answering 200. It returns the certificate as a PEM
// file, for clients told to trust it (curl's CURL_CA_BUNDLE). The ports are
// privileged: the test needs root (CI runs as root).
func LoopbackOrigins(t testing.TB, names []string) (caFile string) {
	t.Helper()
	return LoopbackOriginsStatus(t, names, nil)
}

// LoopbackOriginsStatus is LoopbackOrigins whose stand-in answers the given
// HTTP status for the host names in status (the destination's own refusal),
// 200 for the others.
func LoopbackOriginsStatus(t testing.TB, names []string, status map[string]int) (caFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mdeproxyc test destinations"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		DNSNames:              names,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile = writeFile(t, "", "ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	lockLoopbackPorts(t)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if code, set := status[host]; set {
			w.WriteHeader(code)
		}
		fmt.Fprintln(w, "ok")
	})
	for _, port := range []string{"443", "80"} {
		ln, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err != nil {
			Missing(t, fmt.Sprintf("cannot listen on 127.0.0.1:%s for the stand-in destinations: %v", port, err))
		}
		srv := &http.Server{Handler: ok, ReadHeaderTimeout: 5 * time.Second}
		if port == "443" {
			srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
			go srv.ServeTLS(ln, "", "")
		} else {
			go srv.Serve(ln)
		}
		t.Cleanup(func() { srv.Close() })
	}
	return caFile
}

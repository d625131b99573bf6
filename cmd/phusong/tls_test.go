package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a fresh self-signed certificate for 127.0.0.1 and localhost (ECDSA P-256,
// valid for an hour) to certFile and keyFile, and returns it parsed.
func selfSigned(t *testing.T, certFile, keyFile, name string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:    []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// The key first, then the certificate: a reader in between sees a pair that does not
	// match, as with a real renewal written file by file.
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	httpsURL    = regexp.MustCompile(`https://[^ ]+/`)
	redirectURL = regexp.MustCompile(`redirecting (http://[^ ]+/)`)
)

// TestServeTLS runs `phusong serve --tls-cert --tls-key --redirect-http --hsts` on loopback
// with a certificate the test makes, and talks to it with clients that trust only that
// certificate: HTTPS with HTTP/2 and the security headers; an untrusting client, TLS 1.1 and
// plain HTTP on the HTTPS port are refused; the redirect listener sends GETs to the same path
// over HTTPS and refuses to forward other methods; a renewed certificate written over the
// files is served from the next handshake; cancelling stops both listeners.
func TestServeTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	first := selfSigned(t, certFile, keyFile, "phusong test 1")

	s := startServe(t, []string{"--addr", "127.0.0.1:0", "--cell-m", "400", "--data-dir", t.TempDir(),
		"--tls-cert", certFile, "--tls-key", keyFile, "--redirect-http", "127.0.0.1:0", "--hsts"},
		func(out string) bool { return httpsURL.MatchString(out) && redirectURL.MatchString(out) })
	base := strings.Replace(httpsURL.FindString(s.stdout.String()), "localhost", "127.0.0.1", 1)
	redirect := strings.Replace(redirectURL.FindStringSubmatch(s.stdout.String())[1], "localhost", "127.0.0.1", 1)

	trusting := func(c *x509.Certificate, maxVersion uint16) *http.Client {
		pool := x509.NewCertPool()
		pool.AddCert(c)
		return &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				TLSClientConfig:   &tls.Config{RootCAs: pool, MaxVersion: maxVersion},
				ForceAttemptHTTP2: true, DisableKeepAlives: true,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	client := trusting(first, 0)
	resp, err := client.Get(base + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Proto != "HTTP/2.0" || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 || !strings.Contains(string(body), `"status":"ok"`) {
		t.Fatalf("GET %shealthz: %s %s, TLS %v: %s", base, resp.Status, resp.Proto, resp.TLS != nil, body)
	}
	if got := resp.TLS.PeerCertificates[0].SerialNumber; got.Cmp(first.SerialNumber) != 0 {
		t.Fatalf("served certificate serial %v, want %v", got, first.SerialNumber)
	}
	for name, want := range map[string]string{
		"Strict-Transport-Security": "max-age=31536000",
		"X-Content-Type-Options":    "nosniff",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("no CSP over HTTPS: %q", resp.Header.Get("Content-Security-Policy"))
	}

	// Refused: a client that does not trust the certificate, TLS 1.1, plain HTTP.
	if _, err := (&http.Client{Timeout: 10 * time.Second}).Get(base + "healthz"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a client without the certificate: %v, want a certificate error", err)
	}
	if _, err := trusting(first, tls.VersionTLS11).Get(base + "healthz"); err == nil {
		t.Errorf("TLS 1.1 was accepted")
	}
	plain, err := http.Get(strings.Replace(base, "https://", "http://", 1) + "healthz")
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP on the HTTPS port: %s, want 400", plain.Status)
		}
	}

	// The redirect listener.
	r, err := client.Get(redirect + "api/v1/info?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if want := base + "api/v1/info?lang=en"; r.StatusCode != http.StatusPermanentRedirect || r.Header.Get("Location") != want {
		t.Fatalf("redirect: %s to %q, want 308 to %q", r.Status, r.Header.Get("Location"), want)
	}
	if r, err = client.Get(r.Header.Get("Location")); err != nil || r.StatusCode != 200 {
		t.Fatalf("following the redirect: %v %v", r, err)
	}
	r.Body.Close()
	post, err := client.Post(redirect+"api/v1/carriers/viettel/sites", "text/csv", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(post.Body)
	post.Body.Close()
	if post.StatusCode != http.StatusBadRequest || post.Header.Get("Location") != "" || !strings.Contains(string(msg), "https://") {
		t.Errorf("POST to the redirect listener: %s %q, want 400 naming the https URL", post.Status, msg)
	}

	// Renewal: a new pair over the files is served from the next handshake.
	time.Sleep(20 * time.Millisecond) // a later modification time on coarse clocks
	second := selfSigned(t, certFile, keyFile, "phusong test 2")
	resp, err = trusting(second, 0).Get(base + "healthz")
	if err != nil {
		t.Fatalf("after renewal: %v", err)
	}
	resp.Body.Close()
	if got := resp.TLS.PeerCertificates[0].SerialNumber; got.Cmp(second.SerialNumber) != 0 {
		t.Fatalf("after renewal the serial is %v, want the new %v", got, second.SerialNumber)
	}

	s.stop(t)
	for _, u := range []string{base, redirect} {
		if r, err := client.Get(u + "healthz"); err == nil {
			r.Body.Close()
			t.Errorf("%s still answers after shutdown", u)
		}
	}
}

func TestServeTLSFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	selfSigned(t, certFile, keyFile, "x")
	other := filepath.Join(dir, "other.pem")
	selfSigned(t, other, filepath.Join(dir, "otherkey.pem"), "y")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"cert without key", []string{"--tls-cert", certFile}, "go together"},
		{"redirect without TLS", []string{"--redirect-http", ":0"}, "need --tls-cert"},
		{"hsts without TLS", []string{"--hsts"}, "need --tls-cert"},
		{"key of another certificate", []string{"--tls-cert", other, "--tls-key", keyFile, "--cell-m", "1000"}, "private key does not match"},
		{"missing file", []string{"--tls-cert", filepath.Join(dir, "none.pem"), "--tls-key", keyFile, "--cell-m", "1000"}, "no such file"},
		{"bad CORS origin", []string{"--cors-origins", "gis.example.org", "--cell-m", "1000"}, "CORS origin"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := runServe(context.Background(), stdio{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }},
				append(c.args, "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

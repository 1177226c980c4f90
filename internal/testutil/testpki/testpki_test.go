package testpki

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"
)

// An issued server certificate verifies against the CA's pool for its
// names, and its files load as a key pair.
func TestIssueVerifiesAndLoads(t *testing.T) {
	ca := NewCA(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	c := ca.Issue(t, Leaf{CommonName: "web.test", DNSNames: []string{"web.test"}, IPs: Loopback})
	for _, name := range []string{"web.test", "127.0.0.1"} {
		if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool, DNSName: name}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	certFile, keyFile := WritePair(t, t.TempDir(), "server", c)
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	client := ca.Issue(t, Leaf{CommonName: "nagios", Client: true})
	if _, err := client.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("client certificate: %v", err)
	}
}

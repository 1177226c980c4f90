package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeCert creates a self-signed certificate for 127.0.0.1 and returns the paths
// of the certificate (also the CA to trust) and key.
func writeCert(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil-e2e"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeFile(t, certPath, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyPath, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	return certPath, keyPath
}

// TestShippingOverTLS: a collector with a certificate, an agent that trusts it
// through ca_file, and one that does not trust it and must not deliver.
func TestShippingOverTLS(t *testing.T) {
	r := newRig(t, 200*time.Millisecond)
	cert, key := writeCert(t, r.dir)
	cfg, err := os.ReadFile(r.collectorCfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, r.collectorCfg, string(cfg)+fmt.Sprintf("tls:\n  cert_file: %q\n  key_file: %q\n", cert, key))
	r.api = strings.Replace(r.api, "http://", "https://", 1)
	p := start(t, "vigil-collector", "-config", r.collectorCfg)
	waitFor(t, "collector log shows TLS", 20*time.Second, func() bool { return strings.Contains(p.LogText(), "tls=true") })

	// Without the CA the agent must refuse the certificate and keep spooling.
	r.writeAgentConfig(200 * time.Millisecond)
	untrusted := r.startAgent()
	waitFor(t, "certificate refused", 20*time.Second, func() bool {
		return strings.Contains(untrusted.LogText(), "certificate signed by unknown authority")
	})
	if err := untrusted.stop(syscall.SIGKILL); err == nil {
		t.Fatal("agent exited cleanly on SIGKILL?")
	}

	agentCfg, err := os.ReadFile(r.agentCfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, r.agentCfg, strings.Replace(string(agentCfg), "collector:\n", fmt.Sprintf("collector:\n  ca_file: %q\n", cert), 1))
	r.startAgent()
	waitFor(t, "spool drained over TLS", 30*time.Second, func() bool {
		return r.agentSpooled() == 0 && metric(r.agentMetrics, "vigil_agent_ship_batches_total") >= 3
	})
}

package checks

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/testutil/testpki"
)

// testCA issues certificates for the cert and http tests, on the tests'
// fixed clock t0.
type testCA struct{ *testpki.CA }

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	return &testCA{testpki.NewCA(t, t0.AddDate(-1, 0, 0), t0.AddDate(10, 0, 0))}
}

// issue returns a server certificate for 127.0.0.1 named cn that expires
// at notAfter.
func (ca *testCA) issue(t *testing.T, cn string, notAfter time.Time) tls.Certificate {
	t.Helper()
	return ca.Issue(t, testpki.Leaf{CommonName: cn, DNSNames: []string{cn}, IPs: testpki.Loopback,
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: notAfter})
}

func certPEM(c tls.Certificate) string { return string(testpki.CertPEM(c)) }

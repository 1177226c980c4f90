package nrpepoll

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// TLSConfig is how the collector talks TLS to a daemon. Unlike check_nrpe,
// which verifies the daemon's certificate only when given -A, the default is
// to verify it against the system roots: nrpe certificates are usually
// self-signed, so set ca_file (or, knowingly, insecure_skip_verify).
type TLSConfig struct {
	// CAFile holds the PEM certificates the daemon's certificate must chain
	// to (check_nrpe -A). Default: the system roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a client certificate (check_nrpe -C/-K), for
	// daemons with ssl_client_certs set.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name the certificate must carry. Default: the host
	// part of the address.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify accepts any certificate: encrypted, but open to a
	// man in the middle. check_nrpe's behaviour without -A.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Build returns the *tls.Config for a daemon whose address has host
// addrHost (used as the server name unless ServerName is set). It reads the
// files, so it fails on a missing or malformed one.
func (c TLSConfig) Build(addrHost string) (*tls.Config, error) {
	cfg := &tls.Config{
		// nrpe 4.x offers TLS 1.2 and 1.3 when it has a certificate; nothing
		// older is worth accepting.
		MinVersion:         tls.VersionTLS12,
		ServerName:         c.ServerName,
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // opt-in, documented above
	}
	if cfg.ServerName == "" {
		cfg.ServerName = addrHost
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read ca_file %s: no PEM certificate in it", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" || c.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

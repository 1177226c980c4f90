package checks

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
)

// cert checks the certificates in PEM files (-f, repeatable; every
// CERTIFICATE block, so a chain file counts its intermediates too) and
// reports the one that expires first. -w/-c are days left: a plain N alerts
// below N days (the range "N:"), default -w 30 -c 7. A file that cannot be
// read is CRITICAL, as a service would fail to start with it; one without a
// parsable certificate is UNKNOWN.
type cert struct {
	files      []string
	now        func() time.Time
	thresholds nagios.Thresholds
}

func certFlags(fs *flag.FlagSet, env Env) func() (Check, error) {
	var files listFlag
	fs.Var(&files, "f", "PEM `file` with one or more certificates (repeatable)")
	warn := fs.String("w", "30", "warn with fewer than `days` left")
	crit := fs.String("c", "7", "critical with fewer than `days` left")
	return func() (Check, error) {
		if len(files) == 0 {
			return nil, errors.New("-f file is required")
		}
		t, err := parseMinimums(*warn, *crit)
		if err != nil {
			return nil, err
		}
		return &cert{files: files, now: env.Now, thresholds: t}, nil
	}
}

func (c *cert) Run(context.Context) nagios.Result {
	now := c.now()
	var soonest *x509.Certificate
	soonestFile := ""
	state := nagios.OK
	var parts, long []string
	for _, f := range c.files {
		certs, err := readCerts(f)
		if err != nil {
			s := nagios.Unknown
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
				s = nagios.Critical
			}
			state = nagios.Worse(state, s)
			parts = append(parts, err.Error())
			continue
		}
		for _, crt := range certs {
			days := daysLeft(crt, now)
			long = append(long, fmt.Sprintf("%s %s: %s", c.thresholds.Evaluate(days), f, certText(crt, days)))
			if soonest == nil || crt.NotAfter.Before(soonest.NotAfter) {
				soonest, soonestFile = crt, f
			}
		}
	}
	if len(long) == 1 {
		long = nil // the first line says it all
	}
	var perfs []nagios.Perf
	if soonest != nil {
		days := daysLeft(soonest, now)
		state = nagios.Worse(state, c.thresholds.Evaluate(days))
		parts = append(parts, soonestFile+": "+certText(soonest, days))
		perfs = append(perfs, perf("days", days, "", c.thresholds, nil, nil))
	}
	return result("CERT", state, strings.Join(parts, ", "), long, perfs)
}

// readCerts parses every CERTIFICATE block in a PEM file.
func readCerts(file string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read certificate: %w", err)
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue // a key or parameters next to the certificate
		}
		crt, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate in %s: %w", file, err)
		}
		certs = append(certs, crt)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("read certificate: no PEM CERTIFICATE in %s", file)
	}
	return certs, nil
}

package checks

import (
	"path/filepath"
	"testing"

	"github.com/vigilmon/vigil/internal/nagios"
)

func TestCert(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	later := filepath.Join(dir, "later.pem")
	soon := filepath.Join(dir, "soon.pem")
	chain := filepath.Join(dir, "chain.pem")
	expired := filepath.Join(dir, "expired.pem")
	junk := filepath.Join(dir, "key-only.pem")
	writeFile(t, later, certPEM(ca.issue(t, "later.example", t0.AddDate(0, 0, 90))))
	writeFile(t, soon, certPEM(ca.issue(t, "soon.example", t0.AddDate(0, 0, 20))))
	// A key block next to the certificates is skipped.
	writeFile(t, chain, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"+
		certPEM(ca.issue(t, "leaf.example", t0.AddDate(0, 0, 60)))+certPEM(ca.issue(t, "intermediate.example", t0.AddDate(0, 0, 5))))
	writeFile(t, expired, certPEM(ca.issue(t, "old.example", t0.AddDate(0, 0, -2))))
	writeFile(t, junk, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")

	tests := []struct {
		name string
		args []string
		want string
		st   nagios.State
	}{
		{"ok", []string{"-f", later}, "CERT OK - " + later + ": certificate 'later.example' expires in 90 days (2026-05-30) | days=90;30:;7:", nagios.OK},
		{"soonest of two files", []string{"-f", later, "-f", soon}, "CERT WARNING - " + soon + ": certificate 'soon.example' expires in 20 days (2026-03-21) | days=20;30:;7:\n" +
			"OK " + later + ": certificate 'later.example' expires in 90 days (2026-05-30)\nWARNING " + soon + ": certificate 'soon.example' expires in 20 days (2026-03-21)", nagios.Warning},
		{"intermediate in a chain", []string{"-f", chain, "-w", "10", "-c", "6"}, "CERT CRITICAL - " + chain + ": certificate 'intermediate.example' expires in 5 days (2026-03-06) | days=5;10:;6:\n" +
			"OK " + chain + ": certificate 'leaf.example' expires in 60 days (2026-04-30)\nCRITICAL " + chain + ": certificate 'intermediate.example' expires in 5 days (2026-03-06)", nagios.Critical},
		{"expired", []string{"-f", expired}, "CERT CRITICAL - " + expired + ": certificate 'old.example' expired 2026-02-27 | days=-2;30:;7:", nagios.Critical},
		{"missing file", []string{"-f", filepath.Join(dir, "nope.pem"), "-f", later}, "CERT CRITICAL - read certificate: open " + filepath.Join(dir, "nope.pem") + ": no such file or directory, " + later + ": certificate 'later.example' expires in 90 days (2026-05-30) | days=90;30:;7:", nagios.Critical},
		{"no certificate", []string{"-f", junk}, "CERT UNKNOWN - read certificate: no PEM CERTIFICATE in " + junk, nagios.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustNew(t, testEnv(t), append([]string{"cert"}, tt.args...)...).Run(t.Context())
			if got := line(r); got != tt.want || r.State != tt.st {
				t.Fatalf("got %s %s\nwant %s %s", r.State, got, tt.st, tt.want)
			}
		})
	}
}

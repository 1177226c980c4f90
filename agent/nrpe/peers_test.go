package nrpe

import (
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/nrpe"
	"github.com/vigilmon/vigil/internal/testutil/peers"
)

// Debian's check_nrpe against our server, case by case, and where stock
// nrpe can run the same case, against Debian's nrpe too.

// checkNRPE runs check_nrpe against addr and returns its output without the
// final newline, and its exit code.
func checkNRPE(t *testing.T, addr string, args ...string) (string, int) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	out, rc := peers.CheckNRPE(t, append([]string{"-H", host, "-p", port}, args...)...)
	return strings.TrimSuffix(out, "\n"), rc
}

// peerCase is one check_nrpe invocation.
type peerCase struct {
	name string
	args []string
	want string // our server's answer, exact
	rc   int
	// stock is a regexp for stock nrpe's output in the same case, "" for
	// the same as want, "-" for a case stock nrpe cannot run.
	stock   string
	stockRC int
}

// Stock nrpe's texts where it differs from us. It refuses v3 and drops
// queries with arguments without an answer; check_nrpe then reports an
// empty read (0 or -1 bytes, by whether the close raced the query), and for
// v3 falls back to v2.
const (
	underflow = `CHECK_NRPE: Receive header underflow - only -?[01] bytes received \(4 expected\)\.`
	resetTLS  = "CHECK_NRPE: Error - Could not connect to 127.0.0.1: Connection reset by peer"
)

// run checks every case against ours and, where stock is not "-", stock.
func runPeerCases(t *testing.T, ours, stock string, cases []peerCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, rc := checkNRPE(t, ours, c.args...)
			if out != c.want || rc != c.rc {
				t.Errorf("ours: check_nrpe %v printed %q rc %d, want %q rc %d", c.args, trim(out), rc, trim(c.want), c.rc)
			}
			if c.stock == "-" || stock == "" {
				return
			}
			re := c.stock
			if re == "" {
				re = regexp.QuoteMeta(c.want)
			}
			out, rc = checkNRPE(t, stock, c.args...)
			if !regexp.MustCompile(`^(?:`+re+`)$`).MatchString(out) || rc != c.stockRC {
				t.Errorf("stock nrpe: check_nrpe %v printed %q rc %d, want /%s/ rc %d", c.args, trim(out), rc, trim(re), c.stockRC)
			}
		})
	}
}

func trim(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}

const hello = "NRPE v4.1.0 (vigil-agent test)"

func TestCheckNRPEPlaintext(t *testing.T) {
	stock := peers.NRPE(t, peers.NRPEOptions{Plain: true, Commands: stockCommands})
	ts := start(t, baseConfig())
	n := func(args ...string) []string { return append([]string{"-n"}, args...) }
	runPeerCases(t, ts.addr(), stock.Addr, []peerCase{
		{"hello v4", n(), hello, 0, `NRPE v4\.1\.0`, 0},
		{"hello v2", n("-2"), hello, 0, `NRPE v4\.1\.0`, 0},
		{"ok v4", n("-c", "ok"), "OK: fine", 0, "", 0},
		{"ok v2", n("-2", "-c", "ok"), "OK: fine", 0, "", 0},
		{"ok v3", n("-3", "-c", "ok"), "OK: fine", 0, underflow + "\nOK: fine", 0},
		{"critical", n("-c", "crit"), "CRITICAL: disk full", 2, "", 2},
		{"unknown command", n("-c", "nosuch"), "NRPE: Command 'nosuch' not defined", 3, "", 3},
		{"arguments disabled", n("-c", "ok", "-a", "x"), textArgsDisabled, 3, underflow, 3},
		{"long v2 truncated", n("-2", "-c", "long"), longOutput[:nrpe.V2MaxText], 0, "", 0},
		{"long v4 whole", n("-c", "long"), longOutput, 0, "", 0},
		{"command timeout", n("-t", "20", "-c", "slow"), "NRPE: Command timed out after 1 seconds", 3,
			"NRPE: Command timed out after 10 seconds", 3}, // peers' nrpe.cfg has command_timeout=10
		{"perfdata and long output", n("-c", "perf"), "WARNING: a¦b | load1=1.5\nline 2", 1, "-", 0},
		{"command panics", n("-c", "panic"), "NRPE: Command 'panic' failed inside the agent (see its log)", 3, "-", 0},
		// check_nrpe without -n speaks TLS to a plaintext server.
		{"TLS client", []string{"-c", "ok"}, resetTLS, 2, "", 2},
	})
	t.Cleanup(func() {
		if got := ts.refusals(reasonArgsDisabled); got != 1 {
			t.Errorf("refusals{arguments_disabled} = %v, want 1", got)
		}
		if got := ts.refusals(reasonCommandTimeout); got != 1 {
			t.Errorf("refusals{command_timeout} = %v, want 1", got)
		}
	})
}

func TestCheckNRPETLS(t *testing.T) {
	p := newPKI(t)
	stock := peers.NRPE(t, peers.NRPEOptions{CertFile: p.certFile, KeyFile: p.keyFile, Commands: stockCommands})
	ts := start(t, p.withTLS(baseConfig()))
	runPeerCases(t, ts.addr(), stock.Addr, []peerCase{
		{"hello", nil, hello, 0, `NRPE v4\.1\.0`, 0},
		{"ok v4", []string{"-c", "ok"}, "OK: fine", 0, "", 0},
		{"ok v2", []string{"-2", "-c", "ok"}, "OK: fine", 0, "", 0},
		{"ok v3", []string{"-3", "-c", "ok"}, "OK: fine", 0, "(?:" + underflow + "\n)?OK: fine", 0},
		{"server certificate verified", []string{"-A", p.caFile, "-c", "ok"}, "OK: fine", 0, "", 0},
		{"critical", []string{"-c", "crit"}, "CRITICAL: disk full", 2, "", 2},
		{"unknown command", []string{"-c", "nosuch"}, "NRPE: Command 'nosuch' not defined", 3, "", 3},
		{"arguments disabled", []string{"-c", "ok", "-a", "x"}, textArgsDisabled, 3, underflow, 3},
		{"long v2 truncated", []string{"-2", "-c", "long"}, longOutput[:nrpe.V2MaxText], 0, "", 0},
		{"long v4 whole", []string{"-c", "long"}, longOutput, 0, "", 0},
		// -n sends a plaintext query to a TLS server.
		{"plaintext client", []string{"-n", "-c", "ok"}, "CHECK_NRPE: Receive header underflow - only -1 bytes received (4 expected).", 3, underflow, 3},
	})
}

func TestCheckNRPEClientCerts(t *testing.T) {
	p := newPKI(t)
	cfg := p.withTLS(baseConfig())
	cfg.TLS.ClientCAFile = p.caFile
	ts := start(t, cfg)
	runPeerCases(t, ts.addr(), "", []peerCase{
		{"client certificate", []string{"-C", p.clientCert, "-K", p.clientKey, "-A", p.caFile, "-c", "ok"}, "OK: fine", 0, "-", 0},
		{"no client certificate", []string{"-c", "ok"}, "CHECK_NRPE: Receive header underflow - only 0 bytes received (4 expected).", 3, "-", 0},
	})
	t.Cleanup(func() {
		if got := ts.refusals(reasonTLSHandshake); got < 1 {
			t.Errorf("refusals{tls_handshake} = %v, want ≥ 1", got)
		}
	})
}

// Stock nrpe with allowed_hosts=10.0.0.0/8 (peers.md setup, by hand: the
// peers helper always allows 127.0.0.1) gives, for check_nrpe from
// 127.0.0.1: plaintext "Receive header underflow - only -1 bytes received"
// rc 3, TLS resetTLS rc 2. Ours gives the same exit codes and the same kind
// of message.
func TestCheckNRPEAllowedHosts(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name string
		cfg  Config
		args []string
		want string
		rc   int
	}{
		// The reset may arrive before check_nrpe sends its query or after;
		// the exit code is the same either way.
		{"plaintext", baseConfig(), []string{"-n", "-c", "ok"}, underflow + `|CHECK_NRPE: Error sending query to host\.`, 3},
		{"tls", p.withTLS(baseConfig()), []string{"-c", "ok"},
			`CHECK_NRPE: Error - Could not connect to (?:127\.0\.0\.1|Unknown): Connection reset by peer`, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.AllowedHosts = []string{"10.0.0.0/8"}
			ts := start(t, tc.cfg)
			out, rc := checkNRPE(t, ts.addr(), tc.args...)
			if !regexp.MustCompile(`^(?:`+tc.want+`)$`).MatchString(out) || rc != tc.rc {
				t.Errorf("check_nrpe %v printed %q rc %d, want /%s/ rc %d", tc.args, out, rc, tc.want, tc.rc)
			}
			if got := ts.refusals(reasonHostNotAllowed); got < 1 {
				t.Errorf("refusals{host_not_allowed} = %v, want ≥ 1", got)
			}
			if !strings.Contains(ts.log.String(), "reason=host_not_allowed") {
				t.Errorf("no log line for the refusal:\n%s", ts.log.String())
			}
		})
	}
}

func TestCheckNRPEArguments(t *testing.T) {
	cfg := baseConfig()
	cfg.AllowArguments = true
	cfg.Commands["disk"] = CommandConfig{Check: "echo", Params: []ParamConfig{
		{Name: "path", Type: TypePath}, {Name: "warn", Type: TypeRange}, {Name: "crit", Type: TypeRange},
	}}
	cfg.Commands["unit"] = CommandConfig{Check: "echo", Params: []ParamConfig{
		{Name: "unit", Type: TypeString, Pattern: `[a-z0-9-]+\.service`},
	}}
	ts := start(t, cfg)
	bad := func(format string) string { return "NRPE: Invalid arguments for command " + format }
	runPeerCases(t, ts.addr(), "", []peerCase{
		{"declared arguments", []string{"-n", "-c", "disk", "-a", "/var", "10:20", "@5:"}, "OK: args /var 10:20 @5:", 0, "-", 0},
		{"v2 arguments", []string{"-n", "-2", "-c", "unit", "-a", "nginx.service"}, "OK: args nginx.service", 0, "-", 0},
		{"unclean path", []string{"-n", "-c", "disk", "-a", "/var/../etc", "10", "20"},
			bad("'disk': check argument 1 (path): path is not clean (no //, /./, /../ or trailing /)"), 3, "-", 0},
		{"bad range", []string{"-n", "-c", "disk", "-a", "/var", "lots", "20"},
			bad("'disk': check argument 2 (warn): not a threshold range"), 3, "-", 0},
		{"too few", []string{"-n", "-c", "disk", "-a", "/var", "10"},
			bad("'disk': check arguments: got 2, the command declares 3"), 3, "-", 0},
		{"pattern", []string{"-n", "-c", "unit", "-a", "nginx"},
			bad("'unit': check argument 1 (unit): does not match its pattern"), 3, "-", 0},
		{"option injection", []string{"-n", "-c", "unit", "-a", "-rf.service"},
			bad("'unit': check argument 1 (unit): starts with '-' and would read as an option"), 3, "-", 0},
		{"metacharacter", []string{"-n", "-c", "disk", "-a", "/var;id", "1", "2"},
			"NRPE: Request contains a forbidden character (" + nastyShown + ")", 3, "-", 0},
		{"command without params", []string{"-n", "-c", "ok", "-a", "x"}, "NRPE: Command 'ok' takes no arguments", 3, "-", 0},
	})
}

// check_nrpe -t shorter than a command: check_nrpe gives up, as with stock
// nrpe; the command runs on until the server stops it.
func TestCheckNRPESocketTimeout(t *testing.T) {
	stock := peers.NRPE(t, peers.NRPEOptions{Plain: true, Commands: stockCommands})
	cfg := baseConfig()
	cfg.CommandTimeout = time.Minute
	ts := start(t, cfg)
	runPeerCases(t, ts.addr(), stock.Addr, []peerCase{
		{"critical", []string{"-n", "-t", "1", "-c", "slow"}, "CHECK_NRPE STATE CRITICAL: Socket timeout after 1 seconds.", 2, "", 2},
		{"unknown", []string{"-n", "-t", "1:3", "-c", "slow"}, "CHECK_NRPE STATE UNKNOWN: Socket timeout after 1 seconds.", 3, "", 3},
	})
}

package peers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPolicy(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		euid int
		want policy
	}{
		{"laptop user", nil, 1000, policy{}},
		{"laptop user opting in", map[string]string{"VIGIL_PEERS_INSTALL": "1"}, 1000, policy{mayInstall: true}},
		{"root", nil, 0, policy{mayInstall: true}},
		{"CI", map[string]string{"CI": "true"}, 1000, policy{ci: true, mayInstall: true}},
		{"CI=1 is not CI=true", map[string]string{"CI": "1"}, 1000, policy{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := currentPolicy(func(k string) string { return tt.env[k] }, tt.euid)
			if got != tt.want {
				t.Errorf("policy = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// recordTB stands in for the test a helper gets, to see how the helper ends it.
type recordTB struct {
	testing.TB
	skipped, fatal string
}

func (r *recordTB) Helper() {}
func (r *recordTB) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recordTB) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// inGoroutine runs f the way the testing package runs a test, so that the
// Goexit of a recorded Skipf or Fatalf ends f only.
func inGoroutine(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func TestMissingPeerSkipsOnALaptopAndFailsInCI(t *testing.T) {
	if _, err := ensureNode(t.TempDir(), policy{}); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("this test needs node and npm: %v", err)
		}
		t.Skipf("this test needs node and npm: %v", err)
	}
	peer := npmPeer{name: "absent", pkg: "absent-package", version: "1.0.0", script: "node_modules/absent/cli.js"}
	tests := []struct {
		name      string
		pol       policy
		wantSkip  bool
		wantFatal bool
	}{
		{"laptop skips", policy{}, true, false},
		{"CI fails", policy{ci: true}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordTB{TB: t}
			root := t.TempDir()
			inGoroutine(func() { ensureInstalled(rec, peer, tt.pol, root) })
			msg := rec.skipped + rec.fatal
			if (rec.skipped != "") != tt.wantSkip || (rec.fatal != "") != tt.wantFatal {
				t.Fatalf("skipped %q, fatal %q; want skip %v, fatal %v", rec.skipped, rec.fatal, tt.wantSkip, tt.wantFatal)
			}
			for _, want := range []string{"absent", "not installed", "VIGIL_PEERS_INSTALL=1", "npm install"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not mention %q", msg, want)
				}
			}
		})
	}
}

func TestInstalledNeedsMatchingStampAndScript(t *testing.T) {
	p := npmPeer{name: "x", pkg: "x", version: "1.0.0", script: "bin/x.js"}
	dir := t.TempDir()
	if installed(dir, p) {
		t.Fatal("empty directory counts as installed")
	}
	if err := os.WriteFile(filepath.Join(dir, stampFile), p.packageJSON(), 0o644); err != nil {
		t.Fatal(err)
	}
	if installed(dir, p) {
		t.Fatal("installed without its script")
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, p.script), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if !installed(dir, p) {
		t.Fatal("complete install not recognised")
	}
	newer := p
	newer.version = "1.0.1"
	if installed(dir, newer) {
		t.Fatal("a version change does not reinstall")
	}
	if !bytes.Contains(p.packageJSON(), []byte(`"overrides":{"mailparser":"3.9.31"}`)) {
		t.Errorf("package.json %s lacks the mailparser override the filtered registry needs", p.packageJSON())
	}
}

func TestLockFileExcludesOtherHolders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := lockFile(path)
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := unix.Flock(int(other.Fd()), unix.LOCK_EX|unix.LOCK_NB); !errors.Is(err, unix.EWOULDBLOCK) {
		t.Fatalf("second lock while held: %v, want EWOULDBLOCK", err)
	}
	unlock()
	if err := unix.Flock(int(other.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatalf("second lock after unlock: %v", err)
	}
}

func TestNodeMajor(t *testing.T) {
	for in, want := range map[string]int{"v20.20.2\n": 20, "v18.19.0": 18, "v22.1.0": 22} {
		if got, err := nodeMajor(in); err != nil || got != want {
			t.Errorf("nodeMajor(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := nodeMajor("garbage"); err == nil {
		t.Error("nodeMajor(garbage) succeeded")
	}
}

func TestMaildev(t *testing.T) {
	var addr string
	t.Run("receives", func(t *testing.T) {
		md := Maildev(t)
		addr = md.SMTPAddr()
		msg := "From: a@example.test\r\nTo: b@example.test, c@example.test\r\nSubject: hello\r\n" +
			"Message-ID: <m2@example.test>\r\nIn-Reply-To: <m1@example.test>\r\n" +
			"References: <m0@example.test> <m1@example.test>\r\nX-Test: yes\r\n\r\nbody text\r\n"
		if err := smtp.SendMail(addr, nil, "a@example.test", []string{"b@example.test", "c@example.test"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		got := md.WaitEmails(t, 1, 30*time.Second)
		if len(got) != 1 {
			t.Fatalf("got %d emails, want 1", len(got))
		}
		e := got[0]
		checks := []struct{ name, got, want string }{
			{"subject", e.Subject, "hello"},
			{"from", e.From, "a@example.test"},
			{"to", strings.Join(e.To, ","), "b@example.test,c@example.test"},
			{"text", strings.TrimSpace(e.Text), "body text"},
			{"message-id", e.MessageID, "<m2@example.test>"},
			{"in-reply-to", e.InReplyTo, "<m1@example.test>"},
			{"x-test", e.Header("X-Test"), "yes"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
			}
		}
		if !strings.Contains(e.References, "<m0@example.test>") || !strings.Contains(e.References, "<m1@example.test>") {
			t.Errorf("references = %q, want both IDs", e.References)
		}
		src, err := md.Source(t.Context(), e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(src, []byte("X-Test: yes")) {
			t.Errorf("source lacks the X-Test header:\n%s", src)
		}

		rec := &recordTB{TB: t}
		inGoroutine(func() { md.WaitEmails(rec, 2, 200*time.Millisecond) })
		if !strings.Contains(rec.fatal, `has 1 emails, want 2: ["hello"]`) {
			t.Errorf("WaitEmails on timeout: fatal %q, want it to list what arrived", rec.fatal)
		}
	})
	// The subtest's cleanup has stopped the server.
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Errorf("maildev still accepts connections on %s after its test ended", addr)
	}
}

func TestSESLocal(t *testing.T) {
	var endpoint string
	t.Run("receives", func(t *testing.T) {
		ses := SESLocal(t)
		endpoint = ses.Endpoint()
		body := `{"FromEmailAddress":"vigil@example.test","Destination":{"ToAddresses":["ops@example.test"]},
			"Content":{"Simple":{"Subject":{"Data":"disk full"},"Body":{"Text":{"Data":"97%"},"Html":{"Data":"<b>97%</b>"}},
			"Headers":[{"Name":"X-Vigil-Alert-ID","Value":"abc"}]}}}`
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint+"/v2/email/outbound-emails", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		// The server only checks that a signature is there.
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAFAKE/20260101/us-east-1/ses/aws4_request")
		resp, err := newHTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("send: %s", resp.Status)
		}
		got := ses.WaitEmails(t, 1, 30*time.Second)
		e := got[0]
		checks := []struct{ name, got, want string }{
			{"from", e.From, "vigil@example.test"},
			{"to", strings.Join(e.To, ","), "ops@example.test"},
			{"subject", e.Subject, "disk full"},
			{"text", e.Text, "97%"},
			{"html", e.HTML, "<b>97%</b>"},
			{"header", e.Header("x-vigil-alert-id"), "abc"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
			}
		}
		if !strings.HasPrefix(e.MessageID, "ses-") || e.At.IsZero() {
			t.Errorf("message ID %q, at %v: want ses-... and a time", e.MessageID, e.At)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := httpOK(ctx, newHTTPClient(), endpoint+"/health-check"); err == nil {
		t.Errorf("aws-ses-v2-local still answers on %s after its test ended", endpoint)
	}
}

// Debian's nrpe answers Debian's check_nrpe in plaintext (-n both sides): the
// peer really runs, and a command that is not defined is refused as stock
// nrpe refuses it.
func TestNRPEPeer(t *testing.T) {
	srv := NRPE(t, NRPEOptions{Plain: true, Commands: map[string]string{
		"check_crit": PluginDir + "/check_dummy 2 broken",
		"check_load": PluginDir + "/check_load -w 500,500,500 -c 1000,1000,1000",
	}})
	port := strconv.Itoa(srv.Port)
	if out, rc := CheckNRPE(t, "-n", "-H", "127.0.0.1", "-p", port, "-c", "check_load"); rc != 0 || !strings.HasPrefix(out, "LOAD OK") {
		t.Errorf("check_load: rc %d %q", rc, out)
	}
	if out, rc := CheckNRPE(t, "-n", "-H", "127.0.0.1", "-p", port, "-c", "check_crit"); rc != 2 || !strings.Contains(out, "broken") {
		t.Errorf("check_crit: rc %d %q", rc, out)
	}
	if out, rc := CheckNRPE(t, "-n", "-H", "127.0.0.1", "-p", port, "-c", "nosuch"); rc != 3 || !strings.Contains(out, "not defined") {
		t.Errorf("undefined command: rc %d %q", rc, out)
	}
}

package email

import (
	"context"
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
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
	"github.com/vigilmon/vigil/internal/testutil/peers"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testTemplates = notify.NewTemplates()

var firedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func diskFull(state alert.State) alert.Alert {
	a := alert.Alert{
		ID:          "0123456789abcdef",
		Rule:        "DiskFull",
		Labels:      alert.Labels{alert.LabelAlertname: "DiskFull", alert.LabelHost: "web-1", "mount_point": "/var"},
		Annotations: map[string]string{"summary": "/var on web-1 is 97% full"},
		State:       state,
		Severity:    alert.Critical,
		Value:       0.97,
		FiredAt:     firedAt,
	}
	if state == alert.Resolved {
		a.ResolvedAt = firedAt.Add(time.Hour)
	}
	return a
}

func newNotifier(t *testing.T, cfg Config) *Notifier {
	t.Helper()
	n, err := New(cfg, testTemplates, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

func plainConfig(addr string) Config {
	c := defaultConfig()
	c.Smarthost = addr
	c.TLS = TLSNone
	c.From = "Vigil <vigil@example.test>"
	c.To = []string{"ops@example.test", "oncall@example.test"}
	return c
}

func TestFiringThenResolvedThreadInMaildev(t *testing.T) {
	md := peers.Maildev(t)
	cfg := plainConfig(md.SMTPAddr())
	cfg.Headers = map[string]string{"X-Team": "storage"}
	n := newNotifier(t, cfg)

	ctx := notify.WithGroup(t.Context(), notify.Group{Receiver: "ops"})
	if retry, err := n.Notify(ctx, []alert.Alert{diskFull(alert.Firing)}); err != nil {
		t.Fatalf("notify firing: retry %v, %v", retry, err)
	}
	// Dispatch records the firing notification before the resolve.
	ctx = notify.WithGroup(t.Context(), notify.Group{Receiver: "ops", Notified: map[string]bool{"0123456789abcdef": true}})
	if retry, err := n.Notify(ctx, []alert.Alert{diskFull(alert.Resolved)}); err != nil {
		t.Fatalf("notify resolved: retry %v, %v", retry, err)
	}

	var firing, resolved peers.Email
	for _, e := range md.WaitEmails(t, 2, 30*time.Second) {
		switch e.Header("X-Vigil-Status") {
		case "FIRING":
			firing = e
		case "RESOLVED":
			resolved = e
		}
	}
	const root = "<vigil.0123456789abcdef.1767323045@example.test>"
	checks := []struct{ name, got, want string }{
		{"firing subject", firing.Subject, "[FIRING:1 critical] DiskFull web-1"},
		{"resolved subject", resolved.Subject, "[RESOLVED] DiskFull web-1"},
		{"firing Message-ID", firing.MessageID, root},
		{"firing In-Reply-To", firing.InReplyTo, ""},
		{"resolved In-Reply-To", resolved.InReplyTo, firing.MessageID},
		{"resolved References", resolved.References, firing.MessageID},
		{"from", firing.From, "vigil@example.test"},
		{"to", strings.Join(resolved.To, ","), "ops@example.test,oncall@example.test"},
		{"alert id header", resolved.Header("X-Vigil-Alert-ID"), "0123456789abcdef"},
		{"custom header", firing.Header("X-Team"), "storage"},
		{"auto-submitted", firing.Header("Auto-Submitted"), "auto-generated"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !strings.HasPrefix(resolved.MessageID, "<vigil.0123456789abcdef.1767323045.") || resolved.MessageID == root {
		t.Errorf("resolved Message-ID = %q, want a unique ID in the thread's family", resolved.MessageID)
	}
	for _, e := range []peers.Email{firing, resolved} {
		if !strings.Contains(e.Text, "/var on web-1 is 97% full") || !strings.Contains(e.HTML, "/var on web-1 is 97% full</h3>") {
			t.Errorf("%q: text %q / html %q lack the summary", e.Subject, e.Text, e.HTML)
		}
		src, err := md.Source(t.Context(), e.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Content-Type: multipart/alternative", "Content-Type: text/plain", "Content-Type: text/html"} {
			if !strings.Contains(string(src), want) {
				t.Errorf("%q: source lacks %q", e.Subject, want)
			}
		}
	}
}

func TestSMTPAuthAgainstMaildev(t *testing.T) {
	// maildev offers AUTH only without STARTTLS; go-mail sends PLAIN and
	// LOGIN in clear only to 127.0.0.1/localhost, which this is.
	md := peers.Maildev(t, peers.MaildevAuth("vigil", testPassword))
	tests := []struct {
		name      string
		auth      string
		password  string
		wantErr   string
		wantRetry bool
	}{
		{"plain", AuthPlain, testPassword, "", false},
		{"login", AuthLogin, testPassword, "", false},
		{"wrong password", AuthPlain, testPassword + "-wrong", "535", false},
		{"mechanism not offered", AuthCRAMMD5, testPassword, "CRAM-MD5", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := plainConfig(md.SMTPAddr())
			cfg.Auth, cfg.Username, cfg.Password = tt.auth, "vigil", ""
			pwFile := filepath.Join(t.TempDir(), "password")
			if err := os.WriteFile(pwFile, []byte(tt.password+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg.PasswordFile = pwFile
			n := newNotifier(t, cfg)
			retry, err := n.Notify(t.Context(), []alert.Alert{diskFull(alert.Firing)})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Notify: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || retry != tt.wantRetry {
				t.Fatalf("Notify: retry %v, %v; want retry %v and an error mentioning %q", retry, err, tt.wantRetry, tt.wantErr)
			}
			if strings.Contains(err.Error(), testPassword) || strings.Contains(fmt.Sprintf("%+v", n), testPassword) {
				t.Errorf("password leaked: %v / %+v", err, n)
			}
		})
	}
}

func TestTLSAgainstMaildev(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, dir)
	md := peers.Maildev(t, peers.MaildevTLS(certFile, keyFile), peers.MaildevAuth("vigil", testPassword))
	plain := peers.Maildev(t)
	tests := []struct {
		name      string
		addr      string
		change    func(*Config)
		wantErr   string
		wantRetry bool
	}{
		{"implicit with ca_file and auth", md.SMTPAddr(), func(c *Config) {
			c.TLS, c.CAFile, c.Auth, c.Username, c.Password = TLSImplicit, certFile, AuthPlain, "vigil", testPassword
		}, "", false},
		{"implicit with an untrusted certificate", md.SMTPAddr(), func(c *Config) { c.TLS = TLSImplicit },
			"certificate signed by unknown authority", false},
		{"implicit skipping verification", md.SMTPAddr(), func(c *Config) {
			c.TLS, c.InsecureSkipVerify, c.Auth, c.Username, c.Password = TLSImplicit, true, AuthLogin, "vigil", testPassword
		}, "", false},
		// maildev never offers STARTTLS: a mandatory STARTTLS must not fall
		// back to clear text.
		{"starttls not offered", plain.SMTPAddr(), func(c *Config) { c.TLS = TLSStartTLS }, "STARTTLS", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := plainConfig(tt.addr)
			tt.change(&cfg)
			retry, err := newNotifier(t, cfg).Notify(t.Context(), []alert.Alert{diskFull(alert.Firing)})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Notify: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || retry != tt.wantRetry {
				t.Fatalf("Notify: retry %v, %v; want retry %v and an error mentioning %q", retry, err, tt.wantRetry, tt.wantErr)
			}
		})
	}
	if got := len(md.WaitEmails(t, 2, 30*time.Second)); got != 2 {
		t.Errorf("TLS maildev got %d emails, want the 2 successful sends", got)
	}
}

func TestUnreachableServerIsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	retry, err := newNotifier(t, plainConfig(addr)).Notify(t.Context(), []alert.Alert{diskFull(alert.Firing)})
	if err == nil || !retry || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Notify to a closed port: retry %v, %v; want retry and an error naming %s", retry, err, addr)
	}
}

func TestSMTPRepliesDecideRetry(t *testing.T) {
	tests := []struct {
		name      string
		replies   map[string]string
		wantErr   string
		wantRetry bool
	}{
		{"recipient unknown", map[string]string{"RCPT": "550 5.1.1 no such user"}, "550", false},
		{"mailbox full", map[string]string{"RCPT": "452 4.2.2 mailbox full"}, "452", true},
		{"greylisted", map[string]string{"RCPT": "451 4.7.1 greylisted, try later"}, "451", true},
		{"sender refused", map[string]string{"MAIL": "553 5.7.1 sender not allowed"}, "553", false},
		{"busy at greeting", map[string]string{"greeting": "421 4.3.2 too busy"}, "421", true},
		{"content rejected", map[string]string{".": "554 5.7.1 spam"}, "554", false},
		{"data deferred", map[string]string{".": "450 4.7.0 try later"}, "450", true},
		{"accepted", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, _ := startFakeSMTP(t, "127.0.0.1:0", tt.replies)
			retry, err := newNotifier(t, plainConfig(addr)).Notify(t.Context(), []alert.Alert{diskFull(alert.Firing)})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Notify: %v", err)
				}
				return
			}
			if err == nil || retry != tt.wantRetry || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), addr) {
				t.Fatalf("Notify: retry %v, %v; want retry %v and an error naming %s and %q", retry, err, tt.wantRetry, addr, tt.wantErr)
			}
		})
	}
}

func TestFailedSessionClosesTheConnection(t *testing.T) {
	tests := []struct {
		name    string
		replies map[string]string
		change  func(*Config)
		wantErr string
	}{
		{"auth refused", map[string]string{"EHLO": "250-fake\r\n250 AUTH PLAIN LOGIN", "AUTH": "535 5.7.8 authentication failed"},
			func(c *Config) { c.Auth, c.Username, c.Password = AuthPlain, "vigil", testPassword }, "535"},
		{"auth mechanism not offered", map[string]string{"EHLO": "250-fake\r\n250 AUTH LOGIN"},
			func(c *Config) { c.Auth, c.Username, c.Password = AuthPlain, "vigil", testPassword }, "PLAIN"},
		{"starttls not offered", nil, func(c *Config) { c.TLS = TLSStartTLS }, "STARTTLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, ended := startFakeSMTP(t, "127.0.0.1:0", tt.replies)
			cfg := plainConfig(addr)
			tt.change(&cfg)
			retry, err := newNotifier(t, cfg).Notify(t.Context(), []alert.Alert{diskFull(alert.Firing)})
			if err == nil || retry || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), testPassword) {
				t.Fatalf("Notify: retry %v, %v; want a final error mentioning %q, without the password", retry, err, tt.wantErr)
			}
			// go-mail leaves the connection open after some of these,
			// until the server's idle timeout (a minute here).
			select {
			case <-ended:
			case <-time.After(20 * time.Second):
				t.Fatal("the connection is still open after the failed session")
			}
		})
	}
}

func TestIPv6Smarthost(t *testing.T) {
	addr, _ := startFakeSMTP(t, "[::1]:0", nil)
	if retry, err := newNotifier(t, plainConfig(addr)).Notify(t.Context(), []alert.Alert{diskFull(alert.Firing)}); err != nil {
		t.Fatalf("Notify via %s: retry %v, %v", addr, retry, err)
	}
}

func TestNotifyNothing(t *testing.T) {
	n := newNotifier(t, plainConfig("127.0.0.1:1"))
	if retry, err := n.Notify(context.Background(), nil); retry || err != nil {
		t.Errorf("Notify(nil) = %v, %v; want nothing sent and no error", retry, err)
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key as PEM.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

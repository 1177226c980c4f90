// Package email sends notifications over SMTP through a smarthost, with
// github.com/wneessen/go-mail.
//
// One notification is one multipart/alternative message (plain text and
// HTML, from notify.Templates) to every configured recipient. Messages about
// one episode of an alert form a thread (see thread.go). Delivery is all or
// nothing: go-mail aborts the transaction when the server refuses any one
// recipient, and the refusal decides whether Notify asks for a retry.
package email

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
)

// Notifier sends notifications to one email receiver. It is safe for
// concurrent use.
type Notifier struct {
	// cfg is without the password: fmt prints unexported fields raw,
	// bypassing Secret's redaction. opts hold it for go-mail.
	cfg       Config
	opts      []mail.Option
	tlsConfig *tls.Config
	tmpl      *notify.Templates
	domain    string
	log       *slog.Logger
	now       func() time.Time
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a Notifier for cfg, rendering with tmpl. It reads ca_file and
// password_file once, here. logger nil discards.
func New(cfg Config, tmpl *notify.Templates, logger *slog.Logger) (*Notifier, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, notify.ConfigError("email", errs)
	}
	if tmpl == nil {
		return nil, fmt.Errorf("new email notifier: no templates")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{tmpl: tmpl, domain: cfg.domain(), now: time.Now,
		log: logger.With("integration", "email", "smarthost", cfg.Smarthost)}
	if err := n.setup(&cfg); err != nil {
		return nil, fmt.Errorf("new email notifier for %s: %w", cfg.Smarthost, err)
	}
	cfg.Password = ""
	n.cfg = cfg
	return n, nil
}

// setup prepares the TLS config and the go-mail options every send uses.
func (n *Notifier) setup(cfg *Config) error {
	host, err := splitSmarthost(cfg.Smarthost)
	if err != nil {
		return err
	}
	n.tlsConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // the user's explicit choice
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return fmt.Errorf("read ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("read ca_file %s: no PEM certificates in it", cfg.CAFile)
		}
		n.tlsConfig.RootCAs = pool
	}
	n.opts = []mail.Option{mail.WithTimeout(cfg.Timeout), mail.WithTLSConfig(n.tlsConfig)}
	switch cfg.TLS {
	case TLSNone:
		n.opts = append(n.opts, mail.WithTLSPolicy(mail.NoTLS))
	case TLSStartTLS:
		n.opts = append(n.opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case TLSImplicit:
		// The dialer does the TLS (see dial); this stops go-mail from
		// also trying STARTTLS.
		n.opts = append(n.opts, mail.WithSSL())
	}
	if cfg.Hello != "" {
		n.opts = append(n.opts, mail.WithHELO(cfg.Hello))
	}
	if cfg.Auth != AuthNone {
		password, err := cfg.password()
		if err != nil {
			return err
		}
		mech := map[string]mail.SMTPAuthType{AuthPlain: mail.SMTPAuthPlain, AuthLogin: mail.SMTPAuthLogin, AuthCRAMMD5: mail.SMTPAuthCramMD5}[cfg.Auth]
		n.opts = append(n.opts, mail.WithSMTPAuth(mech), mail.WithUsername(cfg.Username), mail.WithPassword(password.Reveal()))
	}
	return nil
}

// Notify sends one message about alerts to every recipient.
func (n *Notifier) Notify(ctx context.Context, alerts []alert.Alert) (retry bool, err error) {
	if len(alerts) == 0 {
		return false, nil
	}
	g := notify.GroupFrom(ctx)
	content, err := n.tmpl.Render(g, alerts)
	if err != nil {
		return false, fmt.Errorf("render email: %w", err)
	}
	th := threadFor(g, alerts, n.domain, uniqueToken())
	msg, err := n.message(content, th, alerts)
	if err != nil {
		return false, err
	}
	if err := n.send(ctx, msg); err != nil {
		return retryable(err), fmt.Errorf("send email via %s: %w", n.cfg.Smarthost, err)
	}
	n.log.Debug("email sent", "message_id", th.MessageID, "in_reply_to", th.Root,
		"status", notify.Status(alerts), "alerts", len(alerts))
	return false, nil
}

// send delivers msg over a connection of its own. The notifier dials itself
// rather than letting go-mail do it, because go-mail leaves the connection
// open when the server lacks STARTTLS or the AUTH mechanism, or EHLO or the
// STARTTLS handshake fails (a descriptor leak per failed attempt until the
// server times out), and because go-mail joins host and port in a way that
// breaks IPv6 literals.
func (n *Notifier) send(ctx context.Context, msg *mail.Msg) error {
	var conn net.Conn
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		c, err := n.dial(ctx)
		conn = c
		return c, err
	}
	opts := append(slices.Clip(n.opts), mail.WithDialContextFunc(dial))
	client, err := mail.NewClient(n.tlsConfig.ServerName, opts...)
	if err != nil {
		return err
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if conn != nil {
		_ = conn.Close() // already closed after a QUIT; not after a failed EHLO or AUTH
	}
	return err
}

func (n *Notifier) dial(ctx context.Context) (net.Conn, error) {
	d := &net.Dialer{}
	if n.cfg.TLS == TLSImplicit {
		// A *tls.Conn tells go-mail the session is encrypted.
		return (&tls.Dialer{NetDialer: d, Config: n.tlsConfig}).DialContext(ctx, "tcp", n.cfg.Smarthost)
	}
	return d.DialContext(ctx, "tcp", n.cfg.Smarthost)
}

// message builds the MIME message.
func (n *Notifier) message(content notify.Message, th thread, alerts []alert.Alert) (*mail.Msg, error) {
	m := mail.NewMsg()
	if err := m.From(n.cfg.From); err != nil {
		return nil, fmt.Errorf("build email: from: %w", err)
	}
	if err := m.To(n.cfg.To...); err != nil {
		return nil, fmt.Errorf("build email: to: %w", err)
	}
	m.Subject(content.Subject)
	m.SetDateWithValue(n.now())
	m.SetGenHeader(mail.HeaderMessageID, th.MessageID)
	if th.Root != "" {
		m.SetGenHeader(mail.HeaderInReplyTo, th.Root)
		m.SetGenHeader(mail.HeaderReferences, th.Root)
	}
	m.SetUserAgent("Vigil")
	// RFC 3834: vacation responders and the like must not answer alerts.
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	for name, value := range n.cfg.Headers {
		m.SetGenHeader(mail.Header(name), value)
	}
	m.SetGenHeader("X-Vigil-Alert-ID", notify.AlertIDs(alerts))
	m.SetGenHeader("X-Vigil-Status", notify.Status(alerts))
	m.SetBodyString(mail.TypeTextPlain, content.Text)
	m.AddAlternativeString(mail.TypeTextHTML, content.HTML)
	return m, nil
}

// uniqueToken makes reply Message-IDs unique across collectors and restarts.
func uniqueToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

package peers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

var maildevPeer = npmPeer{name: "maildev", pkg: "maildev", version: "3.0.0", script: "node_modules/maildev/dist/bin/maildev.js"}

// MaildevServer is a running maildev: an SMTP server that keeps what it
// receives and shows it through a JSON API.
type MaildevServer struct {
	smtpAddr string
	webURL   string
	http     *http.Client
}

type maildevConfig struct {
	user, pass  string
	cert, key   string
	implicitTLS bool
}

// MaildevOption changes how Maildev starts the server.
type MaildevOption func(*maildevConfig)

// MaildevAuth makes the server require SMTP AUTH (PLAIN or LOGIN) with this
// user and password. maildev then refuses STARTTLS, so without MaildevTLS
// the credentials travel in clear (clients allow that only to localhost).
func MaildevAuth(user, pass string) MaildevOption {
	return func(c *maildevConfig) { c.user, c.pass = user, pass }
}

// MaildevTLS makes the SMTP port speak implicit TLS (SMTPS, as on port 465)
// with the PEM certificate and key in these files. maildev never offers
// STARTTLS.
func MaildevTLS(certFile, keyFile string) MaildevOption {
	return func(c *maildevConfig) { c.cert, c.key, c.implicitTLS = certFile, keyFile, true }
}

// Maildev starts maildev 3.0.0 for the test, with its own mail directory and
// loopback ports, and stops it when the test ends. See the package comment for
// what happens when it is not installed.
func Maildev(t testing.TB, opts ...MaildevOption) *MaildevServer {
	t.Helper()
	var cfg maildevConfig
	for _, o := range opts {
		o(&cfg)
	}
	mailDir := t.TempDir()
	s := &MaildevServer{http: newHTTPClient()}
	ports := start(t, launch{
		peer:  maildevPeer,
		ports: 2,
		args: func(p []int) []string {
			args := []string{
				"--smtp", strconv.Itoa(p[0]), "--ip", "127.0.0.1",
				"--web", strconv.Itoa(p[1]), "--web-ip", "127.0.0.1",
				"--mail-directory", mailDir,
			}
			if cfg.user != "" {
				args = append(args, "--incoming-user", cfg.user, "--incoming-pass", cfg.pass)
			}
			if cfg.implicitTLS {
				args = append(args, "--incoming-secure", "--incoming-cert", cfg.cert, "--incoming-key", cfg.key)
			}
			return args
		},
		ready: func(ctx context.Context, p []int) error {
			if err := httpOK(ctx, s.http, fmt.Sprintf("http://127.0.0.1:%d/api/healthz", p[1])); err != nil {
				return err
			}
			return tcpOpen(ctx, fmt.Sprintf("127.0.0.1:%d", p[0]))
		},
	})
	s.smtpAddr = fmt.Sprintf("127.0.0.1:%d", ports[0])
	s.webURL = fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	return s
}

// SMTPAddr is the SMTP server's host:port.
func (s *MaildevServer) SMTPAddr() string { return s.smtpAddr }

// URL is the base URL of the web interface and API.
func (s *MaildevServer) URL() string { return s.webURL }

// Email is one message maildev received, as its API reports it.
type Email struct {
	ID      string
	Time    time.Time
	Subject string
	// From is the first From address; To and Cc are the header's addresses
	// (not the envelope's).
	From string
	To   []string
	Cc   []string
	Text string
	HTML string
	// Headers are the headers maildev keeps (not From, To, Date or
	// Content-Type), by lower-case name; a repeated header's values are
	// joined with ", ".
	Headers    map[string]string
	MessageID  string
	InReplyTo  string
	References string
}

// Header returns the named header ("" when absent); the name is not case
// sensitive.
func (e Email) Header(name string) string { return e.Headers[strings.ToLower(name)] }

type maildevAddress struct {
	Address string `json:"address"`
}

type maildevEmail struct {
	ID      string                     `json:"id"`
	Time    time.Time                  `json:"time"`
	Subject string                     `json:"subject"`
	From    []maildevAddress           `json:"from"`
	To      []maildevAddress           `json:"to"`
	Cc      []maildevAddress           `json:"cc"`
	Text    string                     `json:"text"`
	HTML    string                     `json:"html"`
	Headers map[string]json.RawMessage `json:"headers"`
}

// Emails returns every message received so far, oldest first.
func (s *MaildevServer) Emails(ctx context.Context) ([]Email, error) {
	body, err := s.get(ctx, "/api/email?sort=asc")
	if err != nil {
		return nil, err
	}
	var raw []maildevEmail
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("decode maildev emails: %w", err)
	}
	return parseMaildevEmails(raw), nil
}

func parseMaildevEmails(raw []maildevEmail) []Email {
	out := make([]Email, 0, len(raw))
	for _, r := range raw {
		e := Email{ID: r.ID, Time: r.Time, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
			To: addresses(r.To), Cc: addresses(r.Cc), Headers: map[string]string{}}
		if len(r.From) > 0 {
			e.From = r.From[0].Address
		}
		for name, v := range r.Headers {
			e.Headers[strings.ToLower(name)] = headerValue(v)
		}
		e.MessageID, e.InReplyTo, e.References = e.Header("message-id"), e.Header("in-reply-to"), e.Header("references")
		out = append(out, e)
	}
	return out
}

func addresses(as []maildevAddress) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Address)
	}
	return out
}

// headerValue flattens a header as mailparser reports it: a string, a list
// of strings (a repeated header, or References with several IDs), or a
// structured value, kept as JSON.
func headerValue(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var list []json.RawMessage
	if json.Unmarshal(v, &list) == nil {
		parts := make([]string, len(list))
		for i, item := range list {
			parts[i] = headerValue(item)
		}
		return strings.Join(parts, ", ")
	}
	return string(v)
}

// Source returns the raw message (headers and MIME body) with this ID.
func (s *MaildevServer) Source(ctx context.Context, id string) ([]byte, error) {
	return s.get(ctx, "/api/email/"+url.PathEscape(id)+"/source")
}

// WaitEmails waits until at least n messages have arrived and returns them;
// after timeout it fails the test, listing what did arrive.
func (s *MaildevServer) WaitEmails(t testing.TB, n int, timeout time.Duration) []Email {
	t.Helper()
	return waitFor(t, timeout, s.Emails,
		func(es []Email) bool { return len(es) >= n },
		func(es []Email) string {
			subjects := make([]string, len(es))
			for i, e := range es {
				subjects[i] = strconv.Quote(e.Subject)
			}
			return fmt.Sprintf("maildev has %d emails, want %d: [%s]", len(es), n, strings.Join(subjects, ", "))
		})
}

func (s *MaildevServer) get(ctx context.Context, path string) ([]byte, error) {
	return getBody(ctx, s.http, s.webURL+path)
}

// getBody GETs url and returns the body of a 200 answer.
func getBody(ctx context.Context, c *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", url, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get %s: %s: %s", url, resp.Status, tail(string(body), 5))
	}
	return body, nil
}

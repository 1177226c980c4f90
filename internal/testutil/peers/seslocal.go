package peers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

var sesPeer = npmPeer{name: "aws-ses-v2-local", pkg: "aws-ses-v2-local", version: "2.10.2", script: "node_modules/aws-ses-v2-local/dist/cli.js"}

// SESServer is a running aws-ses-v2-local: the Amazon SES v1 and v2 HTTP APIs,
// keeping what it is sent in memory. It accepts any request signed with any
// credentials (an Authorization header starting with "AWS"), and simulates no
// quotas or throttling.
type SESServer struct {
	endpoint string
	http     *http.Client
}

// SESLocal starts aws-ses-v2-local 2.10.2 for the test on a loopback port and
// stops it when the test ends. See the package comment for what happens when
// it is not installed.
func SESLocal(t testing.TB) *SESServer {
	t.Helper()
	s := &SESServer{http: newHTTPClient()}
	ports := start(t, launch{
		peer:  sesPeer,
		ports: 1,
		args: func(p []int) []string {
			return []string{"--host", "127.0.0.1", "--port", strconv.Itoa(p[0])}
		},
		ready: func(ctx context.Context, p []int) error {
			return httpOK(ctx, s.http, fmt.Sprintf("http://127.0.0.1:%d/health-check", p[0]))
		},
	})
	s.endpoint = fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	return s
}

// Endpoint is the base URL to give the SES client (sesv2.Options.BaseEndpoint).
func (s *SESServer) Endpoint() string { return s.endpoint }

// SESEmail is one message the server accepted, as GET /store reports it.
type SESEmail struct {
	MessageID string
	From      string
	ReplyTo   []string
	To        []string
	Cc        []string
	Bcc       []string
	Subject   string
	Text      string
	HTML      string
	// Headers are the custom headers of the request (Content.Simple.Headers),
	// by lower-case name; a repeated header's values are joined with ", ".
	Headers map[string]string
	// At is when it was accepted, to the second.
	At time.Time
}

// Header returns the named custom header ("" when absent); the name is not
// case sensitive.
func (e SESEmail) Header(name string) string { return e.Headers[strings.ToLower(name)] }

type sesStore struct {
	Emails []struct {
		MessageID   string   `json:"messageId"`
		From        string   `json:"from"`
		ReplyTo     []string `json:"replyTo"`
		Destination struct {
			To  []string `json:"to"`
			Cc  []string `json:"cc"`
			Bcc []string `json:"bcc"`
		} `json:"destination"`
		Subject string `json:"subject"`
		Body    struct {
			Text string `json:"text"`
			HTML string `json:"html"`
		} `json:"body"`
		Headers []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
		At int64 `json:"at"`
	} `json:"emails"`
}

// Emails returns every message accepted so far, oldest first.
func (s *SESServer) Emails(ctx context.Context) ([]SESEmail, error) {
	body, err := getBody(ctx, s.http, s.endpoint+"/store")
	if err != nil {
		return nil, err
	}
	var st sesStore
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, fmt.Errorf("decode aws-ses-v2-local store: %w", err)
	}
	out := make([]SESEmail, 0, len(st.Emails))
	for _, r := range st.Emails {
		e := SESEmail{MessageID: r.MessageID, From: r.From, ReplyTo: r.ReplyTo,
			To: r.Destination.To, Cc: r.Destination.Cc, Bcc: r.Destination.Bcc,
			Subject: r.Subject, Text: r.Body.Text, HTML: r.Body.HTML,
			Headers: map[string]string{}, At: time.Unix(r.At, 0)}
		for _, h := range r.Headers {
			name := strings.ToLower(h.Name)
			if prev, ok := e.Headers[name]; ok {
				e.Headers[name] = prev + ", " + h.Value
			} else {
				e.Headers[name] = h.Value
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// WaitEmails waits until at least n messages have been accepted and returns
// them; after timeout it fails the test, listing what was accepted.
func (s *SESServer) WaitEmails(t testing.TB, n int, timeout time.Duration) []SESEmail {
	t.Helper()
	return waitFor(t, timeout, s.Emails,
		func(es []SESEmail) bool { return len(es) >= n },
		func(es []SESEmail) string {
			subjects := make([]string, len(es))
			for i, e := range es {
				subjects[i] = strconv.Quote(e.Subject)
			}
			return fmt.Sprintf("aws-ses-v2-local has %d emails, want %d: [%s]", len(es), n, strings.Join(subjects, ", "))
		})
}

// Package webhook posts notifications as JSON to any HTTP endpoint.
//
// # Body
//
// One POST per notification, Content-Type application/json:
//
//	{
//	  "version": "1",
//	  "receiver": "ops-hook",
//	  "status": "firing",              // firing | resolved | flapping
//	  "group_key": "…",
//	  "group_labels": {"alertname": "DiskFull"},
//	  "external_url": "https://vigil.example.com",   // when known
//	  "test": true,                    // only for vigil-collector notify-test
//	  "timestamp": 1741064767,         // unix seconds when this request was made
//	  "truncated_alerts": 0,           // alerts left out by max_alerts
//	  "alerts": [{"id": "…", "rule": "…", "labels": {…}, "annotations": {…},
//	              "state": "firing", "severity": "critical", "value": 0.93,
//	              "active_at": "…", "fired_at": "…", "resolved_at": "…",
//	              "flapping": false, "summary": "…"}]
//	}
//
// Any 2xx answer is success; 408, 429 and 5xx are retried; other codes are not.
//
// # Signature
//
// With hmac_secret set, every request carries
//
//	X-Vigil-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with the secret>
//
// computed over the exact bytes of the body, as GitHub signs its webhooks.
// A receiver verifies it on the raw body, before parsing it, with a
// constant-time comparison (Verify does exactly that). The signed body holds
// the send time ("timestamp"), so a receiver that also rejects messages
// older than a few minutes cannot be fed a captured request again later;
// there is no separate, unsigned timestamp header to trust by mistake.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
	"github.com/vigilmon/vigil/internal/config"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body.
const SignatureHeader = "X-Vigil-Signature"

// Notifier posts notifications to one URL.
type Notifier struct {
	cfg Config // without URL, secret and headers: they are in sec
	// sec is behind a pointer because fmt prints unexported fields raw,
	// bypassing Secret's redaction; a nested pointer prints as an address.
	sec    *secrets
	host   string // scheme://host of the URL, the part that may be logged
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
}

type secrets struct {
	url     string
	hmac    []byte // nil: do not sign
	headers map[string]config.Secret
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a Notifier for cfg. client nil means a client with cfg.Timeout;
// log nil discards. It reads hmac_secret_file once, here.
func New(cfg Config, client *http.Client, log *slog.Logger) (*Notifier, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, notify.ConfigError("webhook", errs)
	}
	u, err := cfg.url()
	if err != nil {
		return nil, fmt.Errorf("load webhook config: %w", err)
	}
	secret, err := cfg.hmacSecret()
	if err != nil {
		return nil, fmt.Errorf("load webhook config: %w", err)
	}
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sec := &secrets{url: u, headers: cfg.Headers}
	if secret != "" {
		sec.hmac = []byte(secret.Reveal())
	}
	host := redact(u)
	cfg.URL, cfg.HMACSecret, cfg.Headers = "", "", nil
	return &Notifier{
		cfg: cfg, sec: sec, host: host, client: client,
		log: log.With("integration", "webhook", "host", host), now: time.Now,
	}, nil
}

// message is the JSON body (see the package doc).
type message struct {
	Version         string       `json:"version"`
	Receiver        string       `json:"receiver"`
	Status          string       `json:"status"`
	GroupKey        string       `json:"group_key"`
	GroupLabels     alert.Labels `json:"group_labels"`
	ExternalURL     string       `json:"external_url,omitempty"`
	Test            bool         `json:"test,omitempty"`
	Timestamp       int64        `json:"timestamp"`
	TruncatedAlerts int          `json:"truncated_alerts"`
	Alerts          []alertJSON  `json:"alerts"`
}

type alertJSON struct {
	alert.Alert
	Summary string `json:"summary"`
}

// Notify posts one message about alerts.
func (n *Notifier) Notify(ctx context.Context, alerts []alert.Alert) (retry bool, err error) {
	if len(alerts) == 0 {
		return false, nil
	}
	body, err := json.Marshal(n.newMessage(notify.GroupFrom(ctx), alerts))
	if err != nil {
		return false, fmt.Errorf("encode webhook message: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.sec.url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("build webhook request to %s: %w", n.host, redactErr(err, n.host))
	}
	for name, v := range n.sec.headers {
		req.Header.Set(name, v.Reveal())
	}
	req.Header.Set("Content-Type", "application/json")
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "vigil-collector")
	}
	if n.sec.hmac != nil {
		req.Header.Set(SignatureHeader, "sha256="+hex.EncodeToString(sign(n.sec.hmac, body)))
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return true, fmt.Errorf("post webhook: %w", redactErr(err, n.host))
	}
	defer resp.Body.Close()
	if retry, err := notify.CheckResponse(resp); err != nil {
		return retry, fmt.Errorf("post webhook to %s: %w", n.host, err)
	}
	n.log.Debug("webhook delivered", "alerts", len(alerts), "status", resp.StatusCode)
	return false, nil
}

func (n *Notifier) newMessage(g notify.Group, alerts []alert.Alert) message {
	m := message{
		Version: "1", Receiver: g.Receiver, Status: strings.ToLower(notify.Status(alerts)),
		GroupKey: g.Key, GroupLabels: g.Labels, ExternalURL: g.ExternalURL, Test: g.Test,
		Timestamp: n.now().Unix(),
	}
	if m.GroupLabels == nil {
		m.GroupLabels = alert.Labels{}
	}
	if n.cfg.MaxAlerts > 0 && len(alerts) > n.cfg.MaxAlerts {
		m.TruncatedAlerts = len(alerts) - n.cfg.MaxAlerts
		alerts = alerts[:n.cfg.MaxAlerts]
	}
	m.Alerts = make([]alertJSON, len(alerts))
	for i, a := range alerts {
		m.Alerts[i] = alertJSON{Alert: a, Summary: notify.Summary(a)}
	}
	return m
}

func sign(secret, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return mac.Sum(nil)
}

// Verify reports whether header, the value of X-Vigil-Signature, is the
// signature of body with secret. Receivers written in Go can call it on the
// raw request body; it compares in constant time. An empty secret verifies
// nothing.
func Verify(secret, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(secret) == 0 {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	return hmac.Equal(got, sign(secret, body))
}

// redact returns the part of a URL that may be shown: scheme and host.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid URL>"
	}
	return u.Scheme + "://" + u.Host
}

// redactErr replaces the URL net/http puts in its errors by host, because
// the path or query of a webhook URL is often a token.
func redactErr(err error, host string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: host, Err: ue.Err}
	}
	return err
}

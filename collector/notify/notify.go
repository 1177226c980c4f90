// Package notify defines what every integration implements and what they share:
// the Notifier interface, the notification group carried in the context, the
// default message text, and the retry classification of HTTP answers. Each
// integration lives in its own sub-package and is wired in collector/main.go.
package notify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/config"
)

// Notifier sends one notification about a group of alerts. retry reports whether
// the failure is worth another attempt (network error, 429, 5xx, throttling);
// false with an error means the request itself was refused and resending it
// cannot help. Backoff lives in dispatch, not here.
type Notifier interface {
	Notify(ctx context.Context, alerts []alert.Alert) (retry bool, err error)
}

// Group describes the notification being sent; dispatch puts it in the context
// (as Alertmanager does) so the Notify signature stays small.
type Group struct {
	// Receiver is the configured receiver name.
	Receiver string
	// Key identifies the dispatch group (route + group_by values).
	Key string
	// Labels are the group_by labels and their values.
	Labels alert.Labels
	// Notified holds the IDs of alerts in this notification that this receiver
	// has already been told about in their current episode (same FiredAt). Email
	// uses it to thread repeats, severity changes and resolves under the first
	// message.
	Notified map[string]bool
	// ExternalURL is the collector's address for links ("" when unknown).
	ExternalURL string
	// Test marks a `vigil-collector notify-test` message.
	Test bool
}

type groupKey struct{}

// WithGroup returns ctx carrying g.
func WithGroup(ctx context.Context, g Group) context.Context {
	return context.WithValue(ctx, groupKey{}, g)
}

// GroupFrom returns the group in ctx, or a zero Group.
func GroupFrom(ctx context.Context) Group {
	g, _ := ctx.Value(groupKey{}).(Group)
	return g
}

// CheckResponse classifies an HTTP answer from a notification API: 2xx is
// success; 429, 408 and 5xx are retried; other codes are refusals. The error
// quotes the start of the body, where the APIs put their reason. It reads (but
// does not close) the body.
func CheckResponse(resp *http.Response) (retry bool, err error) {
	if resp.StatusCode/100 == 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return false, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	msg := strings.TrimSpace(string(body))
	err = fmt.Errorf("unexpected status %s: %s", resp.Status, msg)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout,
		resp.StatusCode >= 500:
		return true, err
	default:
		return false, err
	}
}

// AlertIDs lists the distinct alert IDs of a notification, space-separated,
// in order (the X-Vigil-Alert-ID header).
func AlertIDs(alerts []alert.Alert) string {
	seen := map[string]bool{}
	var ids []string
	for _, a := range alerts {
		if !seen[a.ID] {
			seen[a.ID] = true
			ids = append(ids, a.ID)
		}
	}
	return strings.Join(ids, " ")
}

// ConfigError joins what an integration's Validate reported into the error its
// constructor returns ("invalid pagerduty config: routing_key: required").
func ConfigError(integration string, errs []config.FieldError) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Path + ": " + e.Msg
	}
	return fmt.Errorf("invalid %s config: %s", integration, strings.Join(msgs, "; "))
}

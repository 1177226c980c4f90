// Package log is a receiver that writes each notification to the collector's
// own log as one structured record: WARN while something fires (or flaps),
// INFO once everything in it is resolved. It needs nothing outside the
// process, so `make run` and new installs can route alerts somewhere visible
// before a real integration is set up. It never fails.
package log

import (
	"context"
	"log/slog"
	"sort"
	"strings"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
	"github.com/vigilmon/vigil/internal/config"
)

// Config is the log receiver's configuration; it has no settings yet, so
// `log: {}` enables it.
type Config struct{}

// Validate reports nothing: there is nothing to get wrong.
func (c *Config) Validate() []config.FieldError { return nil }

// Notifier writes notifications to a logger.
type Notifier struct {
	log *slog.Logger
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a Notifier writing to log (nil discards, which is only useful
// in tests).
func New(_ Config, log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{log: log.With("integration", "log")}
}

// Notify logs one record about alerts. It always succeeds.
func (n *Notifier) Notify(ctx context.Context, alerts []alert.Alert) (retry bool, err error) {
	if len(alerts) == 0 {
		return false, nil
	}
	g := notify.GroupFrom(ctx)
	status := notify.Status(alerts)
	level := slog.LevelWarn
	if status == "RESOLVED" {
		level = slog.LevelInfo
	}
	ids := make([]string, len(alerts))
	summaries := make([]string, len(alerts))
	names, hosts := map[string]bool{}, map[string]bool{}
	worst := alert.SeverityNone
	for i := range alerts {
		a := &alerts[i]
		ids[i] = a.ID
		summaries[i] = notify.Summary(*a)
		names[a.Name()] = true
		hosts[a.Host()] = true
		if a.State == alert.Firing {
			worst = max(worst, a.Severity)
		}
	}
	attrs := []slog.Attr{
		slog.String("receiver", g.Receiver),
		slog.String("status", strings.ToLower(status)),
		slog.String("group_key", g.Key),
		slog.Int("alerts", len(alerts)),
		slog.String("ids", strings.Join(ids, ",")),
		slog.String("names", join(names)),
		slog.String("hosts", join(hosts)),
	}
	if worst != alert.SeverityNone {
		attrs = append(attrs, slog.String("severity", worst.String()))
	}
	attrs = append(attrs, slog.String("summary", strings.Join(summaries, "; ")))
	if g.Test {
		attrs = append(attrs, slog.Bool("test", true))
	}
	n.log.LogAttrs(ctx, level, "notification", attrs...)
	return false, nil
}

// join lists the non-empty keys of set in order, comma-separated.
func join(set map[string]bool) string {
	out := make([]string, 0, len(set))
	for k := range set {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

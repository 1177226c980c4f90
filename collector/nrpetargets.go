package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/collector/ingest"
	"github.com/vigilmon/vigil/collector/nrpepoll"
	"github.com/vigilmon/vigil/internal/model"
)

// newNRPEPoller polls the configured legacy NRPE daemons and puts their
// results on the path of an agent's batch: validation, the durable write,
// and from there the rules. Nil when no target is configured.
func newNRPEPoller(cfg *Config, w *ingest.Writer, m *ingest.Metrics, reg prometheus.Registerer, logger *slog.Logger) (*nrpepoll.Poller, error) {
	if len(cfg.NRPETargets) == 0 {
		return nil, nil
	}
	return nrpepoll.New(cfg.NRPETargets, nrpepoll.Options{
		Sink: nrpeSink(w, m, logger), Logger: logger, Registerer: reg, Version: version,
	})
}

// nrpeSink validates a polled batch like an agent's and writes it. A batch
// the store would never take is counted and dropped (answering nil), so it
// cannot block its target; a store that cannot take it now (overload, a
// full outbox) answers an error and the poller offers it again.
func nrpeSink(w *ingest.Writer, m *ingest.Metrics, logger *slog.Logger) func(context.Context, *model.Batch) error {
	return func(ctx context.Context, b *model.Batch) error {
		if err := ingest.Validate(b, ingest.DefaultLimits); err != nil {
			var rej *ingest.RejectError
			reason := "invalid"
			if errors.As(err, &rej) {
				reason = rej.Reason
			}
			m.Rejected(reason)
			logger.Warn("nrpe results refused", "host", b.Host.Name, "reason", reason, "err", err)
			return nil
		}
		_, err := w.Submit(ctx, b)
		return err
	}
}

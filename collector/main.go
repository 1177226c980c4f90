// Command vigil-collector receives agent batches, stores them, and serves the JSON
// API, status page and /metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/oklog/run"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vigilmon/vigil/collector/ingest"
	"github.com/vigilmon/vigil/collector/rules"
	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/collector/store/elastic"
	"github.com/vigilmon/vigil/collector/web"
	"github.com/vigilmon/vigil/internal/cli"
	"github.com/vigilmon/vigil/internal/logging"
)

// version is set by the linker (make build).
var version = "dev"

// subcommands are the tools beside the daemon; the first argument selects one.
func subcommands() map[string]func(args []string, stdout, stderr io.Writer) int {
	return map[string]func(args []string, stdout, stderr io.Writer) int{
		"test-rules":  testRules,
		"store-setup": storeSetup,
		"notify-test": notifyTest,
		"silence":     silenceCmd,
		"ack":         ackCmd,
		"unack":       unackCmd,
	}
}

func main() {
	os.Exit(mainErr(os.Args[1:], os.Stdout, os.Stderr))
}

func mainErr(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if cmd, ok := subcommands()[args[0]]; ok {
			return cmd(args[1:], stdout, stderr)
		}
	}
	flags, code, done := cli.Parse("vigil-collector", "/etc/vigil/collector.yaml", version, args, stdout, stderr)
	if done {
		return code
	}
	cfg, err := loadConfig(flags.Config)
	var set *rules.Set
	if err == nil {
		set, err = loadRules(cfg, flags.Config)
	}
	if err == nil && flags.CheckOnly {
		_, err = ingest.LoadTokens(cfg.TokensFile)
		if err == nil && cfg.APITokensFile != "" {
			_, err = ingest.LoadTokens(cfg.APITokensFile)
		}
	}
	if code, done := cli.ConfigResult(flags, err, stdout, stderr); done {
		return code
	}
	logger := logging.New(stderr, cfg.Log)
	if err := serve(cfg, set, logger); err != nil {
		logger.Error("collector stopped", "err", err)
		return 1
	}
	return 0
}

func serve(cfg Config, set *rules.Set, logger *slog.Logger) error {
	tokens, err := ingest.LoadTokens(cfg.TokensFile)
	if err != nil {
		return err
	}
	var checkAPIToken func(string) (string, bool)
	if cfg.APITokensFile != "" {
		apiTokens, err := ingest.LoadTokens(cfg.APITokensFile)
		if err != nil {
			return err
		}
		checkAPIToken = apiTokens.Check
	}
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opened, err := openStore(ctx, &cfg, reg, logger)
	if err != nil {
		return err
	}
	defer opened.Close()
	st := opened.st
	al, err := newAlerting(ctx, cfg, set, st, reg, logger)
	if err != nil {
		return err
	}
	defer al.stop()
	im := ingest.NewMetrics(reg)
	writer := ingest.NewWriter(st, ingest.WriterOptions{QueueLen: cfg.Ingest.QueueLen, MaxGroup: cfg.Ingest.MaxGroup,
		Logger: logger.With("component", "writer"), Metrics: im, Committed: al.engine.Observe})
	defer writer.Stop()
	poller, err := newNRPEPoller(&cfg, writer, im, reg, logger.With("component", "nrpe"))
	if err != nil {
		return err
	}
	handler := ingest.NewHandler(ingest.HandlerOptions{
		Tokens: tokens, Writer: writer,
		MaxBodyBytes: int64(cfg.Ingest.MaxBodyBytes), MaxDecodedBytes: int64(cfg.Ingest.MaxDecodedBytes),
		RetryAfter: int(cfg.Ingest.RetryAfter / time.Second), Logger: logger.With("component", "ingest"), Metrics: im,
	})
	srv := &http.Server{
		Handler: web.New(web.Options{Store: st, Ingest: handler, Gatherer: reg, Version: version, Logger: logger.With("component", "web"),
			Alerting: &web.Alerting{Alerts: al.engine.Alerts, History: st, Silences: al.silences, CheckToken: checkAPIToken}}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	logger.Info("collector started", "version", version, "name", collectorName(&cfg), "listen", ln.Addr().String(),
		"tls", cfg.TLS.CertFile != "", "store", opened.kind, "path", opened.where, "tokens", tokens.Len())

	var g run.Group
	g.Add(func() error {
		var err error
		if cfg.TLS.CertFile != "" {
			err = srv.ServeTLS(ln, cfg.TLS.CertFile, cfg.TLS.KeyFile)
		} else {
			err = srv.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve http: %w", err)
	}, func(error) {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.Shutdown)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	retCtx, retCancel := context.WithCancel(context.Background())
	g.Add(func() error {
		retention(retCtx, st, cfg.Store.Retention, cfg.Store.RetentionInterval, logger.With("component", "retention"))
		return nil
	}, func(error) { retCancel() })
	alertCtx, alertCancel := context.WithCancel(context.Background())
	g.Add(func() error {
		al.run(alertCtx)
		return nil
	}, func(error) { alertCancel() })
	if opened.es != nil {
		// On shutdown the drain loop stops with the rest; what it has not
		// written stays in the outbox for the next start.
		drainCtx, drainCancel := context.WithCancel(context.Background())
		g.Add(func() error {
			opened.es.Drain(drainCtx)
			return nil
		}, func(error) { drainCancel() })
		if every := opened.common.PeerPoll; every > 0 {
			feed := elastic.NewPeerFeed(opened.client, elastic.NamesFor(opened.common.Namespace), collectorName(&cfg), every,
				al.engine.Observe, logger.With("component", "peers"), reg)
			peerCtx, peerCancel := context.WithCancel(context.Background())
			g.Add(func() error {
				feed.Run(peerCtx)
				return nil
			}, func(error) { peerCancel() })
		}
	}
	if poller != nil {
		pollCtx, pollCancel := context.WithCancel(context.Background())
		g.Add(func() error { return poller.Run(pollCtx) }, func(error) { pollCancel(); poller.Stop() })
	}
	g.Add(run.SignalHandler(context.Background(), os.Interrupt, syscall.SIGTERM))
	err = g.Run()
	if errors.Is(err, run.ErrSignal) {
		logger.Info("collector stopped", "reason", err.Error())
		return nil
	}
	return err
}

// retention deletes data older than keep every interval, starting with one pass at
// start so a collector that was down for long catches up at once.
func retention(ctx context.Context, st store.Store, keep, every time.Duration, logger *slog.Logger) {
	for {
		start := time.Now()
		n, err := st.DeleteBefore(ctx, start.Add(-keep))
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			logger.Error("enforce retention", "err", err)
		case n > 0:
			logger.Info("retention removed old samples", "samples", n, "took", time.Since(start).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/agent/checkrun"
	"github.com/vigilmon/vigil/agent/hostinfo"
	"github.com/vigilmon/vigil/agent/input"
	"github.com/vigilmon/vigil/agent/nrpe"
	"github.com/vigilmon/vigil/agent/ship"
	"github.com/vigilmon/vigil/internal/model"
)

// agent owns what lives as long as the process (spool, metrics) and runs one
// generation of collection + shipping per configuration; SIGHUP swaps generations
// without touching the spool, so nothing buffered is lost and sequences continue.
type agent struct {
	cfgPath     string
	spool       *ship.Spool
	reg         *prometheus.Registry
	shipMetrics *ship.Metrics
	log         *slog.Logger
	// checkResults outlive generations: results that finished just before
	// a reload go out with the next batch.
	checkResults *checkBuffer
}

type generation struct {
	cfg     Config
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	runner  *input.Runner
	shipper *ship.Shipper
	checks  *checkrun.Runner
	nrpe    *nrpe.Server // nil without an nrpe section
}

func (a *agent) run(ctx context.Context, cfg Config) error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sigs)

	gen, err := a.start(cfg)
	if err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			a.stop(gen)
			return nil
		case sig := <-sigs:
			if sig != syscall.SIGHUP {
				a.log.Info("stopping: delivering spooled batches", "signal", sig.String(), "timeout", gen.cfg.ShutdownTimeout)
				a.stop(gen)
				dctx, cancel := context.WithTimeout(context.Background(), gen.cfg.ShutdownTimeout)
				left := gen.shipper.Drain(dctx)
				cancel()
				a.log.Info("agent stopped", "left_in_spool", left)
				return nil
			}
			gen = a.reload(gen)
		}
	}
}

// reload applies a new configuration if it is valid; otherwise the running one
// stays and the errors are logged.
func (a *agent) reload(old *generation) *generation {
	cfg, err := loadConfig(a.cfgPath)
	if err != nil {
		a.log.Error("reload failed; keeping the running configuration", "err", err)
		return old
	}
	if cfg.Spool != old.cfg.Spool || cfg.MetricsListen != old.cfg.MetricsListen {
		a.log.Warn("spool and metrics_listen changes take effect only after a restart")
		cfg.Spool, cfg.MetricsListen = old.cfg.Spool, old.cfg.MetricsListen
	}
	if _, err := cfg.Collector.token(); err != nil {
		a.log.Error("reload failed; keeping the running configuration", "err", err)
		return old
	}
	a.stop(old)
	gen, err := a.start(cfg)
	if err != nil {
		a.log.Error("reload failed; restoring the previous configuration", "err", err)
		if gen, err = a.start(old.cfg); err != nil {
			// The previous configuration worked a moment ago; if it cannot start now
			// something outside changed. Keep the process up: the spool still holds
			// everything and a further SIGHUP can fix it.
			a.log.Error("restore previous configuration", "err", err)
			return old
		}
		return gen
	}
	a.log.Info("configuration reloaded", "interval", cfg.Interval, "inputs", cfg.Inputs, "collector", cfg.Collector.URL)
	return gen
}

func (a *agent) start(cfg Config) (*generation, error) {
	token, err := cfg.Collector.token()
	if err != nil {
		return nil, err
	}
	client, err := httpClient(cfg.Collector)
	if err != nil {
		return nil, err
	}
	inputs, err := input.New(cfg.Inputs, input.Options{
		Logger:       a.log.With("component", "input"),
		Filesystem:   input.FilesystemOptions{ExcludeTypes: cfg.Filesystem.ExcludeTypes, ExcludeMountPoints: cfg.Filesystem.ExcludeMountPoints},
		MountTimeout: cfg.Filesystem.MountTimeout,
	})
	if err != nil {
		return nil, err
	}
	host := hostinfo.Gather(context.Background(), hostinfo.Options{Name: cfg.Host.Name, IMDS: cfg.Host.IMDS,
		IMDSEndpoint: cfg.Host.IMDSEndpoint, IMDSTimeout: cfg.Host.IMDSTimeout, Logger: a.log.With("component", "hostinfo")})
	gen := &generation{cfg: cfg}
	if gen.checks, err = newCheckRunner(cfg, a.checkResults, a.reg, a.log.With("component", "checks")); err != nil {
		return nil, err
	}
	if gen.nrpe, err = newNRPEServer(cfg, gen.checks, a.reg, a.log); err != nil {
		gen.checks.Stop()
		return nil, err
	}
	gen.runner = input.NewRunner(inputs, cfg.InputTimeout, a.reg, a.log.With("component", "runner"))
	gen.shipper = ship.NewShipper(a.spool, ship.ShipperOptions{
		URL: cfg.Collector.URL, Token: token.Reveal(), UserAgent: "vigil-agent/" + version, Client: client,
		MinBackoff: cfg.Collector.MinBackoff, MaxBackoff: cfg.Collector.MaxBackoff,
		Logger: a.log.With("component", "shipper"), Metrics: a.shipMetrics,
	})
	loop := &collectLoop{runner: gen.runner, checks: a.checkResults, spool: a.spool, host: host, interval: cfg.Interval, jitter: cfg.Jitter,
		agent: model.Agent{Version: version, IntervalMS: cfg.Interval.Milliseconds()},
		log:   a.log.With("component", "collect"), now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	gen.cancel = cancel
	gen.wg.Add(2)
	go func() { defer gen.wg.Done(); _ = loop.run(ctx) }()
	go func() { defer gen.wg.Done(); _ = gen.shipper.Run(ctx) }()
	gen.checks.Start()
	if gen.nrpe != nil {
		gen.wg.Add(1)
		go func() {
			defer gen.wg.Done()
			if err := gen.nrpe.Serve(ctx); err != nil {
				a.log.Error("nrpe server stopped", "err", err)
			}
		}()
	}
	return gen, nil
}

// stop ends a generation's loops and waits for them; inputs hung in a syscall are
// given a moment and then left behind (they cannot be interrupted).
func (a *agent) stop(gen *generation) {
	gen.cancel()
	if gen.nrpe != nil {
		gen.nrpe.Stop()
	}
	gen.checks.Stop()
	gen.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := gen.runner.Stop(ctx); err != nil {
		a.log.Warn("inputs still running at stop", "err", err)
	}
}

func httpClient(c CollectorConfig) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 2, 2
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // opt-in, documented
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read collector.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read collector.ca_file %s: no PEM certificates found", c.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	tr.TLSClientConfig = tlsCfg
	return &http.Client{Transport: tr, Timeout: c.Timeout}, nil
}

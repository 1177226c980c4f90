// Command vigil-agent gathers host metrics and ships them to vigil-collector
// through an on-disk spool.
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
	"time"

	"github.com/oklog/run"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigilmon/vigil/agent/ship"
	"github.com/vigilmon/vigil/checks"
	"github.com/vigilmon/vigil/internal/cli"
	"github.com/vigilmon/vigil/internal/logging"
)

// version is set by the linker (make build).
var version = "dev"

func main() {
	os.Exit(mainErr(os.Args[1:], os.Stdout, os.Stderr))
}

func mainErr(args []string, stdout, stderr io.Writer) int {
	// vigil-agent check NAME ARGS... is a Nagios plugin, for Icinga/Nagios
	// and for trying a built-in check before putting it in agent.yaml.
	if len(args) > 0 && args[0] == "check" {
		return checks.Main(args[1:], stdout, stderr)
	}
	flags, code, done := cli.Parse("vigil-agent", "/etc/vigil/agent.yaml", version, args, stdout, stderr)
	if done {
		return code
	}
	cfg, err := loadConfig(flags.Config)
	if err == nil && flags.CheckOnly {
		_, err = cfg.Collector.token()
	}
	if code, done := cli.ConfigResult(flags, err, stdout, stderr); done {
		return code
	}
	logger := logging.New(stderr, cfg.Log)
	if err := serve(flags.Config, cfg, logger); err != nil {
		logger.Error("agent stopped", "err", err)
		return 1
	}
	return 0
}

func serve(cfgPath string, cfg Config, logger *slog.Logger) error {
	spool, err := ship.OpenSpool(ship.SpoolOptions{Dir: cfg.Spool.Dir, MaxBytes: int64(cfg.Spool.MaxBytes),
		MaxPending: cfg.Spool.MaxPending, Logger: logger.With("component", "spool")})
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerSpoolMetrics(reg, spool)
	a := &agent{cfgPath: cfgPath, spool: spool, reg: reg, shipMetrics: ship.NewMetrics(reg), log: logger, checkResults: &checkBuffer{}}

	var g run.Group
	if cfg.MetricsListen != "" {
		ln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return fmt.Errorf("listen for /metrics on %s: %w", cfg.MetricsListen, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		g.Add(func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve /metrics: %w", err)
			}
			return nil
		}, func(error) { _ = srv.Close() })
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.Add(func() error { return a.run(ctx, cfg) }, func(error) { cancel() })
	logger.Info("agent started", "version", version, "agent_id", spool.AgentID(), "collector", cfg.Collector.URL,
		"interval", cfg.Interval, "spooled", spool.Stats().Segments, "metrics", cfg.MetricsListen)
	runErr := g.Run()
	if err := spool.Close(); err != nil {
		logger.Error("save spool state", "err", err)
	}
	return runErr
}

// registerSpoolMetrics exposes the spool's numbers, read at scrape time.
func registerSpoolMetrics(reg prometheus.Registerer, s *ship.Spool) {
	gauge := func(name, help string, f func(ship.Stats) float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return f(s.Stats()) }))
	}
	counter := func(name, help string, f func(ship.Stats) float64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return f(s.Stats()) }))
	}
	gauge("vigil_agent_spool_batches", "Batches on disk waiting for an ack.", func(st ship.Stats) float64 { return float64(st.Segments) })
	gauge("vigil_agent_spool_bytes", "Bytes on disk waiting for an ack.", func(st ship.Stats) float64 { return float64(st.Bytes) })
	gauge("vigil_agent_spool_pending_batches", "Batches held in memory because the disk refused them.", func(st ship.Stats) float64 { return float64(st.Pending) })
	gauge("vigil_agent_spool_next_seq", "Sequence number the next batch will get.", func(st ship.Stats) float64 { return float64(st.NextSeq) })
	counter("vigil_agent_spool_dropped_batches_total", "Batches dropped because the spool was full.", func(st ship.Stats) float64 { return float64(st.Drops.Batches) })
	counter("vigil_agent_spool_dropped_samples_total", "Samples dropped because the spool was full.", func(st ship.Stats) float64 { return float64(st.Drops.Samples) })
	counter("vigil_agent_spool_rejected_batches_total", "Batches the collector refused as invalid (kept in spool/rejected).", func(st ship.Stats) float64 { return float64(st.Drops.Rejected) })
}

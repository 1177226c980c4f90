package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/dispatch"
	"github.com/vigilmon/vigil/collector/rules"
	"github.com/vigilmon/vigil/collector/silence"
	"github.com/vigilmon/vigil/collector/store"
)

// alerting is the rule engine, silences and dispatch of one collector.
type alerting struct {
	engine   *rules.Engine
	silences *silence.Manager
	dispatch *dispatch.Dispatcher
	every    time.Duration
	// shared is how often silences and acks are reread from a store shared
	// with other collectors; 0 with a store of this collector's own.
	shared   time.Duration
	logger   *slog.Logger
	cycles   prometheus.Counter
	evalTime prometheus.Histogram
	active   *prometheus.GaugeVec
}

// alertStore is what alerting needs from the store: metrics for host
// liveness at start, and the alert state.
type alertStore interface {
	store.Store
	alert.StateStore
}

// loadRules loads the rule files named in cfg, relative to the config file.
func loadRules(cfg Config, configPath string) (*rules.Set, error) {
	return rules.LoadFiles(cfg.Alerting.RuleFiles, filepath.Dir(configPath))
}

func newAlerting(ctx context.Context, cfg Config, set *rules.Set, st alertStore, reg prometheus.Registerer, logger *slog.Logger) (*alerting, error) {
	now := time.Now()
	sil, err := silence.New(ctx, st, time.Now, logger.With("component", "silence"), silence.Options{})
	if err != nil {
		return nil, err
	}
	eng, err := rules.New(rules.Options{Rules: set, Config: cfg.Alerting, Store: st, Logger: logger.With("component", "rules")})
	if err != nil {
		return nil, err
	}
	hosts, err := st.Hosts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list hosts for alerting: %w", err)
	}
	known := make([]rules.KnownHost, len(hosts))
	for i, h := range hosts {
		known[i] = rules.KnownHost{Name: h.Name, LastSeen: h.LastSeen, Interval: time.Duration(h.IntervalMS) * time.Millisecond}
	}
	if err := eng.Restore(ctx, known, now); err != nil {
		return nil, err
	}
	receivers, err := buildReceivers(ctx, cfg.Receivers, logger)
	if err != nil {
		return nil, err
	}
	route := cfg.Route
	lease, refresh := time.Minute, time.Duration(0)
	if _, common, ok := clusterOf(&cfg); ok {
		lease = common.ClaimLease
		if common.PeerPoll > 0 { // several collectors share the cluster
			refresh = max(common.PeerPoll, 500*time.Millisecond)
		}
	}
	d, err := dispatch.New(dispatch.Options{Route: &route, Receivers: receivers, Store: st, Silencer: acker{sil},
		ExternalURL: cfg.ExternalURL, Logger: logger.With("component", "dispatch"), Metrics: dispatch.NewMetrics(reg),
		Owner: collectorName(&cfg), ClaimLease: lease, Refresh: refresh})
	if err != nil {
		return nil, err
	}
	logger.Info("alerting ready", "rules", set.Len(), "rule_files", len(set.Files), "receivers", len(receivers))
	a := &alerting{engine: eng, silences: sil, dispatch: d, every: cfg.Alerting.EvaluationInterval, shared: refresh, logger: logger,
		cycles: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_collector_alerting_cycles_total",
			Help: "Scheduler cycles completed (evaluation when due, then dispatch)."}),
		evalTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_collector_rule_evaluation_seconds",
			Help: "Time to evaluate every rule once.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9)}),
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_collector_alerts",
			Help: "Alerts by state (firing includes flapping) after the last evaluation."}, []string{"state"}),
	}
	reg.MustRegister(a.cycles, a.evalTime, a.active)
	return a, nil
}

// run is the one scheduler of alerting: it reads the clock and hands the time
// to the engine and dispatch. Dispatch is ticked at least every second so that
// group timers and resolves are not held up by a long evaluation interval.
func (a *alerting) run(ctx context.Context) {
	step := min(a.every, time.Second)
	t := time.NewTicker(step)
	defer t.Stop()
	var lastEval, lastGC, lastReload time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if now.Sub(lastEval) >= a.every-step/2 {
				lastEval = now
				alerts := a.engine.Eval(ctx, now)
				a.evalTime.Observe(time.Since(now).Seconds())
				a.count(alerts)
				a.voidAcksOfResolved(alerts, now)
				a.dispatch.Process(now, alerts)
			}
			if a.shared > 0 && now.Sub(lastReload) >= a.shared {
				lastReload = now
				if err := a.silences.Reload(ctx); err != nil && ctx.Err() == nil {
					a.logger.Warn("reload silences and acknowledgements from the shared store", "err", err)
				}
			}
			a.dispatch.Tick(ctx, now)
			if now.Sub(lastGC) >= time.Minute {
				lastGC = now
				if err := a.silences.GC(ctx, now); err != nil && ctx.Err() == nil {
					a.logger.Error("expire old silences and acknowledgements", "err", err)
				}
			}
			a.cycles.Inc()
		}
	}
}

func (a *alerting) count(alerts []alert.Alert) {
	firing, resolved := 0, 0
	for i := range alerts {
		if alerts[i].State == alert.Firing {
			firing++
		} else {
			resolved++
		}
	}
	a.active.WithLabelValues("firing").Set(float64(firing))
	a.active.WithLabelValues("resolved").Set(float64(resolved))
}

// voidAcksOfResolved ends acknowledgements when their alert resolves, so that
// the next episode is announced and repeated like any other.
func (a *alerting) voidAcksOfResolved(alerts []alert.Alert, now time.Time) {
	for i := range alerts {
		if alerts[i].State == alert.Resolved {
			a.silences.Acked(alerts[i].ID, alert.SeverityNone, now)
		}
	}
}

func (a *alerting) stop() { a.dispatch.Stop() }

// acker adapts silence.Manager to dispatch.Silencer.
type acker struct{ m *silence.Manager }

func (a acker) Silenced(l alert.Labels, now time.Time) []string { return a.m.Silenced(l, now) }

func (a acker) Acked(id string, sev alert.Severity, now time.Time) bool {
	_, ok := a.m.Acked(id, sev, now)
	return ok
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/collector/store/elastic"
	"github.com/vigilmon/vigil/collector/store/sqlite"
)

// openedStore is the store the collector runs on, with what runs beside it.
type openedStore struct {
	st     alertStore
	kind   string // sqlite, elasticsearch, opensearch
	where  string // for the start log line
	common *elastic.Common
	es     *elastic.Store
	client *elastic.Client
}

// clusterOf returns the configured cluster block, if any.
func clusterOf(cfg *Config) (elastic.Flavor, *elastic.Common, bool) {
	switch {
	case cfg.Store.Elasticsearch.Configured():
		return elastic.Elasticsearch, &cfg.Store.Elasticsearch.Common, true
	case cfg.Store.OpenSearch.Configured():
		return elastic.OpenSearch, &cfg.Store.OpenSearch.Common, true
	}
	return 0, nil, false
}

func newClient(ctx context.Context, cfg *Config) (*elastic.Client, error) {
	if cfg.Store.Elasticsearch.Configured() {
		return elastic.NewES(&cfg.Store.Elasticsearch)
	}
	return elastic.NewOS(ctx, &cfg.Store.OpenSearch)
}

// collectorName is Config.Name or host:port.
func collectorName(cfg *Config) string {
	if cfg.Name != "" {
		return cfg.Name
	}
	h, _ := os.Hostname()
	_, port, _ := net.SplitHostPort(cfg.Listen)
	return h + ":" + port
}

// openStore opens the embedded store, or the cluster with its outbox. A
// cluster that does not answer yet is retried for startWait: collectors are
// often started together with (or before) their cluster.
func openStore(ctx context.Context, cfg *Config, reg prometheus.Registerer, logger *slog.Logger) (*openedStore, error) {
	flavor, common, cluster := clusterOf(cfg)
	if !cluster {
		if err := os.MkdirAll(filepath.Dir(cfg.Store.SQLite.Path), 0o750); err != nil {
			return nil, fmt.Errorf("create store directory: %w", err)
		}
		st, err := sqlite.Open(ctx, sqlite.Options{Path: cfg.Store.SQLite.Path, Synchronous: cfg.Store.SQLite.Synchronous,
			Logger: logger.With("component", "store")})
		if err != nil {
			return nil, err
		}
		return &openedStore{st: st, kind: "sqlite", where: cfg.Store.SQLite.Path}, nil
	}
	client, err := newClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			_ = client.Close()
		}
	}()
	log := logger.With("component", "store", "store", flavor.String())
	const startWait = time.Minute
	deadline := time.Now().Add(startWait)
	for wait := time.Second; ; wait = min(2*wait, 10*time.Second) {
		es, results, err := elastic.Open(ctx, client, elastic.Options{Common: *common, Collector: collectorName(cfg),
			Logger: log, Metrics: reg})
		if err == nil {
			for _, r := range results {
				if r.Action != "unchanged" && r.Action != "exists" {
					log.Info("cluster setup", "kind", r.Step.Kind, "name", r.Step.Name, "action", r.Action, "had_version", r.Have)
				}
			}
			info := es.Info()
			log.Info("cluster ready", "version", info.Version, "time_series", info.TSDS, "outbox", common.Outbox.Dir)
			ok = true
			return &openedStore{st: es, kind: flavor.String(), where: common.Outbox.Dir, common: common, es: es, client: client}, nil
		}
		var se *elastic.StatusError
		if errors.As(err, &se) && se.Status >= 400 && se.Status < 500 && se.Status != 429 {
			return nil, err // refused (auth, bad request): waiting will not help
		}
		if time.Now().Add(wait).After(deadline) {
			return nil, fmt.Errorf("cluster not ready after %s: %w", startWait, err)
		}
		log.Warn("cluster not ready; retrying", "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (o *openedStore) Close() error {
	err := o.st.Close()
	if o.client != nil {
		err = errors.Join(err, o.client.Close())
	}
	return err
}

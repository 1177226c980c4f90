package elastic

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/internal/model"
)

// PeerFeed reads the metric and check documents other collectors stored and hands
// them to this collector's rule engine, so that behind a load balancer every
// collector's rules see every host (and none takes a host another collector
// hears from for dead). It polls on event.ingested, the time the storing
// collector received the batch.
type PeerFeed struct {
	c       *Client
	names   Names
	self    string
	every   time.Duration
	observe func(b *model.Batch, received time.Time)
	now     func() time.Time
	log     *slog.Logger
	docs    prometheus.Counter
	errs    prometheus.Counter

	// overlap is how far back each poll reaches before the newest document
	// seen: documents become searchable a refresh (1s) after they are
	// written and peers' write paths run late by a bulk round, so a window
	// of seen IDs covers what arrives out of order.
	overlap time.Duration
	cursor  time.Time
	seen    map[string]time.Time
	hosts   map[string]hostDoc
}

// peerPage is the most documents one request reads.
const peerPage = 5000

// NewPeerFeed polls every `every`. observe is the engine's Observe.
func NewPeerFeed(c *Client, names Names, self string, every time.Duration, observe func(*model.Batch, time.Time),
	logger *slog.Logger, reg prometheus.Registerer) *PeerFeed {
	p := &PeerFeed{c: c, names: names, self: self, every: every, observe: observe, now: time.Now, log: logger,
		overlap: 30 * time.Second, seen: map[string]time.Time{}, hosts: map[string]hostDoc{},
		docs: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_collector_peer_documents_total",
			Help: "Metric and check documents stored by other collectors and fed to this collector's rules."}),
		errs: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_collector_peer_poll_errors_total",
			Help: "Failed polls for other collectors' documents."}),
	}
	if reg != nil {
		reg.MustRegister(p.docs, p.errs)
	}
	return p
}

// Run polls until ctx ends.
func (p *PeerFeed) Run(ctx context.Context) {
	p.cursor = p.now().Add(-p.overlap)
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.Poll(ctx); err != nil && ctx.Err() == nil {
				p.errs.Inc()
				p.log.Warn("read other collectors' documents", "err", err)
			}
		}
	}
}

// Poll reads what arrived since the last poll.
func (p *PeerFeed) Poll(ctx context.Context) error {
	for {
		from := p.cursor.Add(-p.overlap)
		q := obj{
			"query": obj{"bool": obj{
				"filter":   []any{obj{"range": obj{"event.ingested": timeRange(from, time.Time{})}}},
				"must_not": []any{obj{"term": obj{"vigil.collector": p.self}}},
			}},
			"sort": []any{obj{"event.ingested": obj{"order": "asc"}}},
			"size": peerPage,
		}
		hits, err := p.c.search(ctx, p.names.Metrics+","+p.names.Checks, q)
		if err != nil {
			return err
		}
		before := p.cursor
		p.feed(ctx, hits)
		p.prune(from)
		// A full page means more is waiting; go on while the cursor moves.
		if len(hits) < peerPage || !p.cursor.After(before) {
			return nil
		}
	}
}

// feed groups unseen hits by host into batches for the engine.
func (p *PeerFeed) feed(ctx context.Context, hits []hit) {
	type group struct {
		b        *model.Batch
		received time.Time
	}
	groups := map[string]*group{}
	var order []string
	for _, h := range hits {
		var meta struct {
			Ingested  string `json:"event.ingested"`
			Host      string `json:"host.name"`
			Collector string `json:"vigil.collector"`
		}
		if json.Unmarshal(h.Source, &meta) != nil {
			continue
		}
		ingested, err := time.Parse(time.RFC3339Nano, meta.Ingested)
		if err != nil {
			continue
		}
		if ingested.After(p.cursor) {
			p.cursor = ingested
		}
		if _, dup := p.seen[h.ID]; dup || meta.Collector == p.self {
			continue
		}
		p.seen[h.ID] = ingested
		if meta.Host == "" {
			continue
		}
		check, isCheck := checkResultOf(h.Source)
		ev, isMetric := metricEvent(h.Source)
		if !isCheck && !isMetric {
			continue
		}
		g := groups[meta.Host]
		if g == nil {
			g = &group{b: p.batchFor(ctx, meta.Host)}
			groups[meta.Host] = g
			order = append(order, meta.Host)
		}
		if ingested.After(g.received) {
			g.received = ingested
		}
		if isCheck {
			g.b.Checks = append(g.b.Checks, check)
		} else {
			g.b.Events = append(g.b.Events, ev)
		}
		p.docs.Inc()
	}
	for _, name := range order {
		g := groups[name]
		p.observe(g.b, g.received)
	}
}

// batchFor starts a batch for a host with its identity and interval from the
// host registry (cached once found), so host labels and HostDown timing are
// the same as on the collector that stored it.
func (p *PeerFeed) batchFor(ctx context.Context, name string) *model.Batch {
	d, ok := p.hosts[name]
	if !ok {
		r := Reader{c: p.c, names: p.names}
		if got, err := r.host(ctx, name); err == nil {
			d, ok = got, true
			p.hosts[name] = d
		}
	}
	b := &model.Batch{AgentID: d.AgentID, Host: d.Identity, Agent: model.Agent{Version: d.AgentVersion, IntervalMS: d.IntervalMS}}
	b.Host.Name = name
	return b
}

func (p *PeerFeed) prune(before time.Time) {
	for id, t := range p.seen {
		if t.Before(before) {
			delete(p.seen, id)
		}
	}
}

package elastic

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/nagios"
)

// checkDoc is one check result in logs-vigil.check-*: ECS event fields, the
// Nagios fields under vigil.check.*, perfdata twice — as numbers under
// vigil.check.perfdata.* for dashboards, and as the original items (source
// only) so the API can show them with units and thresholds.
type checkDoc struct {
	Timestamp    time.Time         `json:"@timestamp"`
	Dataset      string            `json:"event.dataset"`
	Kind         string            `json:"event.kind"`
	DurationNS   int64             `json:"event.duration"`
	Ingested     time.Time         `json:"event.ingested"`
	Message      string            `json:"message"`
	Host         string            `json:"host.name"`
	AgentID      string            `json:"agent.id"`
	AgentVersion string            `json:"agent.version,omitempty"`
	Collector    string            `json:"vigil.collector"`
	Name         string            `json:"vigil.check.name"`
	State        int               `json:"vigil.check.state"`
	StateName    string            `json:"vigil.check.state_name"`
	StateType    string            `json:"vigil.check.state_type"`
	Attempt      int               `json:"vigil.check.attempt"`
	MaxAttempts  int               `json:"vigil.check.max_attempts"`
	LastChange   time.Time         `json:"vigil.check.last_change"`
	LongOutput   string            `json:"vigil.check.long_output,omitempty"`
	Command      string            `json:"vigil.check.command,omitempty"`
	Perf         []model.PerfValue `json:"vigil.check.perf,omitempty"`
}

// result is the check result the document was made from.
func (d *checkDoc) result() model.CheckResult {
	return model.CheckResult{
		Timestamp: d.Timestamp.UnixMilli(), Name: d.Name, Command: d.Command, State: d.State, StateType: d.StateType,
		LastChange: d.LastChange.UnixMilli(), Attempt: d.Attempt, MaxAttempts: d.MaxAttempts, Output: d.Message,
		LongOutput: d.LongOutput, DurationUS: d.DurationNS / 1000, Perf: d.Perf,
	}
}

// checkResultOf reads a check document; ok is false for anything else (a
// metric document, or one too damaged to alert on).
func checkResultOf(src json.RawMessage) (model.CheckResult, bool) {
	var d checkDoc
	if json.Unmarshal(src, &d) != nil || d.Name == "" || d.StateType == "" || d.Dataset != "vigil.check" {
		return model.CheckResult{}, false
	}
	return d.result(), true
}

// checkDocIndex keeps check document IDs apart from event IDs of the same
// batch, should the two ever share an index.
const checkDocIndex = 1 << 32

// checkDocs appends one create item per check result of b.
func (e *encoder) checkDocs(items []*item, b *model.Batch, received time.Time) []*item {
	for i := range b.Checks {
		c := &b.Checks[i]
		doc := checkDoc{
			Timestamp: time.UnixMilli(c.Timestamp).UTC(), Dataset: "vigil.check", Kind: "state",
			DurationNS: c.DurationUS * 1000, Ingested: received.UTC(), Message: c.Output,
			Host: b.Host.Name, AgentID: b.AgentID, AgentVersion: b.Agent.Version, Collector: e.collector,
			Name: c.Name, State: c.State, StateName: nagios.State(c.State).String(), StateType: c.StateType,
			Attempt: c.Attempt, MaxAttempts: c.MaxAttempts, LastChange: time.UnixMilli(c.LastChange).UTC(),
			LongOutput: c.LongOutput, Command: c.Command, Perf: c.Perf,
		}
		body, err := json.Marshal(doc)
		if err != nil {
			continue // only a non-finite number gets here, and ingest refuses those
		}
		if ev, ok := nagios.PerfEvent(c.Timestamp, c.Name, c.Perf); ok {
			body = appendPerfValues(body, ev.Values)
		}
		items = append(items, &item{index: e.names.Checks, action: "create", id: docID(b.AgentID, b.Seq, checkDocIndex+i), body: body})
	}
	return items
}

// appendPerfValues adds the vigil.check.perfdata.* numbers to an encoded
// document (whose last byte is its closing brace).
func appendPerfValues(body []byte, values map[string]float64) []byte {
	body = body[:len(body)-1]
	for _, k := range sortedKeys(values) {
		v, err := json.Marshal(values[k])
		if err != nil {
			continue
		}
		body = append(body, ',')
		body = appendString(body, k)
		body = append(body, ':')
		body = append(body, v...)
	}
	return append(body, '}')
}

// checkLookback bounds how far back the newest result of a check is looked
// for: a check silent for longer than that is no longer shown.
const checkLookback = 7 * 24 * time.Hour

// hostChecks finds the newest result of every check of host. Each search
// returns the newest results of the checks not seen yet, so a check that
// runs once an hour is found even when others ran thousands of times since;
// usually one or two searches suffice.
func (r *Reader) hostChecks(ctx context.Context, host string, now time.Time) ([]store.CheckStatus, error) {
	seen := map[string]store.CheckStatus{}
	for {
		names := make([]string, 0, len(seen))
		for n := range seen {
			names = append(names, n)
		}
		q := obj{
			"query": obj{"bool": obj{
				"filter": []any{
					obj{"term": obj{"host.name": host}},
					obj{"range": obj{"@timestamp": timeRange(now.Add(-checkLookback), time.Time{})}},
				},
				"must_not": []any{obj{"terms": obj{"vigil.check.name": names}}},
			}},
			"sort": []any{obj{"@timestamp": obj{"order": "desc"}}},
			"size": 1000,
		}
		hits, err := r.c.search(ctx, r.names.Checks, q)
		if err != nil {
			return nil, err
		}
		before := len(seen)
		for _, h := range hits {
			var d checkDoc
			if err := json.Unmarshal(h.Source, &d); err != nil || d.Name == "" {
				continue
			}
			if _, ok := seen[d.Name]; ok {
				continue
			}
			seen[d.Name] = store.NewCheckStatus(d.result())
		}
		if len(hits) < 1000 || len(seen) == before {
			break
		}
	}
	out := make([]store.CheckStatus, 0, len(seen))
	for _, c := range seen {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(out) == 0 {
		return []store.CheckStatus{}, nil
	}
	return out, nil
}

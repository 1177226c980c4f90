package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
)

// Reader answers the JSON API from the cluster.
type Reader struct {
	c     *Client
	names Names
}

// maxSeriesPoints bounds one series query, which pages through the cluster.
const maxSeriesPoints = 100_000

// Hosts lists the host registry, ordered by name.
func (r *Reader) Hosts(ctx context.Context) ([]store.HostSummary, error) {
	var out []store.HostSummary
	q := obj{"query": obj{"match_all": obj{}}, "sort": []any{obj{"host.name": obj{"order": "asc"}}}}
	err := r.c.searchAll(ctx, r.names.Hosts, q, func(h hit) error {
		var d hostDoc
		if err := json.Unmarshal(h.Source, &d); err != nil {
			return fmt.Errorf("decode host document %s: %w", h.ID, err)
		}
		out = append(out, d.summary())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	return out, nil
}

func (d *hostDoc) summary() store.HostSummary {
	return store.HostSummary{Name: d.Name, AgentID: d.AgentID, AgentVersion: d.AgentVersion, FirstSeen: d.FirstSeen,
		LastSeen: d.LastSeen, IntervalMS: d.IntervalMS}
}

// host reads one registry document; store.ErrNotFound when absent.
func (r *Reader) host(ctx context.Context, name string) (hostDoc, error) {
	path := "/" + r.names.Hosts + "/_doc/" + hostID(name)
	status, body, err := r.c.do(ctx, "GET", path, nil)
	if err != nil {
		return hostDoc{}, err
	}
	if status == 404 {
		return hostDoc{}, store.ErrNotFound
	}
	if status != 200 {
		return hostDoc{}, statusError("GET", path, status, body)
	}
	var v struct {
		Source hostDoc `json:"_source"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return hostDoc{}, fmt.Errorf("decode host %s: %w", name, err)
	}
	return v.Source, nil
}

// Host returns a host with the newest value of every series: the documents
// of its last few intervals, newest first, first value per (field, dims).
func (r *Reader) Host(ctx context.Context, name string) (store.HostDetail, error) {
	d, err := r.host(ctx, name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.HostDetail{}, err
		}
		return store.HostDetail{}, fmt.Errorf("read host %s: %w", name, err)
	}
	look := max(3*time.Duration(d.IntervalMS)*time.Millisecond, 5*time.Minute)
	q := obj{
		"query": obj{"bool": obj{"filter": []any{
			obj{"term": obj{"host.name": name}},
			obj{"range": obj{"@timestamp": timeRange(d.LastSeen.Add(-look), time.Time{})}},
		}}},
		"sort": []any{obj{"@timestamp": obj{"order": "desc"}}},
		"size": 10000,
	}
	hits, err := r.c.search(ctx, r.names.Metrics, q)
	if err != nil {
		return store.HostDetail{}, fmt.Errorf("read latest metrics of %s: %w", name, err)
	}
	out := store.HostDetail{HostSummary: d.summary(), Identity: d.Identity}
	seen := map[string]bool{}
	for _, h := range hits {
		ev, ok := metricEvent(h.Source)
		if !ok {
			continue
		}
		dimKey := seriesKey(ev.Dims)
		for _, f := range sortedKeys(ev.Values) {
			k := f + "\x00" + dimKey
			if seen[k] {
				continue
			}
			seen[k] = true
			out.Metrics = append(out.Metrics, store.LatestValue{Field: f, Dims: ev.Dims,
				Timestamp: time.UnixMilli(ev.Timestamp).UTC(), Value: ev.Values[f]})
		}
	}
	sort.Slice(out.Metrics, func(i, j int) bool {
		a, b := out.Metrics[i], out.Metrics[j]
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return seriesKey(a.Dims) < seriesKey(b.Dims)
	})
	if out.Checks, err = r.hostChecks(ctx, name, d.LastSeen); err != nil {
		return store.HostDetail{}, fmt.Errorf("read checks of %s: %w", name, err)
	}
	return out, nil
}

// Series returns the samples of one field of one host, one series per set
// of dimensions.
func (r *Reader) Series(ctx context.Context, q store.SeriesQuery) ([]store.Series, error) {
	filter := []any{obj{"term": obj{"host.name": q.Host}}, obj{"exists": obj{"field": q.Field}}}
	if rg := timeRange(q.From, q.To); rg != nil {
		filter = append(filter, obj{"range": obj{"@timestamp": rg}})
	}
	body := obj{"query": obj{"bool": obj{"filter": filter}}, "sort": []any{obj{"@timestamp": obj{"order": "asc"}}},
		"_source": []string{"@timestamp", "event.dataset", q.Field, datasetOf(q.Field) + ".*"}}
	byDims := map[string]*store.Series{}
	n := 0
	errEnough := errors.New("enough points")
	err := r.c.searchAll(ctx, r.names.Metrics, body, func(h hit) error {
		ev, ok := metricEvent(h.Source)
		if !ok {
			return nil
		}
		v, ok := ev.Values[q.Field]
		if !ok {
			return nil
		}
		k := seriesKey(ev.Dims)
		s := byDims[k]
		if s == nil {
			s = &store.Series{Field: q.Field, Dims: ev.Dims}
			byDims[k] = s
		}
		s.Points = append(s.Points, store.Point{Time: time.UnixMilli(ev.Timestamp).UTC(), Value: v})
		if n++; n >= maxSeriesPoints {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, fmt.Errorf("read series %s of %s: %w", q.Field, q.Host, err)
	}
	out := make([]store.Series, 0, len(byDims))
	for _, k := range sortedKeys(byDims) {
		s := byDims[k]
		if q.Limit > 0 && len(s.Points) > q.Limit {
			s.Points = s.Points[len(s.Points)-q.Limit:]
		}
		out = append(out, *s)
	}
	return out, nil
}

// datasetOf is the metricset prefix of a field: system.filesystem.used.pct
// → system.filesystem, whose string fields are the dimensions.
func datasetOf(field string) string {
	parts := strings.SplitN(field, ".", 3)
	if len(parts) < 3 {
		return field
	}
	return parts[0] + "." + parts[1]
}

func seriesKey(dims map[string]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(dims) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(dims[k])
		b.WriteByte(0)
	}
	return b.String()
}

// metricEvent reads a metric document back into an event: numbers are
// values, strings under the dataset's prefix are dimensions. It takes flat
// dotted keys (as written) and nested objects (synthetic _source of a time
// series index) alike.
func metricEvent(src json.RawMessage) (model.Event, bool) {
	var m map[string]any
	if err := json.Unmarshal(src, &m); err != nil {
		return model.Event{}, false
	}
	flat := map[string]any{}
	flatten("", m, flat)
	ts, ok := parseTimestamp(flat["@timestamp"])
	if !ok {
		return model.Event{}, false
	}
	ds, _ := flat["event.dataset"].(string)
	ev := model.Event{Timestamp: ts.UnixMilli(), Dataset: ds, Values: map[string]float64{}}
	for k, v := range flat {
		switch x := v.(type) {
		case float64:
			ev.Values[k] = x
		case string:
			if ds != "" && strings.HasPrefix(k, ds+".") {
				if ev.Dims == nil {
					ev.Dims = map[string]string{}
				}
				ev.Dims[k] = x
			}
		}
	}
	return ev, true
}

func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		if prefix != "" {
			k = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			flatten(k, sub, out)
			continue
		}
		out[k] = v
	}
}

func parseTimestamp(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		return t, err == nil
	case float64:
		return time.UnixMilli(int64(x)), true
	}
	return time.Time{}, false
}

package elastic

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
)

// StateStore is the alert state shared by every collector of a cluster: one
// document per (bucket, key) in a plain index, each write a compare-and-set
// on the document's _seq_no and _primary_term as this collector last saw
// them. A lost compare-and-set is reported as *alert.ConflictError with the
// winning value, so the caller adopts it instead of notifying: with several
// collectors, only the one whose write wins announces a transition.
//
// Unlike SQLite, a SaveState call is not atomic: puts and deletes go first,
// then the history events. A failure part-way returns an error and the caller
// repeats the call; puts then succeed against the versions just written and
// events have deterministic IDs, so nothing is doubled.
type StateStore struct {
	c         *Client
	index     string
	history   string
	collector string
	w         *writer
	now       func() time.Time

	mu       sync.Mutex
	versions map[string]docVersion // by document ID
	seq      int64                 // last event.sequence handed out
}

type docVersion struct{ seqNo, term int64 }

// stateDoc is one state document.
type stateDoc struct {
	Bucket    string          `json:"bucket"`
	Key       string          `json:"key"`
	Value     json.RawMessage `json:"value"`
	UpdatedAt time.Time       `json:"updated_at"`
	Collector string          `json:"vigil.collector"`
}

func stateID(bucket, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(bucket + "\x00" + key))
}

// LoadState reads every key of bucket and remembers each version for the
// next compare-and-set.
func (s *StateStore) LoadState(ctx context.Context, bucket string) (map[string][]byte, error) {
	out := map[string][]byte{}
	q := obj{"query": obj{"bool": obj{"filter": []any{obj{"term": obj{"bucket": bucket}}}}},
		"sort": []any{obj{"key": obj{"order": "asc"}}}, "seq_no_primary_term": true}
	err := s.c.searchAll(ctx, s.index, q, func(h hit) error {
		var d stateDoc
		if err := json.Unmarshal(h.Source, &d); err != nil {
			return fmt.Errorf("decode state document %s: %w", h.ID, err)
		}
		out[d.Key] = []byte(d.Value)
		s.see(h.ID, docVersion{h.SeqNo, h.PrimaryTerm})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load %s state: %w", bucket, err)
	}
	return out, nil
}

// SaveState writes puts and deletes with compare-and-set, then the events.
func (s *StateStore) SaveState(ctx context.Context, bucket string, put map[string][]byte, del []string, events []alert.Event) error {
	conflicts := map[string][]byte{}
	keys := sortedKeys(put)
	for _, k := range keys {
		lost, cur, err := s.put(ctx, bucket, k, put[k])
		if err != nil {
			return err
		}
		if lost {
			conflicts[k] = cur
		}
	}
	for _, k := range del {
		lost, cur, err := s.delete(ctx, bucket, k)
		if err != nil {
			return err
		}
		if lost {
			conflicts[k] = cur
		}
	}
	if err := s.writeEvents(ctx, ownEvents(events, conflicts)); err != nil {
		return err
	}
	if len(conflicts) > 0 {
		return &alert.ConflictError{Bucket: bucket, Current: conflicts}
	}
	return nil
}

// ownEvents drops the events of keys whose write was lost.
func ownEvents(events []alert.Event, conflicts map[string][]byte) []alert.Event {
	if len(conflicts) == 0 {
		return events
	}
	lost := map[string]bool{}
	for k := range conflicts {
		lost[k[strings.LastIndexByte(k, '/')+1:]] = true
	}
	out := events[:0:0]
	for _, e := range events {
		if !lost[e.AlertID] {
			out = append(out, e)
		}
	}
	return out
}

func (s *StateStore) put(ctx context.Context, bucket, key string, value []byte) (lost bool, cur []byte, err error) {
	id := stateID(bucket, key)
	raw := json.RawMessage(value)
	if !json.Valid(value) {
		raw, _ = json.Marshal(string(value))
	}
	body, err := json.Marshal(stateDoc{Bucket: bucket, Key: key, Value: raw, UpdatedAt: s.now().UTC(), Collector: s.collector})
	if err != nil {
		return false, nil, err
	}
	s.mu.Lock()
	v, known := s.versions[id]
	s.mu.Unlock()
	path := "/" + s.index + "/_create/" + id
	if known {
		path = "/" + s.index + "/_doc/" + id + "?" + casQuery(v)
	}
	status, resp, err := s.c.do(ctx, "PUT", path, body)
	if err != nil {
		return false, nil, fmt.Errorf("save %s/%s: %w", bucket, key, err)
	}
	switch {
	case status == 200 || status == 201:
		s.remember(id, resp)
		return false, nil, nil
	case status == 409:
		cur, err := s.current(ctx, id)
		return true, cur, err
	}
	return false, nil, statusError("PUT", path, status, resp)
}

func (s *StateStore) delete(ctx context.Context, bucket, key string) (lost bool, cur []byte, err error) {
	id := stateID(bucket, key)
	s.mu.Lock()
	v, known := s.versions[id]
	s.mu.Unlock()
	if !known {
		// Never seen here: if it exists, another collector made it, and
		// deleting what we never read would undo its write.
		cur, err := s.current(ctx, id)
		return cur != nil, cur, err
	}
	path := "/" + s.index + "/_doc/" + id + "?" + casQuery(v)
	status, resp, err := s.c.do(ctx, "DELETE", path, nil)
	if err != nil {
		return false, nil, fmt.Errorf("delete %s/%s: %w", bucket, key, err)
	}
	switch status {
	case 200, 404:
		s.mu.Lock()
		delete(s.versions, id)
		s.mu.Unlock()
		return false, nil, nil
	case 409:
		cur, err := s.current(ctx, id)
		return true, cur, err
	}
	return false, nil, statusError("DELETE", path, status, resp)
}

// see records a version read from the cluster unless a newer one is known:
// a search that started before this collector's own write must not make the
// next compare-and-set use the older version.
func (s *StateStore) see(id string, v docVersion) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if have, ok := s.versions[id]; !ok || v.term > have.term || (v.term == have.term && v.seqNo > have.seqNo) {
		s.versions[id] = v
	}
}

func casQuery(v docVersion) string {
	return url.Values{"if_seq_no": {strconv.FormatInt(v.seqNo, 10)},
		"if_primary_term": {strconv.FormatInt(v.term, 10)}}.Encode()
}

// remember records the version a write answered with.
func (s *StateStore) remember(id string, resp []byte) {
	var r struct {
		SeqNo int64 `json:"_seq_no"`
		Term  int64 `json:"_primary_term"`
	}
	if json.Unmarshal(resp, &r) == nil {
		s.mu.Lock()
		s.versions[id] = docVersion{r.SeqNo, r.Term}
		s.mu.Unlock()
	}
}

// current reads the winning value of a document after a lost
// compare-and-set and remembers its version; nil when it is gone.
func (s *StateStore) current(ctx context.Context, id string) ([]byte, error) {
	path := "/" + s.index + "/_doc/" + id
	status, resp, err := s.c.do(ctx, "GET", path, nil)
	if err != nil {
		return nil, err
	}
	if status == 404 {
		s.mu.Lock()
		delete(s.versions, id)
		s.mu.Unlock()
		return nil, nil
	}
	if status != 200 {
		return nil, statusError("GET", path, status, resp)
	}
	var d struct {
		SeqNo  int64    `json:"_seq_no"`
		Term   int64    `json:"_primary_term"`
		Source stateDoc `json:"_source"`
	}
	if err := json.Unmarshal(resp, &d); err != nil {
		return nil, fmt.Errorf("decode state document %s: %w", id, err)
	}
	s.mu.Lock()
	s.versions[id] = docVersion{d.SeqNo, d.Term}
	s.mu.Unlock()
	return []byte(d.Source.Value), nil
}

// writeEvents appends events to the alert history stream, one round: a
// retryable failure is returned (the caller repeats SaveState), a document
// the cluster refuses goes to the dead-letter stream.
func (s *StateStore) writeEvents(ctx context.Context, events []alert.Event) error {
	if len(events) == 0 {
		return nil
	}
	items := make([]*item, len(events))
	for i := range events {
		s.mu.Lock()
		seq := max(s.now().UnixMicro(), s.seq+1)
		s.seq = seq
		s.mu.Unlock()
		items[i] = s.eventItem(&events[i], seq)
	}
	ctx, cancel := context.WithTimeout(ctx, s.c.timeout)
	defer cancel()
	return s.w.writeOnce(ctx, items)
}

// Events reads the alert history, newest first.
func (s *StateStore) Events(ctx context.Context, q alert.EventQuery) ([]alert.Event, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	filter := []any{}
	if q.AlertID != "" {
		filter = append(filter, obj{"term": obj{"vigil.alert.id": q.AlertID}})
	}
	if q.Host != "" {
		filter = append(filter, obj{"term": obj{"host.name": q.Host}})
	}
	if q.Kind != "" {
		filter = append(filter, obj{"term": obj{"event.action": string(q.Kind)}})
	}
	if r := timeRange(q.From, q.To); r != nil {
		filter = append(filter, obj{"range": obj{"@timestamp": r}})
	}
	body := obj{"query": obj{"bool": obj{"filter": filter}}, "size": min(limit, 10000),
		"sort": []any{obj{"@timestamp": obj{"order": "desc"}}, obj{"event.sequence": obj{"order": "desc"}}}}
	hits, err := s.c.search(ctx, s.history, body)
	if err != nil {
		return nil, fmt.Errorf("read alert history: %w", err)
	}
	out := make([]alert.Event, 0, len(hits))
	for _, h := range hits {
		var d eventDoc
		if err := json.Unmarshal(h.Source, &d); err != nil {
			continue // a hand-written document in our stream: not ours to show
		}
		out = append(out, d.event())
	}
	return out, nil
}

// timeRange is a range query on a date, nil when neither bound is set.
func timeRange(from, to time.Time) obj {
	if from.IsZero() && to.IsZero() {
		return nil
	}
	r := obj{"format": "strict_date_optional_time"}
	if !from.IsZero() {
		r["gte"] = from.UTC().Format(time.RFC3339Nano)
	}
	if !to.IsZero() {
		r["lte"] = to.UTC().Format(time.RFC3339Nano)
	}
	return r
}

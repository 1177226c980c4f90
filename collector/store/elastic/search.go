package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// hit is one search hit.
type hit struct {
	Index       string          `json:"_index"`
	ID          string          `json:"_id"`
	SeqNo       int64           `json:"_seq_no"`
	PrimaryTerm int64           `json:"_primary_term"`
	Source      json.RawMessage `json:"_source"`
	Sort        []any           `json:"sort"`
}

// pageSize is the largest page a search asks for (index.max_result_window
// is 10,000 by default).
const pageSize = 5000

// search runs one query against target and returns its hits. A target that
// does not exist yet (no data written) gives no hits, not an error.
func (c *Client) search(ctx context.Context, target string, body obj) ([]hit, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	path := "/" + url.PathEscape(target) + "/_search?ignore_unavailable=true&allow_no_indices=true"
	status, resp, err := c.do(ctx, "POST", path, b)
	if err != nil {
		return nil, err
	}
	if status != 200 {
		return nil, statusError("POST", path, status, resp)
	}
	var r struct {
		Hits struct {
			Hits []hit `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return nil, fmt.Errorf("decode search response from %s: %w", target, err)
	}
	return r.Hits.Hits, nil
}

// searchAll pages through every hit of a sorted query with search_after
// and calls fn for each.
func (c *Client) searchAll(ctx context.Context, target string, body obj, fn func(hit) error) error {
	body["size"] = pageSize
	for {
		hits, err := c.search(ctx, target, body)
		if err != nil {
			return err
		}
		for _, h := range hits {
			if err := fn(h); err != nil {
				return err
			}
		}
		if len(hits) < pageSize {
			return nil
		}
		body["search_after"] = hits[len(hits)-1].Sort
	}
}

// errorOf extracts the type and reason of an error response:
// {"error":{"type":..,"reason":..}} or {"error":"..."}.
func errorOf(body []byte) (typ, reason string) {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil || len(v.Error) == 0 {
		if len(body) > 200 {
			body = body[:200]
		}
		return "", string(body)
	}
	var e struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal(v.Error, &e) == nil {
		return e.Type, e.Reason
	}
	var s string
	_ = json.Unmarshal(v.Error, &s)
	return "", s
}

package fakees

import (
	"fmt"
	"sort"
	"strings"
)

// esError is one Elasticsearch exception as it appears in a response body:
// type, reason, metadata such as index or resource.id, and a cause.
type esError struct {
	Type     string
	Reason   string
	Meta     map[string]any
	CausedBy *esError
	// RootCause replaces the default root_cause (the error itself), as
	// search_phase_execution_exception does with its shard failures.
	RootCause []*esError
}

func newErr(typ, format string, args ...any) *esError {
	if len(args) > 0 {
		format = fmt.Sprintf(format, args...)
	}
	return &esError{Type: typ, Reason: format}
}

// with adds one metadata field and returns e for chaining.
func (e *esError) with(k string, v any) *esError {
	if e.Meta == nil {
		e.Meta = map[string]any{}
	}
	e.Meta[k] = v
	return e
}

// cause sets the caused_by exception.
func (e *esError) cause(c *esError) *esError {
	e.CausedBy = c
	return e
}

// object is the exception as a JSON object.
func (e *esError) object(withCause bool) map[string]any {
	m := make(map[string]any, len(e.Meta)+3)
	for k, v := range e.Meta {
		m[k] = v
	}
	m["type"] = e.Type
	m["reason"] = e.Reason
	if withCause && e.CausedBy != nil {
		m["caused_by"] = e.CausedBy.object(true)
	}
	return m
}

// envelope is the whole-request error body ES sends:
// {"error":{"root_cause":[..],"type":..,"reason":..},"status":N}.
func (e *esError) envelope(status int) map[string]any {
	roots := e.RootCause
	if roots == nil {
		roots = []*esError{e}
	}
	rc := make([]any, len(roots))
	for i, r := range roots {
		rc[i] = r.object(false)
	}
	obj := e.object(true)
	obj["root_cause"] = rc
	return map[string]any{"error": obj, "status": status}
}

// Error lets an esError travel through Go error returns inside the package.
func (e *esError) Error() string { return e.Type + ": " + e.Reason }

// indexNotFound is ES's 404 for a missing concrete index or data stream.
func indexNotFound(name string) *esError {
	return newErr("index_not_found_exception", "no such index [%s]", name).
		with("resource.type", "index_or_alias").with("resource.id", name).
		with("index_uuid", "_na_").with("index", name)
}

// onIndex adds the shard-level metadata ES attaches to per-document
// failures that happen on a shard (version conflicts, missing documents).
func (e *esError) onIndex(ix *index) *esError {
	return e.with("index_uuid", ix.uuid).with("shard", "0").with("index", ix.name)
}

func invalidIndexName(name, why string) *esError {
	return newErr("invalid_index_name_exception", "Invalid index name [%s], %s", name, why).
		with("index_uuid", "_na_").with("index", name)
}

// validation is ES's action_request_validation_exception, which lists every
// problem as "Validation Failed: 1: a;2: b;".
func validation(problems ...string) *esError {
	var b strings.Builder
	b.WriteString("Validation Failed: ")
	for i, p := range problems {
		fmt.Fprintf(&b, "%d: %s;", i+1, p)
	}
	return newErr("action_request_validation_exception", "%s", b.String())
}

// shardFailure wraps a query-time error the way a search reports it: 400
// search_phase_execution_exception "all shards failed" with the shard's
// exception as root cause.
func shardFailure(inner *esError) *esError {
	return &esError{
		Type: "search_phase_execution_exception", Reason: "all shards failed",
		Meta:      map[string]any{"phase": "query", "grouped": true, "failed_shards": []any{map[string]any{"shard": 0, "index": nil, "reason": inner.object(true)}}},
		CausedBy:  inner,
		RootCause: []*esError{inner},
	}
}

// javaString renders a decoded JSON value the way ES previews a field value
// in mapping errors (Java's toString of the parsed value).
func javaString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + javaString(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = javaString(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		return fmt.Sprint(x)
	}
}

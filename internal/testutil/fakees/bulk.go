package fakees

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// bulkMeta is the metadata of one bulk action line that matters here;
// routing, pipelines and the other known keys are accepted and ignored, as
// they change nothing on a single-shard cluster without ingest pipelines.
type bulkMeta struct {
	Index         *string
	ID            *string
	IfSeqNo       *int64
	IfPrimaryTerm *int64
	Version       *int64
	VersionType   *string
	OpType        *string
}

// parseBulk splits an NDJSON bulk body into write operations. Errors that
// ES reports for the whole request (framing, action lines, validation) are
// returned as such; a bad document source fails only its own item.
func (s *Server) parseBulk(body []byte, defIndex string) ([]*writeOp, *esError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, newErr("parse_exception", "request body is required")
	}
	if body[len(body)-1] != '\n' {
		return nil, newErr("illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
	}
	var ops []*writeOp
	var problems []string
	line := 0
	next := func() []byte {
		i := bytes.IndexByte(body, '\n')
		l := body[:i]
		body = body[i+1:]
		line++
		return l
	}
	for len(body) > 0 {
		al := next()
		if len(bytes.TrimSpace(al)) == 0 {
			continue
		}
		action, meta, e := parseAction(al, line)
		if e != nil {
			return nil, e
		}
		op := &writeOp{action: action, index: defIndex}
		if meta.Index != nil {
			op.index = *meta.Index
		}
		if meta.ID != nil {
			op.id = *meta.ID
		}
		if meta.OpType != nil && action == "index" && *meta.OpType == "create" {
			op.action = "create"
		}
		if meta.IfSeqNo != nil || meta.IfPrimaryTerm != nil {
			op.hasCAS, op.ifSeqNo = true, -1
			if meta.IfSeqNo != nil {
				op.ifSeqNo = *meta.IfSeqNo
			}
			if meta.IfPrimaryTerm != nil {
				op.ifTerm = *meta.IfPrimaryTerm
			}
		}
		problems = append(problems, validateOp(op, meta)...)
		if action != "delete" {
			if len(body) == 0 {
				problems = append(problems, "source is missing", "content type is missing")
				ops = append(ops, op)
				break
			}
			src := next()
			if action == "update" {
				// ES parses update bodies while parsing the request, so a
				// bad one fails the whole bulk.
				var e *esError
				if op.upd, e = s.parseUpdate(src); e != nil {
					if e.Type != "action_request_validation_exception" {
						return nil, e
					}
					problems = append(problems, "script or doc is missing")
				}
			} else {
				op.raw = src
				var err error
				if op.src, err = parseSource(src); err != nil {
					op.parseErr = s.sourceError(src, err)
				}
			}
		}
		if op.id == "" && (op.action == "create" || op.action == "index") {
			op.id, op.autoID = newID(), true
		}
		ops = append(ops, op)
	}
	if len(problems) > 0 {
		return nil, validation(problems...)
	}
	return ops, nil
}

// parseAction decodes an action line such as
// {"create":{"_index":"x","_id":"1"}} with the exact errors ES gives.
func parseAction(l []byte, line int) (string, *bulkMeta, *esError) {
	outer, err := parseSource(l)
	if err != nil {
		return "", nil, newErr("x_content_parse_exception", "[%d:1] Malformed action/metadata line [%d], expected START_OBJECT but found [%v]", line, line, err)
	}
	if len(outer) != 1 {
		return "", nil, newErr("illegal_argument_exception", "Malformed action/metadata line [%d], expected a simple value for field [%d] but found [START_OBJECT]", line, len(outer))
	}
	for action, raw := range outer {
		switch action {
		case "create", "index", "update", "delete":
		default:
			return "", nil, newErr("illegal_argument_exception", "Malformed action/metadata line [%d], expected field [create], [delete], [index] or [update] but found [%s]", line, action)
		}
		keys, ok := raw.(map[string]any)
		if !ok {
			return "", nil, newErr("x_content_parse_exception", "[%d:1] Malformed action/metadata line [%d], expected START_OBJECT", line, line)
		}
		m := &bulkMeta{}
		for k, v := range keys {
			if !knownMetaKeys[k] {
				return "", nil, newErr("illegal_argument_exception", "Action/metadata line [%d] contains an unknown parameter [%s]", line, k)
			}
			bad := false
			str := func() *string {
				s, ok := v.(string)
				if n, isNum := v.(json.Number); isNum && k == "_id" {
					s, ok = n.String(), true
				}
				bad = bad || !ok
				return &s
			}
			integer := func() *int64 {
				n, ok := v.(json.Number)
				i, err := n.Int64()
				bad = bad || !ok || err != nil
				return &i
			}
			switch k {
			case "_index":
				m.Index = str()
			case "_id":
				m.ID = str()
			case "if_seq_no":
				m.IfSeqNo = integer()
			case "if_primary_term":
				m.IfPrimaryTerm = integer()
			case "version":
				m.Version = integer()
			case "version_type":
				m.VersionType = str()
			case "op_type":
				m.OpType = str()
			}
			if bad {
				return "", nil, newErr("x_content_parse_exception", "[%d:1] Malformed action/metadata line [%d], unexpected value for [%s]", line, line, k)
			}
		}
		return action, m, nil
	}
	return "", nil, nil
}

var knownMetaKeys = map[string]bool{"_index": true, "_id": true, "if_seq_no": true, "if_primary_term": true,
	"version": true, "version_type": true, "op_type": true, "routing": true, "require_alias": true,
	"require_data_stream": true, "pipeline": true, "retry_on_conflict": true, "_source": true,
	"dynamic_templates": true, "list_executed_pipelines": true}

// validateOp is the per-request validation ES does before executing any
// item (BulkRequest.validate); any problem fails the whole request.
func validateOp(op *writeOp, meta *bulkMeta) []string {
	var p []string
	if op.index == "" {
		p = append(p, "index is missing")
	}
	if op.hasCAS {
		if op.ifSeqNo < 0 {
			p = append(p, fmt.Sprintf("ifSeqNo is unassigned, but primary term is [%d]", op.ifTerm))
		} else if op.ifTerm <= 0 {
			p = append(p, fmt.Sprintf("ifSeqNo is set, but primary term is [%d]", op.ifTerm))
		}
		if op.action == "create" {
			p = append(p, "create operations do not support compare and set. use index instead")
		}
	}
	if meta != nil && meta.Version != nil {
		if meta.VersionType == nil || *meta.VersionType == "internal" {
			p = append(p, "internal versioning can not be used for optimistic concurrency control. Please use `if_seq_no` and `if_primary_term` instead")
		} else {
			p = append(p, "fakees: external versioning is not supported")
		}
	}
	if op.action == "update" && op.id == "" {
		p = append(p, "id is missing")
	}
	if op.action == "delete" && op.id == "" {
		p = append(p, "id is missing")
	}
	return p
}

// sourceError is the per-item failure for a source that is not a JSON object.
func (s *Server) sourceError(src []byte, err error) *esError {
	cause := newErr("x_content_parse_exception", "[1:1] %v", err)
	if s.opts.Flavor == OpenSearch {
		return newErr("mapper_parsing_exception", "failed to parse").cause(cause)
	}
	return newErr("document_parsing_exception", "[1:1] failed to parse: %v", err).cause(cause)
}

func (s *Server) parseUpdate(src []byte) (*updateReq, *esError) {
	var body map[string]any
	if err := decodeJSON(src, &body); err != nil || body == nil {
		return nil, newErr("x_content_parse_exception", "[1:1] [UpdateRequest] failed to parse object: %v", err)
	}
	if e := checkKeys(body, "UpdateRequest", "doc", "upsert", "doc_as_upsert", "detect_noop", "script", "scripted_upsert", "_source", "lang", "params"); e != nil {
		return nil, e
	}
	if body["script"] != nil {
		return nil, newErr("illegal_argument_exception", "fakees does not run update scripts")
	}
	u := &updateReq{detectNoop: true}
	u.doc, _ = asMap(body["doc"])
	u.upsert, _ = asMap(body["upsert"])
	u.docAsUpsert, _ = asBool(body["doc_as_upsert"])
	if b, ok := asBool(body["detect_noop"]); ok {
		u.detectNoop = b
	}
	if u.doc == nil {
		return nil, validation("script or doc is missing")
	}
	return u, nil
}

type shardsInfo struct {
	Total      int `json:"total"`
	Successful int `json:"successful"`
	Failed     int `json:"failed"`
}

var (
	shardsWritten = &shardsInfo{Total: 2, Successful: 1}
	shardsNoop    = &shardsInfo{}
)

// itemFailed is a failed bulk response item.
type itemFailed struct {
	Index  string         `json:"_index"`
	ID     string         `json:"_id,omitempty"`
	Status int            `json:"status"`
	Error  map[string]any `json:"error"`
}

var rejected = newErr("es_rejected_execution_exception", "rejected execution of coordinating operation [coordinating_and_primary_bytes=107374182, replica_bytes=0, all_bytes=107374182, coordinating_operation_bytes=1024, max_coordinating_and_primary_bytes=107374182]")

// handleBulk serves POST|PUT /_bulk and /{target}/_bulk. Sources are
// decoded before taking the lock so concurrent bulks parse in parallel.
func (s *Server) handleBulk(rc *reqCtx) {
	start := time.Now()
	def := ""
	if len(rc.segs) == 2 {
		def = rc.segs[0]
	}
	ops, e := s.parseBulk(rc.body, def)
	if e != nil {
		rc.fail(400, e)
		return
	}
	refresh := rc.q.Get("refresh") == "true" || (rc.q.Has("refresh") && rc.q.Get("refresh") == "")
	nReject := s.faults.takeRejections(len(ops))
	items := make([]byte, 0, len(ops)*200)
	errs := false
	s.mu.Lock()
	now := s.opts.Now()
	for i, op := range ops {
		var r opResult
		if i < nReject {
			r = opResult{index: op.index, id: op.id, status: 429, err: rejected}
		} else {
			r = s.c.apply(op, now)
		}
		if r.err != nil {
			errs = true
		}
		if i > 0 {
			items = append(items, ',')
		}
		items = r.appendItem(items, op.action, refresh)
	}
	s.mu.Unlock()
	out := fmt.Appendf(make([]byte, 0, len(items)+64), `{"took":%d,"errors":%t,"items":[`, time.Since(start).Milliseconds(), errs)
	out = append(append(out, items...), "]}"...)
	rc.writeJSON(200, out)
}

// appendItem renders one bulk response item; successes are written by hand
// because encoding/json was a tenth of the cost of a bulk request.
func (r *opResult) appendItem(b []byte, action string, refresh bool) []byte {
	b = append(b, `{"`...)
	b = append(b, action...)
	b = append(b, `":`...)
	if r.err != nil {
		data, _ := marshalSource(itemFailed{Index: r.index, ID: r.id, Status: r.status, Error: r.err.object(true)})
		return append(append(b, data...), '}')
	}
	b = append(b, `{"_index":`...)
	b = appendJSONString(b, r.index)
	b = append(b, `,"_id":`...)
	b = appendJSONString(b, r.id)
	b = append(b, `,"_version":`...)
	b = strconv.AppendInt(b, r.version, 10)
	b = append(b, `,"result":"`...)
	b = append(b, r.result...)
	b = append(b, '"')
	if refresh && r.result != "noop" {
		b = append(b, `,"forced_refresh":true`...)
	}
	if r.result == "noop" {
		b = append(b, `,"_shards":{"total":0,"successful":0,"failed":0}`...)
	} else {
		b = append(b, `,"_shards":{"total":2,"successful":1,"failed":0}`...)
	}
	b = append(b, `,"_seq_no":`...)
	b = strconv.AppendInt(b, r.seqNo, 10)
	b = append(b, `,"_primary_term":1,"status":`...)
	b = strconv.AppendInt(b, int64(r.status), 10)
	return append(b, "}}"...)
}

// appendJSONString appends s as a JSON string; s is valid UTF-8 because it
// came out of a JSON document or a URL.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func parseInt64(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

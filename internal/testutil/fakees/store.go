package fakees

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"time"
)

// cluster is all state of the fake; Server.mu guards it.
type cluster struct {
	s                  *Server
	componentTemplates map[string]*componentTemplate
	indexTemplates     map[string]*indexTemplate
	ilm                map[string]*ilmPolicy
	ism                map[string]*ismPolicy
	ismSeq             int64
	indices            map[string]*index
	dataStreams        map[string]*dataStream
	ord                int64 // insertion counter across indices, for Docs
}

// index is one concrete index with a single primary shard.
type index struct {
	c        *cluster
	name     string
	uuid     string
	ds       *dataStream
	created  time.Time
	settings map[string]any // flat "index.*" keys, string values
	mapping  *mapping
	docs     map[string]*docEntry // live documents and delete tombstones
	order    []*docEntry          // live documents in insertion order; nil = deleted
	dead     int
	seqNo    int64 // last assigned sequence number
	tsds     *tsdsConfig
	limit    int
}

// docEntry is one document version; entries are never changed once
// stored, so searches can read them without the lock.
type docEntry struct {
	id          string
	version     int64
	seqNo       int64
	primaryTerm int64
	raw         []byte
	deleted     bool
	pos         int
	ord         int64
}

func (e *docEntry) live() bool { return e != nil && !e.deleted }

// writeOp is one document write from _bulk or a single-document API.
type writeOp struct {
	action   string // create, index, update, delete
	index    string
	id       string
	autoID   bool
	hasCAS   bool
	ifSeqNo  int64
	ifTerm   int64
	raw      []byte
	src      map[string]any
	parseErr *esError
	upd      *updateReq
}

type updateReq struct {
	doc         map[string]any
	upsert      map[string]any
	docAsUpsert bool
	detectNoop  bool
}

// opResult is the outcome of one write, rendered as a bulk item or a
// single-document response.
type opResult struct {
	index       string
	id          string
	version     int64
	seqNo       int64
	primaryTerm int64
	result      string
	status      int
	err         *esError
}

func newIndex(c *cluster, name string, flat map[string]any, m *mapping, now time.Time) *index {
	ix := &index{c: c, name: name, uuid: newUUID(), created: now, mapping: m,
		docs: map[string]*docEntry{}, seqNo: -1}
	settings := map[string]any{
		"index.number_of_shards": "1", "index.number_of_replicas": "1",
		"index.creation_date": strconv.FormatInt(now.UnixMilli(), 10),
		"index.provided_name": name, "index.uuid": ix.uuid, "index.version.created": "8512000",
	}
	ix.settings = mergeFlat(settings, flat)
	ix.settings["index.uuid"] = ix.uuid
	ix.limit = totalFieldsLimit(ix.settings)
	return ix
}

// apply performs one write against whatever the target name resolves to,
// auto-creating data streams and indices like action.auto_create_index.
func (c *cluster) apply(op *writeOp, now time.Time) opResult {
	name := op.index
	fail := func(status int, e *esError) opResult { return opResult{index: name, id: op.id, status: status, err: e} }
	if ds := c.dataStreams[name]; ds != nil {
		return c.applyDS(ds, op, now)
	}
	ix := c.indices[name]
	if ix == nil {
		if e := validateIndexName(name); e != nil {
			return fail(400, e)
		}
		if op.action == "delete" {
			return fail(404, indexNotFound(name))
		}
		if t := c.matchTemplate(name); t != nil && t.dataStream != nil {
			ds, e := c.createDataStream(name, now)
			if e != nil {
				return fail(400, e)
			}
			return c.applyDS(ds, op, now)
		}
		var e *esError
		if ix, e = c.createIndex(name, nil, nil, now); e != nil {
			return fail(400, e)
		}
	}
	if ix.ds != nil {
		switch {
		case op.action == "create":
			return fail(400, newErr("illegal_argument_exception", "index request with op_type=create targeting backing indices is disallowed, target corresponding data stream [%s] instead", ix.ds.name))
		case op.action == "index" && !op.hasCAS:
			return fail(400, newErr("illegal_argument_exception", "index request with op_type=index and no if_primary_term and if_seq_no set targeting backing indices is disallowed, target corresponding data stream [%s] instead", ix.ds.name))
		}
	}
	if op.parseErr != nil {
		return fail(400, op.parseErr)
	}
	return ix.write(op, now)
}

func (c *cluster) applyDS(ds *dataStream, op *writeOp, now time.Time) opResult {
	fail := func(status int, e *esError) opResult {
		return opResult{index: ds.name, id: op.id, status: status, err: e}
	}
	if op.action != "create" {
		return fail(400, newErr("illegal_argument_exception", "only write ops with an op_type of create are allowed in data streams"))
	}
	if op.parseErr != nil {
		return fail(400, op.parseErr)
	}
	ix := ds.writeIndex()
	v := op.src[ds.tsField]
	if arr, ok := v.([]any); ok && len(arr) > 1 {
		return fail(400, c.docParsing(op.raw, ds.tsField, "data stream timestamp field ["+ds.tsField+"] encountered multiple values"))
	} else if ok && len(arr) == 1 {
		v = arr[0]
	}
	if v == nil {
		return fail(400, c.docParsing(op.raw, "", "data stream timestamp field ["+ds.tsField+"] is missing"))
	}
	if ix.tsds != nil {
		format := ""
		if f := ix.mapping.fields[ds.tsField]; f != nil {
			format = f.format
		}
		if ms, ok := parseDate(v, format); ok {
			start, end := ix.tsds.window(now)
			if ms < start.UnixMilli() || ms >= end.UnixMilli() {
				return fail(400, newErr("illegal_argument_exception", "the document timestamp [%s] is outside of ranges of currently writable indices [[%s,%s]]",
					isoMillis(time.UnixMilli(ms)), isoMillis(start), isoMillis(end)))
			}
		}
	}
	return ix.write(op, now)
}

// docParsing is a document-level parse failure with ES 8's position prefix
// and the IllegalArgumentException it wraps.
func (c *cluster) docParsing(raw []byte, path, msg string) *esError {
	if c.s.opts.Flavor == OpenSearch {
		return newErr("mapper_parsing_exception", "failed to parse: %s", msg).cause(newErr("illegal_argument_exception", "%s", msg))
	}
	l, col := lineCol(raw, len(bytes.TrimRight(raw, " \r\n\t")))
	if path != "" {
		l, col = locate(raw, path)
	}
	return newErr("document_parsing_exception", "[%d:%d] failed to parse: %s", l, col, msg).cause(newErr("illegal_argument_exception", "%s", msg))
}

func conflictExists(ix *index, id string, cur *docEntry) *esError {
	return newErr("version_conflict_engine_exception", "[%s]: version conflict, document already exists (current version [%d])", id, cur.version).onIndex(ix)
}

func conflictCAS(ix *index, op *writeOp, cur *docEntry) *esError {
	if !cur.live() {
		return newErr("version_conflict_engine_exception", "[%s]: version conflict, required seqNo [%d], primary term [%d]. but no document was found", op.id, op.ifSeqNo, op.ifTerm).onIndex(ix)
	}
	return newErr("version_conflict_engine_exception", "[%s]: version conflict, required seqNo [%d], primary term [%d]. current document has seqNo [%d] and primary term [%d]",
		op.id, op.ifSeqNo, op.ifTerm, cur.seqNo, cur.primaryTerm).onIndex(ix)
}

// check validates a source against the index mapping.
func (ix *index) check(src map[string]any, raw []byte, id string) (*docCheck, *esError) {
	chk := ix.walk(src, id)
	return chk, chk.docError(raw, ix.c.s.opts.Flavor == OpenSearch)
}

func (ix *index) walk(src map[string]any, id string) *docCheck {
	chk := &docCheck{m: ix.mapping, id: id, limit: ix.limit, collectDims: ix.tsds != nil}
	chk.walk(src, "", ix.mapping.dynamic)
	return chk
}

func (ix *index) write(op *writeOp, now time.Time) opResult {
	res := opResult{index: ix.name, id: op.id, primaryTerm: 1}
	failed := func(status int, e *esError) opResult {
		res.status, res.err = status, e
		return res
	}
	cur := ix.docs[op.id]
	switch op.action {
	case "create", "index":
		chk := ix.walk(op.src, op.id)
		if ix.tsds != nil {
			// ES routes a TSDS document (dimensions, _id) on the coordinating
			// node, before the shard parses it against the mapping.
			id, e := ix.tsdsID(op, chk.dims)
			if e != nil {
				return failed(400, e)
			}
			op.id, res.id, chk.id, cur = id, id, id, ix.docs[id]
		}
		if e := chk.docError(op.raw, ix.c.s.opts.Flavor == OpenSearch); e != nil {
			return failed(400, e)
		}
		if op.hasCAS && (!cur.live() || cur.seqNo != op.ifSeqNo || cur.primaryTerm != op.ifTerm) {
			return failed(409, conflictCAS(ix, op, cur))
		}
		if op.action == "create" && cur.live() {
			return failed(409, conflictExists(ix, op.id, cur))
		}
		ix.mapping = ix.mapping.with(chk.added)
		e2 := ix.store(op.id, op.raw, cur)
		res.result, res.status = "created", 201
		if cur.live() {
			res.result, res.status = "updated", 200
		}
		res.version, res.seqNo = e2.version, e2.seqNo
	case "delete":
		if op.hasCAS && (!cur.live() || cur.seqNo != op.ifSeqNo || cur.primaryTerm != op.ifTerm) {
			return failed(409, conflictCAS(ix, op, cur))
		}
		ix.seqNo++
		tomb := &docEntry{id: op.id, version: 1, seqNo: ix.seqNo, primaryTerm: 1, deleted: true}
		res.result, res.status = "not_found", 404
		if cur != nil {
			tomb.version = cur.version + 1
		}
		if cur.live() {
			res.result, res.status = "deleted", 200
			ix.order[cur.pos] = nil
			ix.dead++
			ix.compact()
		}
		ix.docs[op.id] = tomb
		res.version, res.seqNo = tomb.version, tomb.seqNo
	case "update":
		return ix.update(op, cur, res)
	}
	return res
}

func (ix *index) update(op *writeOp, cur *docEntry, res opResult) opResult {
	u := op.upd
	var src map[string]any
	if !cur.live() {
		switch {
		case u.docAsUpsert && u.doc != nil:
			src = u.doc
		case u.upsert != nil:
			src = u.upsert
		default:
			res.status, res.err = 404, newErr("document_missing_exception", "[%s]: document missing", op.id).onIndex(ix)
			return res
		}
	} else {
		if op.hasCAS && (cur.seqNo != op.ifSeqNo || cur.primaryTerm != op.ifTerm) {
			res.status, res.err = 409, conflictCAS(ix, op, cur)
			return res
		}
		var err error
		if src, err = parseSource(cur.raw); err != nil {
			src = map[string]any{}
		}
		if !mergeDoc(src, u.doc) && u.detectNoop {
			res.version, res.seqNo, res.result, res.status = cur.version, cur.seqNo, "noop", 200
			return res
		}
	}
	raw, _ := marshalSource(src)
	chk, e := ix.check(src, raw, op.id)
	if e != nil {
		res.status, res.err = 400, e
		return res
	}
	ix.mapping = ix.mapping.with(chk.added)
	e2 := ix.store(op.id, raw, cur)
	res.result, res.status = "created", 201
	if cur.live() {
		res.result, res.status = "updated", 200
	}
	res.version, res.seqNo = e2.version, e2.seqNo
	return res
}

// store records a new version of a document; an update keeps the old
// version's place in insertion order.
func (ix *index) store(id string, raw []byte, cur *docEntry) *docEntry {
	ix.seqNo++
	e := &docEntry{id: id, version: 1, seqNo: ix.seqNo, primaryTerm: 1, raw: raw}
	if cur != nil {
		e.version = cur.version + 1
	}
	if cur.live() {
		e.pos, e.ord = cur.pos, cur.ord
		ix.order[e.pos] = e
	} else {
		ix.c.ord++
		e.pos, e.ord = len(ix.order), ix.c.ord
		ix.order = append(ix.order, e)
	}
	ix.docs[id] = e
	return e
}

// compact drops deleted slots once they are the majority, so long runs of
// writes and deletes do not grow the order slice without bound.
func (ix *index) compact() {
	if ix.dead < 1024 || ix.dead*2 < len(ix.order) {
		return
	}
	live := ix.order[:0]
	for _, e := range ix.order {
		if e != nil {
			e.pos = len(live)
			live = append(live, e)
		}
	}
	clear(ix.order[len(live):])
	ix.order, ix.dead = live, 0
}

// mergeDoc merges a partial document into dst like an update's "doc":
// objects recursively, everything else replaced. It reports a change.
func mergeDoc(dst, src map[string]any) bool {
	changed := false
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				if mergeDoc(dm, sm) {
					changed = true
				}
				continue
			}
		}
		if old, ok := dst[k]; !ok || !reflect.DeepEqual(old, v) {
			dst[k] = v
			changed = true
		}
	}
	return changed
}

func marshalSource(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

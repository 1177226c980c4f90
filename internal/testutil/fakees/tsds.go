package fakees

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"sort"
	"time"
)

// tsdsConfig is the time series mode of a TSDS backing index.
type tsdsConfig struct {
	lookBack, lookAhead time.Duration
}

// tsdsFromSettings reads index.mode, index.look_back_time (default 2h) and
// index.look_ahead_time (default 30m); nil unless index.mode is time_series.
func tsdsFromSettings(flat map[string]any) *tsdsConfig {
	if flat["index.mode"] != "time_series" {
		return nil
	}
	t := &tsdsConfig{lookBack: 2 * time.Hour, lookAhead: 30 * time.Minute}
	if s, ok := flat["index.look_back_time"].(string); ok {
		if d, ok := parseTimeValue(s); ok {
			t.lookBack = d
		}
	}
	if s, ok := flat["index.look_ahead_time"].(string); ok {
		if d, ok := parseTimeValue(s); ok {
			t.lookAhead = d
		}
	}
	return t
}

// window is the range of @timestamp the stream accepts now. Real ES fixes
// each backing index's start at creation and moves the write index's end
// forward as time passes; the fake uses the simpler rolling window
// [now-look_back_time, now+look_ahead_time), which is what a cluster that
// rolls over regularly accepts for new data.
func (t *tsdsConfig) window(now time.Time) (time.Time, time.Time) {
	now = now.UTC().Truncate(time.Millisecond)
	return now.Add(-t.lookBack), now.Add(t.lookAhead)
}

// tsdsID derives the document _id from the dimension values and the
// timestamp, so one point of one series has exactly one id (a duplicate is
// a 409), and refuses a client _id that differs from it.
func (ix *index) tsdsID(op *writeOp, dims []dimValue) (string, *esError) {
	if len(dims) == 0 {
		return "", ix.c.docParsing(op.raw, "", "Error extracting routing: source didn't contain any routing fields")
	}
	sort.Slice(dims, func(i, j int) bool { return dims[i].path < dims[j].path })
	h := sha256.New()
	for i, d := range dims {
		if i > 0 && dims[i-1].path == d.path {
			return "", ix.c.docParsing(op.raw, d.path, "Dimension field ["+d.path+"] cannot be a multi-valued field.")
		}
		h.Write([]byte(d.path))
		h.Write([]byte{0})
		h.Write([]byte(d.value))
		h.Write([]byte{0})
	}
	var ms int64
	if f := ix.mapping.fields[ix.ds.tsField]; f != nil {
		ms, _ = parseDate(op.src[ix.ds.tsField], f.format)
	}
	var b [20]byte
	copy(b[:12], h.Sum(nil))
	binary.BigEndian.PutUint64(b[12:], uint64(ms))
	id := base64.RawURLEncoding.EncodeToString(b[:])
	if op.id != "" && !op.autoID && op.id != id {
		return "", newErr("illegal_argument_exception", "_id must be unset or set to [%s] but was [%s] because [%s] is in time_series mode", id, op.id, ix.name)
	}
	return id, nil
}

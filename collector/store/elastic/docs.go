package elastic

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilmon/vigil/internal/model"
)

// Names are the data streams and indices of one namespace.
type Names struct {
	Metrics, Checks, Logs, Alerts, DeadLetter string
	// Hosts and State are plain indices: hosts are updated in place, alert
	// state is written with compare-and-set, neither of which a data stream
	// allows.
	Hosts, State string
}

// NamesFor returns the names for a data stream namespace.
func NamesFor(namespace string) Names {
	return Names{
		Metrics:    "metrics-vigil.host-" + namespace,
		Checks:     "logs-vigil.check-" + namespace,
		Logs:       "logs-vigil.log-" + namespace,
		Alerts:     "logs-vigil.alert-" + namespace,
		DeadLetter: "logs-vigil.deadletter-" + namespace,
		Hosts:      "vigil-hosts-" + namespace,
		State:      "vigil-alert-state-" + namespace,
	}
}

// encoder turns batches into documents. It appends JSON by hand: the write
// path encodes every sample, and reflection-based encoding of a map per
// event costs several times more (BenchmarkEncodeBatch).
type encoder struct {
	names Names
	// tsds: the metrics stream is a time series data stream, whose _id the
	// cluster derives from the dimensions and @timestamp; setting one is an
	// error there.
	tsds      bool
	collector string
}

// metricDocs appends one create item per event of b.
func (e *encoder) metricDocs(items []*item, b *model.Batch, received time.Time) []*item {
	ingested := appendTime(nil, received)
	for i := range b.Events {
		ev := &b.Events[i]
		buf := make([]byte, 0, 160+48*len(ev.Values)+48*len(ev.Dims))
		buf = append(buf, `{"@timestamp":`...)
		buf = appendTime(buf, time.UnixMilli(ev.Timestamp))
		buf = appendField(buf, "event.dataset", ev.Dataset)
		module, set, _ := strings.Cut(ev.Dataset, ".")
		buf = appendField(buf, "event.module", module)
		buf = append(buf, `,"event.ingested":`...)
		buf = append(buf, ingested...)
		if set != "" {
			buf = appendField(buf, "metricset.name", set)
		}
		buf = appendField(buf, "host.name", b.Host.Name)
		buf = appendField(buf, "agent.id", b.AgentID)
		buf = appendField(buf, "agent.type", "vigil-agent")
		if b.Agent.Version != "" {
			buf = appendField(buf, "agent.version", b.Agent.Version)
		}
		buf = appendCloud(buf, b.Host.Cloud)
		buf = appendField(buf, "vigil.collector", e.collector)
		for _, k := range sortedKeys(ev.Dims) {
			buf = appendField(buf, k, ev.Dims[k])
		}
		for _, k := range sortedKeys(ev.Values) {
			v := ev.Values[k]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue // JSON has no NaN; the ingest validator refuses them anyway
			}
			buf = append(buf, ',')
			buf = appendString(buf, k)
			buf = append(buf, ':')
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
		}
		buf = append(buf, '}')
		it := &item{index: e.names.Metrics, action: "create", body: buf}
		if !e.tsds {
			it.id = docID(b.AgentID, b.Seq, i)
		}
		items = append(items, it)
	}
	return items
}

func appendCloud(buf []byte, c *model.Cloud) []byte {
	if c == nil {
		return buf
	}
	for _, f := range [...]struct{ k, v string }{
		{"cloud.provider", c.Provider}, {"cloud.region", c.Region}, {"cloud.availability_zone", c.AvailabilityZone},
		{"cloud.instance.id", c.InstanceID}, {"cloud.machine.type", c.InstanceType}, {"cloud.account.id", c.AccountID},
	} {
		if f.v != "" {
			buf = appendField(buf, f.k, f.v)
		}
	}
	return buf
}

// docID is the deterministic document ID of event index of batch seq of
// agent: a resent batch produces the same IDs, so `create` answers 409 and
// nothing is stored twice.
func docID(agentID string, seq uint64, index int) string {
	h := sha256.New()
	h.Write([]byte(agentID))
	var n [16]byte
	binary.BigEndian.PutUint64(n[:8], seq)
	binary.BigEndian.PutUint64(n[8:], uint64(index))
	h.Write(n[:])
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}

// contentID is a deterministic ID from arbitrary parts.
func contentID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}

// hostUpdate is the upsert of one host's registry document: first_seen only
// on insert, everything else overwritten.
func (e *encoder) hostUpdate(b *model.Batch, received time.Time) *item {
	doc := hostDoc{Name: b.Host.Name, AgentID: b.AgentID, AgentVersion: b.Agent.Version, LastSeen: received.UTC(),
		IntervalMS: b.Agent.IntervalMS, Identity: b.Host, Collector: e.collector}
	up := doc
	up.FirstSeen = received.UTC()
	body, _ := json.Marshal(map[string]any{"doc": doc, "upsert": up})
	return &item{index: e.names.Hosts, action: "update", id: hostID(b.Host.Name), body: body}
}

// hostID keeps host names, which may hold any character, out of URL paths.
func hostID(name string) string { return base64.RawURLEncoding.EncodeToString([]byte(name)) }

// hostDoc is a document of the hosts index.
type hostDoc struct {
	Name         string     `json:"host.name"`
	AgentID      string     `json:"agent.id"`
	AgentVersion string     `json:"agent.version,omitempty"`
	FirstSeen    time.Time  `json:"first_seen,omitzero"`
	LastSeen     time.Time  `json:"last_seen"`
	IntervalMS   int64      `json:"interval_ms"`
	Identity     model.Host `json:"identity"`
	Collector    string     `json:"vigil.collector"`
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func appendField(buf []byte, k, v string) []byte {
	buf = append(buf, ',')
	buf = appendString(buf, k)
	buf = append(buf, ':')
	return appendString(buf, v)
}

// appendTime writes t as a quoted RFC 3339 UTC timestamp with milliseconds,
// the resolution of a date field.
func appendTime(buf []byte, t time.Time) []byte {
	buf = append(buf, '"')
	buf = t.UTC().AppendFormat(buf, "2006-01-02T15:04:05.000Z07:00")
	return append(buf, '"')
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does, so a bad byte from an agent cannot break a bulk body.
func appendString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\t':
				buf = append(buf, '\\', 't')
			case '\r':
				buf = append(buf, '\\', 'r')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

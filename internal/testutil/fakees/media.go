package fakees

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// reqCtx is one request on its way through the handlers.
type reqCtx struct {
	s    *Server
	w    http.ResponseWriter
	r    *http.Request
	body []byte // decompressed
	q    url.Values
	segs []string
	// respType is the Content-Type of JSON responses, chosen from Accept.
	respType string
}

func (s *Server) newReqCtx(w http.ResponseWriter, r *http.Request, body []byte) *reqCtx {
	rc := &reqCtx{s: s, w: w, r: r, body: body, q: r.URL.Query(), respType: "application/json"}
	if s.opts.Flavor == OpenSearch {
		rc.respType = "application/json; charset=UTF-8"
	}
	if p := strings.Trim(r.URL.Path, "/"); p != "" {
		rc.segs = strings.Split(p, "/")
	}
	return rc
}

// json writes v with status, applying filter_path and pretty like ES.
func (rc *reqCtx) json(status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	rc.writeJSON(status, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// writeJSON writes an encoded JSON body, applying filter_path and pretty.
func (rc *reqCtx) writeJSON(status int, data []byte) {
	if fp := rc.q.Get("filter_path"); fp != "" {
		data = filterPath(data, fp)
	}
	if p, ok := rc.q["pretty"]; ok && (len(p) == 0 || p[0] != "false") {
		var out bytes.Buffer
		if json.Indent(&out, data, "", "  ") == nil {
			data = append(out.Bytes(), '\n')
		}
	}
	rc.raw(status, rc.respType, data)
}

func (rc *reqCtx) raw(status int, contentType string, data []byte) {
	h := rc.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	rc.w.WriteHeader(status)
	if rc.r.Method != http.MethodHead {
		_, _ = rc.w.Write(data)
	}
}

// fail writes a whole-request ES error.
func (rc *reqCtx) fail(status int, e *esError) { rc.json(status, e.envelope(status)) }

// simple writes ES's "simple" error shape {"error":"msg","status":N} used
// by the REST layer before any handler runs.
func (rc *reqCtx) simple(status int, msg string, withStatus bool) {
	body := map[string]any{"error": msg}
	if withStatus {
		body["status"] = status
	}
	rc.json(status, body)
}

func (rc *reqCtx) flag(name string) bool {
	v, ok := rc.q[name]
	if !ok {
		return false
	}
	return len(v) == 0 || v[0] == "" || v[0] == "true"
}

func (rc *reqCtx) isES() bool { return rc.s.opts.Flavor == Elasticsearch }

// mediaType splits "application/vnd.elasticsearch+json; compatible-with=8"
// into its lower-case type and its compatible-with version ("" if absent).
func mediaType(v string) (typ, compat string) {
	parts := strings.Split(v, ";")
	typ = strings.ToLower(strings.TrimSpace(parts[0]))
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "compatible-with") {
			compat = strings.TrimSpace(val)
		}
	}
	return typ, compat
}

var esMediaTypes = map[string]bool{
	"application/json": true, "application/x-ndjson": true,
	"application/vnd.elasticsearch+json": true, "application/vnd.elasticsearch+x-ndjson": true,
}

// checkMedia applies the REST layer's Content-Type and Accept rules.
// Elasticsearch 8 takes JSON, NDJSON and its versioned compatible-with=7|8
// types and answers in the type asked for; OpenSearch refuses Elastic's
// vendor types with 406.
func (s *Server) checkMedia(rc *reqCtx) bool {
	cts := rc.r.Header.Values("Content-Type")
	ct := strings.Join(cts, ",")
	hasBody := len(rc.body) > 0
	ctType, ctCompat := mediaType(ct)
	if s.opts.Flavor == OpenSearch {
		if hasBody || ct != "" {
			if strings.Contains(ctType, "vnd.elasticsearch") || (hasBody && ctType != "application/json" && ctType != "application/x-ndjson") {
				if ct == "" {
					rc.simple(http.StatusNotAcceptable, "Content-Type header is missing", true)
				} else {
					rc.simple(http.StatusNotAcceptable, "Content-Type header ["+ct+"] is not supported", true)
				}
				return false
			}
		}
		return true
	}
	if hasBody {
		if ct == "" {
			rc.simple(http.StatusNotAcceptable, "Content-Type header is missing", true)
			return false
		}
		if !esMediaTypes[ctType] {
			rc.simple(http.StatusNotAcceptable, "Content-Type header ["+ct+"] is not supported", true)
			return false
		}
	}
	accept := rc.r.Header.Get("Accept")
	acType, acCompat := mediaType(accept)
	bad := func(inner *esError) bool {
		rc.fail(http.StatusBadRequest, newErr("media_type_header_exception", "Invalid media-type value on headers [Accept, Content-Type]").cause(inner))
		return false
	}
	for _, h := range []struct{ name, value, version string }{{"Accept", accept, acCompat}, {"Content-Type", ct, ctCompat}} {
		if h.version != "" && h.version != "7" && h.version != "8" {
			return bad(newErr("status_exception", "%s version must be either version 8 or 7, but found %s. %s=%s", h.name, h.version, h.name, h.value))
		}
	}
	if hasBody && acCompat != "" && ctCompat != "" && ctCompat != acCompat {
		return bad(newErr("status_exception", "A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version and the compatible versions must match. Accept=%s, Content-Type=%s", accept, ct))
	}
	switch {
	case strings.HasPrefix(acType, "application/vnd.elasticsearch") && acCompat != "":
		rc.respType = "application/vnd.elasticsearch+json;compatible-with=" + acCompat
	case accept == "" && ctCompat != "":
		// Without Accept, ES answers in the request's media type.
		rc.respType = "application/vnd.elasticsearch+json;compatible-with=" + ctCompat
	}
	return true
}

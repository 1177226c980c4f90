package ingest

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigilmon/vigil/collector/store"
	"github.com/vigilmon/vigil/internal/model"
)

// HandlerOptions configures the ingest HTTP handler.
type HandlerOptions struct {
	Tokens *Tokens
	Writer *Writer
	// MaxBodyBytes bounds the request body as sent; MaxDecodedBytes bounds it after
	// decompression.
	MaxBodyBytes    int64
	MaxDecodedBytes int64
	Limits          Limits
	// RetryAfter is what a 429 tells agents to wait, in seconds.
	RetryAfter int
	Logger     *slog.Logger
	Metrics    *Metrics
}

// Handler serves POST /api/v1/ingest.
type Handler struct {
	o   HandlerOptions
	dec *Decoder
}

// NewHandler returns the ingest handler.
func NewHandler(o HandlerOptions) *Handler {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 8 << 20
	}
	if o.MaxDecodedBytes <= 0 {
		o.MaxDecodedBytes = 64 << 20
	}
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	return &Handler{o: o, dec: NewDecoder(o.MaxDecodedBytes, o.Limits)}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, r, reject(http.StatusMethodNotAllowed, "method", "use POST"))
		return
	}
	tokenName, ok := h.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
		h.fail(w, r, reject(http.StatusUnauthorized, "unauthorized", "missing or invalid bearer token"))
		return
	}
	if r.ContentLength > h.o.MaxBodyBytes {
		h.fail(w, r, reject(http.StatusRequestEntityTooLarge, "too_large", "body of %d bytes exceeds %d", r.ContentLength, h.o.MaxBodyBytes))
		return
	}
	body := &countingReader{r: http.MaxBytesReader(w, r.Body, h.o.MaxBodyBytes)}
	batch, err := h.dec.Decode(body, strings.ToLower(r.Header.Get("Content-Encoding")))
	h.o.Metrics.bodyBytes.Add(float64(body.n))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.o.Writer.Submit(r.Context(), batch)
	switch {
	case errors.Is(err, ErrOverloaded):
		w.Header().Set("Retry-After", strconv.Itoa(h.o.RetryAfter))
		h.fail(w, r, reject(http.StatusTooManyRequests, "overloaded", "collector is busy, retry later"))
		return
	case errors.Is(err, store.ErrFull):
		w.Header().Set("Retry-After", strconv.Itoa(h.o.RetryAfter))
		h.fail(w, r, reject(http.StatusTooManyRequests, "store_full", "collector cannot store more now, retry later: %v", err))
		return
	case err != nil:
		h.fail(w, r, reject(http.StatusServiceUnavailable, "store_error", "store batch: %v", err))
		return
	}
	h.o.Logger.Debug("batch stored", "agent_id", batch.AgentID, "seq", batch.Seq, "host", batch.Host.Name,
		"token", tokenName, "duplicate", res.Duplicate)
	h.respond(w, http.StatusOK, model.Ack{Seq: batch.Seq, DurableSeq: res.DurableSeq, Duplicate: res.Duplicate})
}

func (h *Handler) authenticate(r *http.Request) (string, bool) {
	auth := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(auth, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return h.o.Tokens.Check(strings.TrimSpace(token))
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var rej *RejectError
	if !errors.As(err, &rej) {
		rej = reject(http.StatusBadRequest, "invalid", "%v", err)
	}
	h.o.Metrics.rejected.WithLabelValues(rej.Reason).Inc()
	// Never log the Authorization header; the remote address is enough to find a
	// misconfigured agent.
	h.o.Logger.Warn("ingest rejected", "remote", r.RemoteAddr, "status", rej.Status, "reason", rej.Reason, "err", rej.Msg)
	h.respond(w, rej.Status, model.ErrorResponse{Error: rej.Msg, Reason: rej.Reason})
}

func (h *Handler) respond(w http.ResponseWriter, status int, v any) {
	h.o.Metrics.requests.WithLabelValues(strconv.Itoa(status)).Inc()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

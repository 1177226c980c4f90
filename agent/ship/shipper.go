package ship

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/internal/model"
)

// ShipperOptions configures a Shipper.
type ShipperOptions struct {
	// URL is the collector's ingest endpoint, e.g. https://collector:8470/api/v1/ingest.
	URL       string
	Token     string
	UserAgent string
	Client    *http.Client
	// MinBackoff and MaxBackoff bound the exponential backoff (with full jitter)
	// after a failed send.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	Logger     *slog.Logger
	Metrics    *Metrics
}

// Shipper sends spooled batches to the collector in sequence order, one at a time,
// and acks them in the spool when the collector confirms they are durable.
type Shipper struct {
	spool *Spool
	opts  ShipperOptions
	log   *slog.Logger
	m     *Metrics
	// wait sleeps for d or until ctx is done; injected so tests need not sleep.
	wait func(ctx context.Context, d time.Duration) error
}

// NewShipper returns a Shipper reading from spool.
func NewShipper(spool *Spool, opts ShipperOptions) *Shipper {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(opts.MinBackoff, time.Minute)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	return &Shipper{spool: spool, opts: opts, log: opts.Logger, m: opts.Metrics, wait: sleepCtx}
}

// outcome of one send attempt.
type outcome int

const (
	sent      outcome = iota // acked, move on
	retry                    // transient: back off and resend the same batch
	rejected                 // the collector will never take this batch
	throttled                // 429: wait for Retry-After
)

// Run ships until ctx is cancelled. It returns nil on cancellation.
func (s *Shipper) Run(ctx context.Context) error {
	failures := 0
	for {
		seg, ok, err := s.spool.Oldest()
		if err != nil {
			s.log.Error("read spool", "err", err)
			ok = false
		}
		if !ok {
			if err := s.idle(ctx); err != nil {
				return nil
			}
			continue
		}
		res, delay := s.send(ctx, seg)
		switch res {
		case sent:
			failures = 0
			continue
		case rejected:
			failures = 0
			if err := s.spool.Reject(seg.Seq); err != nil {
				s.log.Error("set aside rejected batch", "seq", seg.Seq, "err", err)
			}
			continue
		case throttled:
			failures = 0
		case retry:
			failures++
			delay = s.backoff(failures)
		}
		if ctx.Err() != nil {
			return nil
		}
		if err := s.wait(ctx, delay); err != nil {
			return nil
		}
	}
}

// Drain ships until the spool is empty, a send fails, or ctx ends. It is used on
// SIGTERM so a clean stop leaves as little as possible behind; what is left stays
// in the spool for the next start.
func (s *Shipper) Drain(ctx context.Context) (remaining int) {
	for ctx.Err() == nil {
		seg, ok, err := s.spool.Oldest()
		if err != nil || !ok {
			break
		}
		res, _ := s.send(ctx, seg)
		if res == rejected {
			_ = s.spool.Reject(seg.Seq)
			continue
		}
		if res != sent {
			break
		}
	}
	return s.spool.Stats().Segments
}

// idle waits for new data, retrying pending in-memory batches now and then in
// case the disk was full.
func (s *Shipper) idle(ctx context.Context) error {
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.spool.Notify():
	case <-t.C:
		if s.spool.Stats().Pending > 0 {
			_ = s.spool.Flush()
		}
	}
	return nil
}

// backoff is exponential with full jitter: uniform in [min, min*2^failures], capped.
func (s *Shipper) backoff(failures int) time.Duration {
	ceil := s.opts.MinBackoff << min(failures, 20)
	if ceil <= 0 || ceil > s.opts.MaxBackoff {
		ceil = s.opts.MaxBackoff
	}
	return s.opts.MinBackoff + time.Duration(rand.Int64N(int64(ceil-s.opts.MinBackoff)+1))
}

func (s *Shipper) send(ctx context.Context, seg Segment) (outcome, time.Duration) {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.URL, bytes.NewReader(seg.Data))
	if err != nil {
		s.log.Error("build ingest request", "err", err)
		return retry, 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+s.opts.Token)
	req.Header.Set("User-Agent", s.opts.UserAgent)
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		s.m.sendErrors.WithLabelValues("network").Inc()
		if ctx.Err() == nil {
			s.log.Warn("send batch", "seq", seg.Seq, "err", err)
		}
		return retry, 0
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	s.m.sendDuration.Observe(time.Since(start).Seconds())

	switch {
	case resp.StatusCode == http.StatusOK:
		return s.acked(seg, body)
	case resp.StatusCode == http.StatusTooManyRequests:
		s.m.sendErrors.WithLabelValues("throttled").Inc()
		d := retryAfter(resp.Header.Get("Retry-After"), s.opts.MinBackoff, s.opts.MaxBackoff)
		s.log.Info("collector is busy, waiting", "seq", seg.Seq, "retry_after", d)
		return throttled, d
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		// A wrong token is a configuration problem: keep the data and keep trying,
		// loudly, so fixing the token (SIGHUP) loses nothing.
		s.m.sendErrors.WithLabelValues("unauthorized").Inc()
		s.log.Error("collector refused the agent token; batches stay spooled", "status", resp.StatusCode, "reason", errorText(body))
		return retry, 0
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		s.m.sendErrors.WithLabelValues("rejected").Inc()
		s.log.Error("collector rejected batch; set aside in spool/rejected", "seq", seg.Seq, "status", resp.StatusCode, "reason", errorText(body))
		return rejected, 0
	default:
		s.m.sendErrors.WithLabelValues("server").Inc()
		s.log.Warn("collector error", "seq", seg.Seq, "status", resp.StatusCode, "reason", errorText(body))
		return retry, 0
	}
}

func (s *Shipper) acked(seg Segment, body []byte) (outcome, time.Duration) {
	var ack model.Ack
	if err := json.Unmarshal(body, &ack); err != nil || ack.Seq != seg.Seq || ack.DurableSeq < seg.Seq {
		s.m.sendErrors.WithLabelValues("bad_ack").Inc()
		s.log.Error("collector answered with an ack that does not confirm the batch", "seq", seg.Seq, "ack", string(body), "err", err)
		return retry, 0
	}
	if err := s.spool.Ack(seg.Seq); err != nil {
		// The collector has it; the spool will resend it later and the collector
		// will see a duplicate, which is harmless.
		s.log.Error("record ack", "seq", seg.Seq, "err", err)
		return retry, 0
	}
	s.m.batchesSent.Inc()
	s.m.samplesSent.Add(float64(seg.Samples))
	s.m.bytesSent.Add(float64(len(seg.Data)))
	s.m.lastAcked.Set(float64(seg.Seq))
	return sent, 0
}

func retryAfter(h string, lo, hi time.Duration) time.Duration {
	if secs, err := strconv.Atoi(h); err == nil && secs >= 0 {
		return min(max(time.Duration(secs)*time.Second, lo), hi)
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(time.Until(t), lo), hi)
	}
	return lo
}

func errorText(body []byte) string {
	var e model.ErrorResponse
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return string(body)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Metrics are the shipper's Prometheus metrics. They are created once per process
// and survive config reloads.
type Metrics struct {
	batchesSent  prometheus.Counter
	samplesSent  prometheus.Counter
	bytesSent    prometheus.Counter
	sendErrors   *prometheus.CounterVec
	sendDuration prometheus.Histogram
	lastAcked    prometheus.Gauge
}

// NewMetrics creates the shipper metrics and registers them on reg (if not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		batchesSent: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_agent_ship_batches_total", Help: "Batches acknowledged by the collector."}),
		samplesSent: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_agent_ship_samples_total", Help: "Samples acknowledged by the collector."}),
		bytesSent:   prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_agent_ship_bytes_total", Help: "Compressed bytes acknowledged by the collector."}),
		sendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_agent_ship_errors_total", Help: "Failed send attempts by reason."},
			[]string{"reason"}),
		sendDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_agent_ship_duration_seconds", Help: "Time to send one batch and read the answer.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 8)}),
		lastAcked: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_agent_ship_last_acked_seq", Help: "Sequence number of the last acknowledged batch."}),
	}
	for _, r := range []string{"network", "throttled", "unauthorized", "rejected", "server", "bad_ack"} {
		m.sendErrors.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.batchesSent, m.samplesSent, m.bytesSent, m.sendErrors, m.sendDuration, m.lastAcked)
	}
	return m
}

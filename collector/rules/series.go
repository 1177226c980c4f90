package rules

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/model"
)

// host is what the engine knows about one monitored host.
type host struct {
	name     string
	labels   alert.Labels
	lastSeen time.Time // collector clock: when its newest batch arrived
	interval time.Duration
	down     bool
}

// sample is one value at an agent timestamp (Unix ms).
type sample struct {
	ts int64
	v  float64
}

// series is the recent samples of one field of one host with one set of
// dimensions, kept only for fields some rule reads.
type series struct {
	host   *host
	labels alert.Labels // short dimension names
	// samples are in timestamp order and trimmed to the longest window any
	// rule needs, but never below one.
	samples []sample
	// updates counts appended samples: an evaluation that sees it move had new
	// data, which is what `attempts` counts.
	updates uint64
}

// add inserts a sample and trims what no rule will look at again. Samples
// replayed from an agent's spool arrive late and out of order; they are placed
// by timestamp so aggregates stay right.
func (s *series) add(smp sample, keep time.Duration) {
	n := len(s.samples)
	switch {
	case n == 0 || smp.ts > s.samples[n-1].ts:
		s.samples = append(s.samples, smp)
	case smp.ts == s.samples[n-1].ts:
		s.samples[n-1] = smp // a resend of the same point
		return
	default:
		i := sort.Search(n, func(i int) bool { return s.samples[i].ts >= smp.ts })
		if s.samples[i].ts == smp.ts {
			s.samples[i] = smp
			return
		}
		s.samples = append(s.samples, sample{})
		copy(s.samples[i+1:], s.samples[i:])
		s.samples[i] = smp
	}
	s.updates++
	newest := s.samples[len(s.samples)-1].ts
	cut := newest - keep.Milliseconds()
	drop := 0
	for drop < len(s.samples)-1 && s.samples[drop].ts < cut {
		drop++
	}
	if drop > 0 {
		s.samples = append(s.samples[:0], s.samples[drop:]...)
	}
}

// value aggregates the samples in (now-window, now] (only the newest sample,
// if within staleAfter, when window is 0). ok is false when there is no sample
// recent enough: no data.
func (s *series) value(agg string, window, staleAfter time.Duration, now time.Time) (v float64, ok bool) {
	n := len(s.samples)
	if n == 0 {
		return 0, false
	}
	nowMS := now.UnixMilli()
	last := s.samples[n-1]
	if last.ts < nowMS-staleAfter.Milliseconds() {
		return 0, false
	}
	if window == 0 || agg == "last" {
		return last.v, true
	}
	from := nowMS - window.Milliseconds()
	sum, count := 0.0, 0
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := n - 1; i >= 0 && s.samples[i].ts > from; i-- {
		x := s.samples[i].v
		sum += x
		count++
		lo, hi = min(lo, x), max(hi, x)
	}
	if count == 0 {
		return 0, false
	}
	switch agg {
	case "avg":
		return sum / float64(count), true
	case "min":
		return lo, true
	default:
		return hi, true
	}
}

// hostLabels are the identity fields rules can match with host_labels.
func hostLabels(h *model.Host) alert.Labels {
	l := alert.Labels{}
	set := func(k, v string) {
		if v != "" {
			l[k] = v
		}
	}
	set("architecture", h.Architecture)
	set("os.family", h.OS.Family)
	set("os.platform", h.OS.Platform)
	if c := h.Cloud; c != nil {
		set("cloud.provider", c.Provider)
		set("cloud.region", c.Region)
		set("cloud.availability_zone", c.AvailabilityZone)
		set("cloud.instance_type", c.InstanceType)
		set("cloud.account.id", c.AccountID)
	}
	return l
}

// seriesKey identifies a series of one field: host and dimensions.
func seriesKey(hostName string, dims map[string]string) string {
	if len(dims) == 0 {
		return hostName
	}
	keys := make([]string, 0, len(dims))
	for k := range dims {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(hostName)
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(dims[k])
	}
	return b.String()
}

package input

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/vigilmon/vigil/internal/model"
)

func init() { Register("uptime", newUptime) }

// uptimeInput reports the time since boot (system.uptime).
type uptimeInput struct {
	uptime func(ctx context.Context) (time.Duration, error)
}

func newUptime(Options) (Input, error) {
	return &uptimeInput{uptime: procUptime()}, nil
}

func (*uptimeInput) Name() string { return "uptime" }

func (u *uptimeInput) Collect(ctx context.Context, now time.Time) ([]model.Event, error) {
	d, err := u.uptime(ctx)
	if err != nil {
		return nil, err
	}
	return []model.Event{event(now, "system.uptime", nil, map[string]float64{
		"system.uptime.duration.ms": float64(d.Milliseconds()),
	})}, nil
}

// procUptime reads /proc/uptime rather than using gopsutil's host.Uptime,
// which rounds to whole seconds; the field is in milliseconds.
func procUptime() func(context.Context) (time.Duration, error) {
	var buf []byte
	return func(context.Context) (time.Duration, error) {
		b, err := readProcFile("/proc/uptime", buf)
		if err != nil {
			return 0, fmt.Errorf("read uptime: %w", err)
		}
		buf = b
		return parseUptime(b)
	}
}

// parseUptime parses /proc/uptime ("350735.47 234388.90\n"): the first number
// is seconds since boot, the second idle time summed over CPUs.
func parseUptime(b []byte) (time.Duration, error) {
	first, _, _ := bytes.Cut(bytes.TrimSpace(b), []byte(" "))
	secs, err := strconv.ParseFloat(string(first), 64)
	// The range check also rejects NaN and Inf, which ParseFloat accepts.
	if err != nil || !(secs >= 0 && secs < 1e12) {
		return 0, fmt.Errorf("parse uptime %q: invalid seconds", b)
	}
	return time.Duration(secs * float64(time.Second)), nil
}

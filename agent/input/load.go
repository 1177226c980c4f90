package input

import (
	"context"
	"fmt"
	"time"

	"github.com/shirou/gopsutil/v4/load"

	"github.com/vigilmon/vigil/internal/model"
)

func init() { Register("load", newLoad) }

// loadInput reports the load averages (system.load).
type loadInput struct {
	avg   func(ctx context.Context) (*load.AvgStat, error)
	cores func() (int, error)
}

func newLoad(Options) (Input, error) {
	return &loadInput{avg: load.AvgWithContext, cores: onlineCPUs()}, nil
}

func (*loadInput) Name() string { return "load" }

func (l *loadInput) Collect(ctx context.Context, now time.Time) ([]model.Event, error) {
	avg, err := l.avg(ctx)
	if err != nil {
		return nil, fmt.Errorf("read load average: %w", err)
	}
	cores, err := l.cores()
	if err != nil {
		return nil, err
	}
	return []model.Event{event(now, "system.load", nil, loadValues(avg, cores))}, nil
}

// loadValues divides by the number of cores for the norm fields, so one alert
// threshold ("norm.5 > 1.5") fits hosts of every size.
func loadValues(avg *load.AvgStat, cores int) map[string]float64 {
	n := float64(cores)
	return map[string]float64{
		"system.load.1":       avg.Load1,
		"system.load.5":       avg.Load5,
		"system.load.15":      avg.Load15,
		"system.load.norm.1":  ratio(avg.Load1, n),
		"system.load.norm.5":  ratio(avg.Load5, n),
		"system.load.norm.15": ratio(avg.Load15, n),
		"system.load.cores":   n,
	}
}

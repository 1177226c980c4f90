package input

import (
	"context"
	"fmt"
	"time"

	"github.com/shirou/gopsutil/v4/mem"

	"github.com/vigilmon/vigil/internal/model"
)

func init() { Register("memory", newMemory) }

// memoryInput reports RAM and swap usage (system.memory).
type memoryInput struct {
	// virtual reads /proc/meminfo. Swap comes from the same read
	// (SwapTotal/SwapFree) so there is no second pass over the file.
	virtual func(ctx context.Context) (*mem.VirtualMemoryStat, error)
}

func newMemory(Options) (Input, error) {
	return &memoryInput{virtual: mem.VirtualMemoryWithContext}, nil
}

func (*memoryInput) Name() string { return "memory" }

func (m *memoryInput) Collect(ctx context.Context, now time.Time) ([]model.Event, error) {
	vm, err := m.virtual(ctx)
	if err != nil {
		return nil, fmt.Errorf("read memory: %w", err)
	}
	return []model.Event{event(now, "system.memory", nil, memoryValues(vm))}, nil
}

// memoryValues maps /proc/meminfo figures to Metricbeat's fields. "used" is
// total-free (page cache counts as used), "actual.used" is total-MemAvailable,
// the number to alert on. Percentages are 0 when the total is 0 (no swap).
func memoryValues(vm *mem.VirtualMemoryStat) map[string]float64 {
	used := sub(vm.Total, vm.Free)
	actualUsed := sub(vm.Total, vm.Available)
	swapUsed := sub(vm.SwapTotal, vm.SwapFree)
	total, swapTotal := float64(vm.Total), float64(vm.SwapTotal)
	return map[string]float64{
		"system.memory.total":             total,
		"system.memory.free":              float64(vm.Free),
		"system.memory.used.bytes":        float64(used),
		"system.memory.used.pct":          ratio(float64(used), total),
		"system.memory.actual.free":       float64(vm.Available),
		"system.memory.actual.used.bytes": float64(actualUsed),
		"system.memory.actual.used.pct":   ratio(float64(actualUsed), total),
		// gopsutil adds SReclaimable to Cached (to match free(1)); Metricbeat
		// reports meminfo's Cached, so take it back out.
		"system.memory.cached":          float64(sub(vm.Cached, vm.Sreclaimable)),
		"system.memory.swap.total":      swapTotal,
		"system.memory.swap.free":       float64(vm.SwapFree),
		"system.memory.swap.used.bytes": float64(swapUsed),
		"system.memory.swap.used.pct":   ratio(float64(swapUsed), swapTotal),
	}
}

package input

import (
	"context"
	"fmt"
	"time"

	"github.com/shirou/gopsutil/v4/net"

	"github.com/vigilmon/vigil/internal/model"
)

func init() { Register("network", newNetwork) }

// networkInput reports per-interface counters (system.network) and the host's
// traffic since the previous cycle (system.network_summary).
type networkInput struct {
	// counters reads /proc/net/dev, one entry per interface.
	counters func(ctx context.Context) ([]net.IOCountersStat, error)

	prev map[string]net.IOCountersStat // nil until the first cycle
}

func newNetwork(Options) (Input, error) {
	return &networkInput{counters: func(ctx context.Context) ([]net.IOCountersStat, error) {
		return net.IOCountersWithContext(ctx, true)
	}}, nil
}

func (*networkInput) Name() string { return "network" }

func (n *networkInput) Collect(ctx context.Context, now time.Time) ([]model.Event, error) {
	cur, err := n.counters(ctx)
	if err != nil {
		return nil, fmt.Errorf("read network counters: %w", err)
	}
	events := make([]model.Event, 0, len(cur)+1)
	next := make(map[string]net.IOCountersStat, len(cur))
	for _, c := range cur {
		// Loopback traffic is the host talking to itself: not network I/O,
		// and it would swamp host.network.* on busy local proxies.
		if c.Name == "lo" {
			continue
		}
		next[c.Name] = c
		events = append(events, event(now, "system.network",
			map[string]string{"system.network.name": c.Name}, interfaceValues(c)))
	}
	if n.prev != nil {
		events = append(events, event(now, "system.network_summary", nil, networkDeltas(n.prev, next)))
	}
	n.prev = next
	return events, nil
}

func interfaceValues(c net.IOCountersStat) map[string]float64 {
	return map[string]float64{
		"system.network.in.bytes":    float64(c.BytesRecv),
		"system.network.in.packets":  float64(c.PacketsRecv),
		"system.network.in.errors":   float64(c.Errin),
		"system.network.in.dropped":  float64(c.Dropin),
		"system.network.out.bytes":   float64(c.BytesSent),
		"system.network.out.packets": float64(c.PacketsSent),
		"system.network.out.errors":  float64(c.Errout),
		"system.network.out.dropped": float64(c.Dropout),
	}
}

// networkDeltas sums ECS host.network.* (traffic since the previous cycle)
// over the interfaces present in both samples. An interface that is new, or
// whose counters went backwards (it was deleted and re-created, e.g. a VPN
// tunnel), adds nothing this cycle rather than a bogus spike.
func networkDeltas(prev, cur map[string]net.IOCountersStat) map[string]float64 {
	var inBytes, inPkts, outBytes, outPkts uint64
	for name, c := range cur {
		p, ok := prev[name]
		if !ok || c.BytesRecv < p.BytesRecv || c.PacketsRecv < p.PacketsRecv ||
			c.BytesSent < p.BytesSent || c.PacketsSent < p.PacketsSent {
			continue
		}
		inBytes += c.BytesRecv - p.BytesRecv
		inPkts += c.PacketsRecv - p.PacketsRecv
		outBytes += c.BytesSent - p.BytesSent
		outPkts += c.PacketsSent - p.PacketsSent
	}
	return map[string]float64{
		"host.network.ingress.bytes":   float64(inBytes),
		"host.network.ingress.packets": float64(inPkts),
		"host.network.egress.bytes":    float64(outBytes),
		"host.network.egress.packets":  float64(outPkts),
	}
}

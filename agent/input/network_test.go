package input

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/net"
)

func TestNetworkCollect(t *testing.T) {
	cycles := [][]net.IOCountersStat{
		{
			{Name: "lo", BytesRecv: 1000, BytesSent: 1000, PacketsRecv: 10, PacketsSent: 10},
			{Name: "eth0", BytesRecv: 5000, BytesSent: 3000, PacketsRecv: 50, PacketsSent: 30, Errin: 1, Errout: 2, Dropin: 3, Dropout: 4},
			{Name: "tun0", BytesRecv: 900, BytesSent: 900, PacketsRecv: 9, PacketsSent: 9},
		},
		{
			{Name: "lo", BytesRecv: 9000, BytesSent: 9000, PacketsRecv: 90, PacketsSent: 90},
			{Name: "eth0", BytesRecv: 6000, BytesSent: 3500, PacketsRecv: 60, PacketsSent: 35, Errin: 1, Errout: 2, Dropin: 3, Dropout: 4},
			// Re-created: its counters restarted, it must not add a negative
			// or wrapped delta.
			{Name: "tun0", BytesRecv: 100, BytesSent: 100, PacketsRecv: 1, PacketsSent: 1},
			// New this cycle: no baseline, adds nothing.
			{Name: "eth1", BytesRecv: 7777, BytesSent: 7777, PacketsRecv: 77, PacketsSent: 77},
		},
	}
	i := 0
	n := &networkInput{counters: func(context.Context) ([]net.IOCountersStat, error) { c := cycles[i]; i++; return c, nil }}

	evs, err := n.Collect(context.Background(), time.UnixMilli(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 { // eth0, tun0; no summary on the first cycle
		t.Fatalf("first cycle: %d events, want 2: %+v", len(evs), evs)
	}
	eth0 := evs[0]
	if eth0.Dataset != "system.network" || eth0.Dims["system.network.name"] != "eth0" {
		t.Errorf("event header = %q %v", eth0.Dataset, eth0.Dims)
	}
	wantEth0 := map[string]float64{
		"system.network.in.bytes": 5000, "system.network.in.packets": 50, "system.network.in.errors": 1, "system.network.in.dropped": 3,
		"system.network.out.bytes": 3000, "system.network.out.packets": 30, "system.network.out.errors": 2, "system.network.out.dropped": 4,
	}
	if !reflect.DeepEqual(eth0.Values, wantEth0) {
		t.Errorf("eth0 values = %v, want %v", eth0.Values, wantEth0)
	}

	evs, err = n.Collect(context.Background(), time.UnixMilli(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 { // eth0, tun0, eth1, summary
		t.Fatalf("second cycle: %d events, want 4: %+v", len(evs), evs)
	}
	sum := evs[3]
	if sum.Dataset != "system.network_summary" || sum.Dims != nil || sum.Timestamp != 2 {
		t.Errorf("summary header = %q %v %d", sum.Dataset, sum.Dims, sum.Timestamp)
	}
	wantSum := map[string]float64{ // eth0 only
		"host.network.ingress.bytes": 1000, "host.network.ingress.packets": 10,
		"host.network.egress.bytes": 500, "host.network.egress.packets": 5,
	}
	if !reflect.DeepEqual(sum.Values, wantSum) {
		t.Errorf("summary = %v, want %v", sum.Values, wantSum)
	}
}

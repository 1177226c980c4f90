package sqlite

import (
	"fmt"
	"math/rand/v2"

	"github.com/vigilmon/vigil/internal/model"
)

// synthHost builds the batches of one synthetic host shaped like a real agent
// cycle: cpu, per-core cpu, load, memory, filesystem per mount, network per
// interface, diskio per disk and a few summaries, 24 events and 153 samples.
type synthHost struct {
	batch *model.Batch
}

func newSynthHost(i int, rng *rand.Rand) *synthHost {
	name := fmt.Sprintf("host-%04d.example.net", i)
	b := &model.Batch{
		AgentID: fmt.Sprintf("agent-%04d", i),
		Agent:   model.Agent{Version: "1.0.0", IntervalMS: 10000},
		Host: model.Host{
			Name: name, Hostname: name, ID: fmt.Sprintf("%032x", i), Architecture: "x86_64",
			IP: []string{fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)},
			OS: model.HostOS{Type: "linux", Family: "debian", Platform: "debian", Name: "Debian GNU/Linux", Version: "12", Kernel: "6.1.0-18-amd64"},
			Cloud: &model.Cloud{Provider: "aws", Region: "eu-west-1", AvailabilityZone: "eu-west-1a",
				InstanceID: fmt.Sprintf("i-%017x", i), InstanceType: "m6i.large"},
		},
	}
	v := func() float64 { return rng.Float64() }
	n := func(scale float64) float64 { return float64(int64(rng.Float64() * scale)) }
	ev := func(ds string, dims map[string]string, fields ...string) {
		e := model.Event{Dataset: ds, Dims: dims, Values: make(map[string]float64, len(fields))}
		for _, f := range fields {
			if len(f) > 4 && f[len(f)-4:] == ".pct" {
				e.Values[f] = v()
			} else {
				e.Values[f] = n(1e12)
			}
		}
		b.Events = append(b.Events, e)
	}
	p := "system.cpu."
	ev("system.cpu", nil, p+"total.norm.pct", p+"user.pct", p+"system.pct", p+"iowait.pct", p+"idle.pct",
		p+"steal.pct", p+"softirq.pct", p+"irq.pct", p+"nice.pct", p+"cores")
	for c := range 4 {
		p := "system.core."
		ev("system.core", map[string]string{"system.core.id": fmt.Sprint(c)},
			p+"user.pct", p+"system.pct", p+"idle.pct", p+"iowait.pct")
	}
	p = "system.load."
	ev("system.load", nil, p+"1", p+"5", p+"15", p+"norm.1", p+"norm.5", p+"norm.15", p+"cores")
	p = "system.memory."
	ev("system.memory", nil, p+"total", p+"used.bytes", p+"used.pct", p+"actual.used.bytes", p+"actual.used.pct",
		p+"actual.free", p+"free", p+"swap.total", p+"swap.used.bytes", p+"swap.used.pct", p+"swap.free")
	for _, m := range [][3]string{{"/", "/dev/nvme0n1p1", "ext4"}, {"/boot", "/dev/nvme0n1p2", "ext4"},
		{"/var", "/dev/mapper/vg-var", "xfs"}, {"/home", "/dev/mapper/vg-home", "xfs"},
		{"/data", "/dev/nvme1n1", "xfs"}, {"/tmp", "tmpfs", "tmpfs"}} {
		p := "system.filesystem."
		ev("system.filesystem", map[string]string{p + "mount_point": m[0], p + "device_name": m[1], p + "type": m[2]},
			p+"total", p+"used.bytes", p+"used.pct", p+"free", p+"available", p+"files", p+"free_files")
	}
	for _, nic := range []string{"eth0", "eth1", "lo"} {
		p := "system.network."
		ev("system.network", map[string]string{p + "name": nic},
			p+"in.bytes", p+"in.packets", p+"in.errors", p+"in.dropped",
			p+"out.bytes", p+"out.packets", p+"out.errors", p+"out.dropped")
	}
	for _, d := range []string{"nvme0n1", "nvme1n1", "sda", "sdb"} {
		p := "system.diskio."
		ev("system.diskio", map[string]string{p + "name": d},
			p+"read.count", p+"read.bytes", p+"read.time", p+"write.count", p+"write.bytes", p+"write.time", p+"io.time")
	}
	p = "system.process.summary."
	ev("system.process.summary", nil, p+"total", p+"running", p+"sleeping", p+"stopped", p+"zombie")
	p = "system.socket.summary."
	ev("system.socket.summary", nil, p+"all.count", p+"tcp.all.listening", p+"tcp.all.established",
		p+"tcp.all.time_wait", p+"udp.all.count")
	ev("system.uptime", nil, "system.uptime.duration.ms")
	p = "system.fsstat."
	ev("system.fsstat", nil, p+"count", p+"total_size.total", p+"total_size.used", p+"total_size.free")
	return &synthHost{batch: b}
}

// next moves the host to its next cycle, reusing the same batch: seq and
// timestamps advance, values stay (the store does not care what they are).
func (h *synthHost) next(seq uint64, tsMS int64) *model.Batch {
	h.batch.Seq = seq
	for i := range h.batch.Events {
		h.batch.Events[i].Timestamp = tsMS
	}
	return h.batch
}

// clone returns an independent copy of the current batch, for tests that keep
// batches around.
func (h *synthHost) clone() *model.Batch {
	b := *h.batch
	b.Events = make([]model.Event, len(h.batch.Events))
	for i, e := range h.batch.Events {
		b.Events[i] = e
		b.Events[i].Values = make(map[string]float64, len(e.Values))
		for k, v := range e.Values {
			b.Events[i].Values[k] = v
		}
	}
	return &b
}

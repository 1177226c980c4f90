package outbox

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/model"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// realisticBatch is what an agent sends per cycle: 102 samples in 20 events, with
// the datasets, dims and field names of agent/input.
func realisticBatch(seq uint64) *model.Batch {
	ts := t0.UnixMilli() + int64(seq)*10_000
	ev := func(dataset string, dims map[string]string, names ...string) model.Event {
		v := make(map[string]float64, len(names))
		for i, n := range names {
			v[n] = float64(seq)*1000 + float64(i) + 0.25
		}
		return model.Event{Timestamp: ts, Dataset: dataset, Dims: dims, Values: v}
	}
	evs := []model.Event{
		ev("system.cpu", nil, "system.cpu.cores", "system.cpu.user.pct", "system.cpu.user.norm.pct", "system.cpu.system.pct",
			"system.cpu.system.norm.pct", "system.cpu.idle.pct", "system.cpu.idle.norm.pct", "system.cpu.iowait.pct",
			"system.cpu.steal.pct", "system.cpu.total.pct", "system.cpu.total.norm.pct"),
		ev("system.load", nil, "system.load.1", "system.load.5", "system.load.15", "system.load.cores"),
		ev("system.memory", nil, "system.memory.total", "system.memory.free", "system.memory.used.bytes",
			"system.memory.used.pct", "system.memory.actual.free", "system.memory.actual.used.bytes",
			"system.memory.actual.used.pct", "system.memory.cached", "system.memory.swap.total", "system.memory.swap.free",
			"system.memory.swap.used.bytes", "system.memory.swap.used.pct"),
		ev("system.uptime", nil, "system.uptime.duration.ms"),
		ev("system.process.summary", nil, "system.process.summary.total", "system.process.summary.running",
			"system.process.summary.sleeping", "system.process.summary.stopped", "system.process.summary.zombie",
			"system.process.summary.idle", "system.process.summary.dead", "system.process.summary.unknown"),
	}
	for _, m := range []string{"/", "/boot", "/var", "/var/lib/docker", "/home", "/srv"} {
		evs = append(evs, ev("system.filesystem", map[string]string{"system.filesystem.mount_point": m,
			"system.filesystem.device_name": "/dev/nvme0n1p2", "system.filesystem.type": "ext4"},
			"system.filesystem.total", "system.filesystem.free", "system.filesystem.available",
			"system.filesystem.used.bytes", "system.filesystem.used.pct"))
	}
	for _, d := range []string{"nvme0n1", "nvme1n1", "xvda", "xvdb"} {
		evs = append(evs, ev("system.diskio", map[string]string{"system.diskio.name": d},
			"system.diskio.read.bytes", "system.diskio.write.bytes", "system.diskio.read.count", "system.diskio.write.count"))
	}
	for _, n := range []string{"eth0", "eth1", "docker0", "lo", "ens5"} {
		evs = append(evs, ev("system.network", map[string]string{"system.network.name": n},
			"system.network.in.bytes", "system.network.out.bytes", "system.network.in.packets", "system.network.out.packets"))
	}
	return &model.Batch{AgentID: "0f3c9a2e4b7d11ee8c90a1b2c3d4e5f6", Seq: seq,
		Agent: model.Agent{Version: "1.4.0", IntervalMS: 10_000},
		Host: model.Host{Name: "web-17", Hostname: "ip-10-0-3-17", ID: "ec2a7f3b0c9d", IP: []string{"10.0.3.17", "fe80::1"},
			Architecture: "x86_64", OS: model.HostOS{Type: "linux", Family: "debian", Platform: "ubuntu", Name: "Ubuntu",
				Version: "24.04", Kernel: "6.8.0-1017-aws"},
			Cloud: &model.Cloud{Provider: "aws", Region: "eu-west-1", AvailabilityZone: "eu-west-1a",
				InstanceID: "i-0abc123def4567890", InstanceType: "m6i.large", AccountID: "123456789012"}},
		Events: evs}
}

func batches(from, n int) []*model.Batch {
	bs := make([]*model.Batch, n)
	for i := range bs {
		bs[i] = realisticBatch(uint64(from + i))
	}
	return bs
}

func frameSize(t testing.TB, seq uint64) int64 {
	buf, err := appendFrame(nil, realisticBatch(seq), 0)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(buf))
}

func openT(t *testing.T, o Options) *Outbox {
	t.Helper()
	ob, err := Open(o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = ob.Close() })
	return ob
}

func appendT(t *testing.T, ob *Outbox, bs ...*model.Batch) {
	t.Helper()
	if err := ob.Append(bs, t0); err != nil {
		t.Fatalf("append: %v", err)
	}
}

// nextT takes every entry available now, max at a time. The timeout only turns a
// bug into a failure instead of a hang; nothing waits on it.
func nextT(t *testing.T, ob *Outbox, max int) []Entry {
	t.Helper()
	var all []Entry
	for ob.Stats().Entries > countHanded(ob) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		es, err := ob.Next(ctx, max, 0)
		cancel()
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		all = append(all, es...)
	}
	return all
}

func countHanded(ob *Outbox) int {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	n := 0
	for _, s := range ob.segs {
		n += len(s.recs) - s.acked - s.unread
	}
	return n
}

func seqs(es []Entry) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Batch.Seq
	}
	return out
}

func wantSeqs(t *testing.T, es []Entry, want ...uint64) {
	t.Helper()
	if got := seqs(es); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
}

func span(from, to uint64) []uint64 {
	var s []uint64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segExt))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

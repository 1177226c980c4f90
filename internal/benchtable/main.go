// Command benchtable is the second half of `make bench`: it measures the real
// binaries and prints one table. Part 1 runs vigil-agent and Debian's
// prometheus-node-exporter side by side at the same interval (node_exporter
// scraped by this program, the agent shipping to a real collector) and reports CPU
// per cycle and memory of each. Part 2 drives a fresh collector with synthetic
// agents and reports ingest throughput into the embedded store. Part 3 does
// the same into a fake Elasticsearch (in this process) and reports the bulk
// path: documents per collector CPU-second and bytes per document.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vigilmon/vigil/internal/proc"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding vigil-agent and vigil-collector")
	cycles := flag.Int("cycles", 60, "collection cycles to measure in part 1")
	interval := flag.Duration("interval", time.Second, "collection and scrape interval in part 1")
	agents := flag.Int("agents", 32, "synthetic agents sending at once in part 2 (a collector serves hundreds)")
	batches := flag.Int("batches", 200, "batches per synthetic agent in part 2")
	flag.Parse()
	if err := run(*bin, *cycles, *interval, *agents, *batches); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type row struct{ what, vigil, peer, target string }

func run(bin string, cycles int, interval time.Duration, agents, batches int) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	exporter, err := ensureNodeExporter()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "vigil-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Fprintf(os.Stderr, "part 1: agent vs node_exporter, %d cycles at %s...\n", cycles, interval)
	side, err := sideBySide(bin, exporter, dir, cycles, interval)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "part 2: collector ingest, %d agents x %d batches...\n", agents, batches)
	ing, err := ingestThroughput(bin, filepath.Join(dir, "ingest"), agents, batches)
	if err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "part 3: collector into Elasticsearch (in-process fake), %d agents x %d batches...\n", agents, batches/2)
	cl, err := clusterThroughput(bin, filepath.Join(dir, "cluster"), agents, batches/2)
	if err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "part 4: checks and NRPE, agent vs Debian nrpe...\n")
	ck, err := checksThroughput(bin, filepath.Join(dir, "checks"), 4, 5*time.Second)
	if err != nil {
		return err
	}

	rows := []row{
		{"CPU per collection cycle (ms)", ms(side.agentCPU), ms(side.peerCPU), "agent ≤ 1 ms"},
		{"RSS at end (MiB)", mib(side.agentRSS), mib(side.peerRSS), "agent ≤ 15 MB"},
		{"peak RSS (MiB)", mib(side.agentHWM), mib(side.peerHWM), ""},
		{"samples per cycle", fmt.Sprintf("%.0f", side.agentSamples), fmt.Sprintf("%.0f", side.peerSamples), ""},
		{"collector ingest (samples/s, wall)", fmt.Sprintf("%.0f", ing.perSecond), "-", ""},
		{"collector ingest (samples per CPU-second)", fmt.Sprintf("%.0f", ing.perCPUSecond), "-", "≥ 200,000 per core"},
		{"collector CPU per batch of ~" + fmt.Sprint(ing.samplesPerBatch) + " samples (µs)", fmt.Sprintf("%.0f", ing.cpuPerBatch.Seconds()*1e6), "-", ""},
		{"collector batches per commit (mean)", fmt.Sprintf("%.1f", ing.batchesPerCommit), "-", ""},
		{"collector peak RSS (MiB)", mib(ing.peakRSS), "-", ""},
		{"bulk path: documents/s (wall, via outbox)", fmt.Sprintf("%.0f", cl.perSecond), "-", ""},
		{"bulk path: documents per collector CPU-second", fmt.Sprintf("%.0f", cl.perCPUSecond), "-", ""},
		{"bulk path: collector CPU per document (µs)", fmt.Sprintf("%.1f", cl.cpuPerDoc.Seconds()*1e6), "-", ""},
		{"metric document as sent (bytes of _source)", fmt.Sprintf("%.0f", cl.docBytes), "-", ""},
		{"_bulk NDJSON per document (bytes, gzip on the wire)", fmt.Sprintf("%.0f (%.0f)", cl.bulkBytesPerDoc, cl.gzipBytesPerDoc), "-", ""},
		{fmt.Sprintf("plugin checks/s (%d x check_dummy at 1 s)", scheduledChecks), fmt.Sprintf("%.0f", ck.checksPerSecond), "-", ""},
		{"plugin checks per agent CPU-second (fork/exec incl.)", fmt.Sprintf("%.0f", ck.checksPerCPUSecond), "-", "fork/exec ~0.9 ms"},
		{"NRPE req/s, check_dummy, plaintext v4, 4 clients", fmt.Sprintf("%.0f", ck.agentPlugin.perSecond), fmt.Sprintf("%.0f (nrpe)", ck.peer.perSecond), ""},
		{"NRPE server CPU per request, check_dummy (ms)", ms(ck.agentPlugin.cpuPerRequest), ms(ck.peer.cpuPerRequest) + " (nrpe)", ""},
		{"NRPE req/s, built-in load check (no fork)", fmt.Sprintf("%.0f", ck.agentBuiltin.perSecond), "-", ""},
		{"NRPE server CPU per request, built-in (ms)", ms(ck.agentBuiltin.cpuPerRequest), "-", ""},
	}
	fmt.Printf("\n%s, %d cores; part 1: %d cycles at %s, both running at once; part 2: %d agents x %d batches, synchronous=full\n\n",
		hostName(), numCPU(), cycles, interval, agents, batches)
	fmt.Printf("| %-52s | %-12s | %-22s | %-18s |\n", "measure", "vigil", "prometheus-node-exporter", "target")
	fmt.Printf("|%s|%s|%s|%s|\n", dashes(54), dashes(14), dashes(24), dashes(20))
	for _, r := range rows {
		fmt.Printf("| %-52s | %-12s | %-24s | %-18s |\n", r.what, r.vigil, r.peer, r.target)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()*1000) }
func mib(kb int64) string       { return fmt.Sprintf("%.1f", float64(kb)/1024) }
func dashes(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '-'
	}
	return string(b)
}

func hostName() string { h, _ := os.Hostname(); return h }

func numCPU() int {
	n := 0
	b, _ := os.ReadFile("/proc/cpuinfo")
	for i := 0; i+9 < len(b); i++ {
		if string(b[i:i+9]) == "processor" && (i == 0 || b[i-1] == '\n') {
			n++
		}
	}
	return n
}

// ensureNodeExporter finds Debian's node exporter, installing it as root or under CI.
func ensureNodeExporter() (string, error) {
	if p, err := exec.LookPath("prometheus-node-exporter"); err == nil {
		return p, nil
	}
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		return "", fmt.Errorf("prometheus-node-exporter is missing: sudo apt-get install prometheus-node-exporter")
	}
	fmt.Fprintln(os.Stderr, "installing prometheus-node-exporter with apt-get...")
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "prometheus-node-exporter"}} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("apt-get %v: %w", args, err)
		}
	}
	return exec.LookPath("prometheus-node-exporter")
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// stop ends a measured program; how it exits does not matter to the numbers.
func stop(p *proc.Proc) { _, _ = p.Stop(syscall.SIGTERM, 5*time.Second) }

func waitOK(ctx context.Context, url string) error {
	for {
		resp, err := http.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer: %w", url, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

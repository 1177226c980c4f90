package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilmon/vigil/internal/nrpe"
	"github.com/vigilmon/vigil/internal/proc"
)

const (
	nrpeBin     = "/usr/sbin/nrpe"
	pluginDir   = "/usr/lib/nagios/plugins"
	checkDummy  = pluginDir + "/check_dummy"
	nrpeCommand = "bench_dummy"
)

// loadResult is what one NRPE load run measured.
type loadResult struct {
	requests, failures int64
	perSecond          float64
	cpuPerRequest      time.Duration // the server's CPU, its children included
}

// nrpeLoad sends v4 plaintext queries for command to addr from conc
// connections-at-a-time for d, one query per connection as check_nrpe does,
// and measures the server process pid's CPU (with its reaped children: nrpe
// forks per connection, both fork the plugin).
func nrpeLoad(addr, command string, pid, conc int, d time.Duration) (loadResult, error) {
	query, err := nrpe.Encode(nrpe.Packet{Version: nrpe.Version4, Type: nrpe.QueryPacket, Buffer: []byte(command)})
	if err != nil {
		return loadResult{}, err
	}
	cpu0, err := cpuWithChildren(pid)
	if err != nil {
		return loadResult{}, err
	}
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := nrpeQuery(addr, query); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	cpu1, err := cpuWithChildren(pid)
	if err != nil {
		return loadResult{}, err
	}
	r := loadResult{requests: ok.Load(), failures: failed.Load(), perSecond: float64(ok.Load()) / wall.Seconds()}
	if r.requests > 0 {
		r.cpuPerRequest = (cpu1 - cpu0) / time.Duration(r.requests)
	}
	if r.requests == 0 {
		err, _ := firstErr.Load().(error)
		return r, fmt.Errorf("no NRPE request to %s succeeded: %v", addr, err)
	}
	return r, nil
}

func nrpeQuery(addr string, query []byte) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(query); err != nil {
		return err
	}
	p, err := nrpe.Decode(c, nrpe.MaxBuffer)
	if err != nil {
		return err
	}
	if p.ResultCode != 0 {
		return fmt.Errorf("result code %d: %q", p.ResultCode, p.Buffer)
	}
	return nil
}

// cpuWithChildren is cpuTime plus the CPU of the process's reaped children.
func cpuWithChildren(pid int) (time.Duration, error) {
	own, err := cpuTime(pid)
	if err != nil {
		return 0, err
	}
	children, err := childTicks(pid)
	if err != nil {
		return 0, err
	}
	return own + children, nil
}

// startNRPE runs Debian's nrpe in plaintext on a free loopback port with one
// command, bench_dummy = check_dummy 0, as the nagios user it drops to.
func startNRPE(dir string) (*proc.Proc, string, error) {
	if err := ensureNRPE(); err != nil {
		return nil, "", err
	}
	if _, err := user.Lookup("nagios"); err != nil {
		return nil, "", fmt.Errorf("nrpe needs the nagios user: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	_, port, _ := net.SplitHostPort(addr)
	cfg := filepath.Join(dir, "nrpe.cfg")
	body := fmt.Sprintf("pid_file=%s/nrpe.pid\nserver_port=%s\nserver_address=127.0.0.1\nallowed_hosts=127.0.0.1\n"+
		"nrpe_user=nagios\nnrpe_group=nagios\ndont_blame_nrpe=0\ndebug=0\ncommand_timeout=10\nconnection_timeout=30\n"+
		"command[%s]=%s 0 fine\n", dir, port, nrpeCommand, checkDummy)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		return nil, "", err
	}
	p, err := proc.Start(filepath.Join(dir, "nrpe.out"), nrpeBin, "-c", cfg, "-f", "-n")
	if err != nil {
		return nil, "", err
	}
	if err := waitTCP(addr, 10*time.Second); err != nil {
		stop(p)
		return nil, "", fmt.Errorf("start nrpe: %w\n%s", err, p.LogText())
	}
	return p, addr, nil
}

// ensureNRPE installs Debian's nrpe and the standard plugins as root or under CI.
func ensureNRPE() error {
	if _, err := os.Stat(nrpeBin); err == nil {
		if _, err := os.Stat(checkDummy); err == nil {
			return nil
		}
	}
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		return errors.New("nrpe is missing: sudo apt-get install nagios-nrpe-server monitoring-plugins-basic")
	}
	fmt.Fprintln(os.Stderr, "installing nagios-nrpe-server and monitoring-plugins-basic with apt-get...")
	cmd := exec.Command("apt-get", "install", "-y", "--no-install-recommends", "nagios-nrpe-server", "monitoring-plugins-basic")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("apt-get install nagios-nrpe-server: %w", err)
	}
	return nil
}

func waitTCP(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond) // polling a port that is not open yet: nothing to wait on
	}
}

// childTicks is cutime+cstime from /proc/PID/stat: the CPU of children the
// process has waited for, at USER_HZ = 100.
func childTicks(pid int) (time.Duration, error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	cut, _ := strconv.ParseInt(f[13], 10, 64)
	cst, _ := strconv.ParseInt(f[14], 10, 64)
	return time.Duration(cut+cst) * 10 * time.Millisecond, nil
}

package peers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/vigilmon/vigil/internal/proc"
)

// Debian's NRPE peers (peers.md §4): the nrpe daemon, the check_nrpe client
// and the monitoring-plugins they run.
const (
	// PluginDir is where Debian installs the monitoring plugins.
	PluginDir    = "/usr/lib/nagios/plugins"
	checkNRPEBin = PluginDir + "/check_nrpe"
	nrpeBin      = "/usr/sbin/nrpe"
)

// nrpePackages are installed together: the daemon, check_nrpe and the
// standard plugins (check_load, check_disk, check_procs, check_dummy, ...).
var nrpePackages = []string{"nagios-nrpe-server", "nagios-nrpe-plugin", "monitoring-plugins-basic", "monitoring-plugins-standard"}

// ensureNRPE installs the NRPE peers with apt-get when the policy allows,
// once across test processes (a lock), or ends the test.
func ensureNRPE(t testing.TB) policy {
	t.Helper()
	pol := currentPolicy(os.Getenv, os.Geteuid())
	howTo := "apt-get install " + strings.Join(nrpePackages, " ")
	present := func() bool {
		for _, p := range []string{checkNRPEBin, nrpeBin, PluginDir + "/check_load", PluginDir + "/check_dummy"} {
			if _, err := os.Stat(p); err != nil {
				return false
			}
		}
		return true
	}
	if present() {
		return pol
	}
	root := cacheRoot()
	if err := os.MkdirAll(root, 0o755); err != nil {
		pol.unavailable(t, "nrpe", err.Error(), howTo)
	}
	unlock, err := lockFile(filepath.Join(root, "apt.lock"))
	if err != nil {
		pol.unavailable(t, "nrpe", err.Error(), howTo)
	}
	defer unlock()
	if present() {
		return pol
	}
	if !pol.mayInstall {
		pol.unavailable(t, "nrpe", "check_nrpe or nrpe is not installed", howTo)
	}
	if err := aptInstall(root, nrpePackages...); err != nil {
		pol.unavailable(t, "nrpe", err.Error(), howTo)
	}
	if !present() {
		pol.unavailable(t, "nrpe", "installed, but "+checkNRPEBin+" or "+nrpeBin+" is still missing", howTo)
	}
	return pol
}

// Plugins returns PluginDir once the monitoring plugins are installed.
func Plugins(t testing.TB) string {
	t.Helper()
	ensureNRPE(t)
	return PluginDir
}

// CheckNRPE runs Debian's check_nrpe with args and returns its output and
// exit status, as Nagios would see them.
func CheckNRPE(t testing.TB, args ...string) (string, int) {
	t.Helper()
	ensureNRPE(t)
	out, err := exec.CommandContext(t.Context(), checkNRPEBin, args...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("run check_nrpe %v: %v", args, err)
	return "", 0
}

// NRPEOptions configure a daemon.
type NRPEOptions struct {
	// Plain runs without TLS (nrpe -n).
	Plain bool
	// CertFile and KeyFile give the daemon a certificate; without them and
	// without Plain it speaks anonymous-DH TLS, which Go cannot.
	CertFile, KeyFile string
	// Commands are command[name]=command line entries.
	Commands map[string]string
}

// NRPEServer is a running Debian nrpe daemon.
type NRPEServer struct {
	Addr string
	Port int
}

// NRPE starts Debian's nrpe daemon on a free loopback port, running as the
// nagios user its package created, and stops it when the test ends.
func NRPE(t testing.TB, o NRPEOptions) *NRPEServer {
	t.Helper()
	pol := ensureNRPE(t)
	if _, err := user.Lookup("nagios"); err != nil {
		pol.unavailable(t, "nrpe", "no nagios user: "+err.Error(), "apt-get install --reinstall nagios-nrpe-server")
	}
	dir, err := os.MkdirTemp("", "vigil-nrpe")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	// nrpe drops to the nagios user and then reads its files.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ports, err := freePorts(1)
	if err != nil {
		pol.unavailable(t, "nrpe", err.Error(), "free a loopback port")
	}
	logFile := filepath.Join(dir, "nrpe-debug.log")
	if err := os.WriteFile(logFile, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if u, err := user.Lookup("nagios"); err == nil {
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		_ = os.Chown(logFile, uid, gid)
	}
	cfg := nrpeConfig(o, ports[0], dir, logFile)
	cfgPath := filepath.Join(dir, "nrpe.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-c", cfgPath, "-f"}
	if o.Plain {
		args = append(args, "-n")
	}
	p, err := proc.Start(filepath.Join(dir, "nrpe.out"), nrpeBin, args...)
	if err != nil {
		pol.unavailable(t, "nrpe", err.Error(), "apt-get install nagios-nrpe-server")
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	if err := waitReady(t.Context(), p, func(ctx context.Context) error { return tcpOpen(ctx, addr) }); err != nil {
		p.Stop(syscall.SIGKILL, stopGrace)
		log, _ := os.ReadFile(logFile)
		pol.unavailable(t, "nrpe", fmt.Sprintf("start nrpe: %v\n%s\n%s", err, tail(p.LogText(), logTail), tail(string(log), logTail)),
			"check "+cfgPath)
	}
	t.Cleanup(func() { stop(t, "nrpe", p) })
	return &NRPEServer{Addr: addr, Port: ports[0]}
}

// nrpeConfig is an nrpe.cfg as peers.md gives it: loopback only, arguments
// refused, debug log to a file (no syslog here).
func nrpeConfig(o NRPEOptions, port int, dir, logFile string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pid_file=%s/nrpe.pid\nserver_port=%d\nserver_address=127.0.0.1\nallowed_hosts=127.0.0.1\n", dir, port)
	fmt.Fprintf(&b, "nrpe_user=nagios\nnrpe_group=nagios\ndont_blame_nrpe=0\ndebug=1\nlog_file=%s\ncommand_timeout=10\n", logFile)
	if o.CertFile != "" {
		fmt.Fprintf(&b, "ssl_cert_file=%s\nssl_privatekey_file=%s\nssl_client_certs=0\n", o.CertFile, o.KeyFile)
	}
	names := make([]string, 0, len(o.Commands))
	for n := range o.Commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "command[%s]=%s\n", n, o.Commands[n])
	}
	return b.String()
}

package peers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// npmPeer is a peer shipped as an npm package.
type npmPeer struct {
	// name is the peer's name in messages and its cache directory.
	name    string
	pkg     string
	version string
	// script is the file node runs, relative to the install directory.
	script string
}

// minNodeMajor is the oldest Node.js both peers (and their dependencies'
// "engines") accept.
const minNodeMajor = 20

// installTimeout bounds one npm install; it normally takes 5-30 s.
const installTimeout = 5 * time.Minute

// packageJSON pins the peer's version. The npm registry reachable here is
// filtered: today's mailparser needs an @zone-eu/mailsplit it does not have,
// so both peers get the last mailparser that installs (peers.md).
func (p npmPeer) packageJSON() []byte {
	return fmt.Appendf(nil, `{"name":"vigil-peer-%s","private":true,"dependencies":{%q:%q},"overrides":{"mailparser":"3.9.31"}}`+"\n",
		p.name, p.pkg, p.version)
}

// policy is what to do when a peer is missing (see the package comment).
type policy struct {
	ci         bool
	mayInstall bool
}

func currentPolicy(getenv func(string) string, euid int) policy {
	ci := getenv("CI") == "true"
	return policy{ci: ci, mayInstall: ci || euid == 0 || getenv("VIGIL_PEERS_INSTALL") == "1"}
}

// unavailable ends the test because peer cannot run: a failure under CI, a
// skip that says how to install the peer otherwise.
func (pol policy) unavailable(t testing.TB, peer, why, install string) {
	t.Helper()
	if pol.ci {
		t.Fatalf("test peer %s unavailable (CI=true: a missing peer is a failure): %s\ninstall it with: %s", peer, why, install)
	}
	t.Skipf("test peer %s unavailable: %s\ninstall it with: %s", peer, why, install)
}

// cacheRoot is where peers are installed; it survives between test runs.
func cacheRoot() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "vigil", "peers")
}

// ensureInstalled returns the path of node and the directory under root where
// p is installed, installing it first if the policy allows; otherwise it ends
// the test.
func ensureInstalled(t testing.TB, p npmPeer, pol policy, root string) (node, dir string) {
	t.Helper()
	dir = filepath.Join(root, p.name)
	howTo := fmt.Sprintf("VIGIL_PEERS_INSTALL=1 go test ./... (installs into %s), or by hand: "+
		"mkdir -p %s && cd %s && printf '%%s' '%s' > package.json && npm install", dir, dir, dir, bytes.TrimSpace(p.packageJSON()))
	if err := os.MkdirAll(root, 0o755); err != nil {
		pol.unavailable(t, p.name, err.Error(), howTo)
	}

	node, err := ensureNode(root, pol)
	if err != nil {
		pol.unavailable(t, p.name, err.Error(), fmt.Sprintf("install Node.js >= %d and npm (Debian: apt-get install nodejs npm)", minNodeMajor))
	}

	// The lock serialises test packages (separate processes) that want the
	// same peer at once: the first installs, the others wait and reuse it.
	unlock, err := lockFile(filepath.Join(root, p.name+".lock"))
	if err != nil {
		pol.unavailable(t, p.name, err.Error(), howTo)
	}
	defer unlock()
	if installed(dir, p) {
		return node, dir
	}
	if !pol.mayInstall {
		pol.unavailable(t, p.name, fmt.Sprintf("%s@%s is not installed in %s", p.pkg, p.version, dir), howTo)
	}
	if err := npmInstall(dir, p); err != nil {
		pol.unavailable(t, p.name, err.Error(), howTo)
	}
	return node, dir
}

// stampFile records the package.json a successful install was made from, so
// that an interrupted install or a version change installs again.
const stampFile = ".vigil-installed"

func installed(dir string, p npmPeer) bool {
	stamp, err := os.ReadFile(filepath.Join(dir, stampFile))
	if err != nil || !bytes.Equal(stamp, p.packageJSON()) {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, p.script))
	return err == nil
}

func npmInstall(dir string, p npmPeer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("install %s: %w", p.pkg, err)
	}
	_ = os.Remove(filepath.Join(dir, stampFile))
	if err := os.WriteFile(filepath.Join(dir, "package.json"), p.packageJSON(), 0o644); err != nil {
		return fmt.Errorf("install %s: %w", p.pkg, err)
	}
	logPath := filepath.Join(dir, "npm-install.log")
	if err := run(dir, logPath, "npm", "install", "--no-audit", "--no-fund", "--no-progress"); err != nil {
		return fmt.Errorf("npm install %s@%s in %s: %w", p.pkg, p.version, dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, p.script)); err != nil {
		return fmt.Errorf("npm install %s@%s: %w", p.pkg, p.version, err)
	}
	if err := os.WriteFile(filepath.Join(dir, stampFile), p.packageJSON(), 0o644); err != nil {
		return fmt.Errorf("install %s: %w", p.pkg, err)
	}
	return nil
}

// ensureNode finds node and npm, installing them with apt-get if they are
// missing and the policy allows, and checks node's version.
func ensureNode(root string, pol policy) (string, error) {
	_, npmErr := exec.LookPath("npm")
	node, err := exec.LookPath("node")
	if (err != nil || npmErr != nil) && pol.mayInstall {
		unlock, lerr := lockFile(filepath.Join(root, "node.lock"))
		if lerr != nil {
			return "", lerr
		}
		defer unlock()
		_, npmErr = exec.LookPath("npm")
		if _, nodeErr := exec.LookPath("node"); nodeErr != nil || npmErr != nil {
			if aerr := aptInstall(root, "nodejs", "npm"); aerr != nil {
				return "", aerr
			}
		}
		node, err = exec.LookPath("node")
	}
	if err != nil {
		return "", fmt.Errorf("find node: %w", err)
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", fmt.Errorf("find npm: %w", err)
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("run node --version: %w", err)
	}
	major, err := nodeMajor(string(out))
	if err != nil {
		return "", err
	}
	if major < minNodeMajor {
		return "", fmt.Errorf("node %s is too old: the peers need Node.js >= %d", strings.TrimSpace(string(out)), minNodeMajor)
	}
	return node, nil
}

// nodeMajor parses the output of node --version ("v20.20.2\n").
func nodeMajor(version string) (int, error) {
	v := strings.TrimPrefix(strings.TrimSpace(version), "v")
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return 0, fmt.Errorf("parse node version %q: %w", strings.TrimSpace(version), err)
	}
	return n, nil
}

func aptInstall(root string, pkgs ...string) error {
	if os.Geteuid() != 0 {
		return errors.New("node or npm missing, and apt-get needs root")
	}
	logPath := filepath.Join(root, "apt-get.log")
	if err := run(root, logPath, "apt-get", "update"); err != nil {
		return fmt.Errorf("apt-get update: %w", err)
	}
	args := append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)
	if err := run(root, logPath, "apt-get", args...); err != nil {
		return fmt.Errorf("apt-get install %s: %w", strings.Join(pkgs, " "), err)
	}
	return nil
}

// run runs an install command with its output in logPath; the error carries
// the output's tail.
func run(dir, logPath, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w; output (%s) ends with:\n%s", err, logPath, tailFile(logPath, 30))
	}
	return nil
}

// lockFile takes an exclusive flock on path, waiting for other holders.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}

// tailFile returns the last n lines of the file at path.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(read %s: %v)", path, err)
	}
	return tail(string(b), n)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Package e2e runs the real vigil-agent and vigil-collector binaries against each
// other. `make test` builds them and passes their directory in VIGIL_BIN; without
// it the tests build them into a temporary directory.
package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/proc"
)

var binDir string

func TestMain(m *testing.M) {
	binDir = os.Getenv("VIGIL_BIN")
	if binDir == "" {
		tmp, err := os.MkdirTemp("", "vigil-e2e-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer os.RemoveAll(tmp)
		for _, pkg := range []string{"agent", "collector"} {
			out := filepath.Join(tmp, "vigil-"+pkg)
			cmd := exec.Command("go", "build", "-o", out, "github.com/vigilmon/vigil/"+pkg)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintln(os.Stderr, "build", pkg, err)
				os.Exit(1)
			}
		}
		binDir = tmp
	}
	os.Exit(m.Run())
}

// freePort returns a loopback address nobody listens on right now.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// daemon is a real binary started by a test.
type daemon struct {
	*proc.Proc
	t    testing.TB
	name string
}

// start runs bin with args; its output goes to a log file that is printed if the
// test fails, and it is killed when the test ends.
func start(t testing.TB, bin string, args ...string) *daemon {
	t.Helper()
	p, err := proc.Start(filepath.Join(t.TempDir(), bin+".log"), filepath.Join(binDir, bin), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = p.Stop(syscall.SIGKILL, time.Minute)
		if t.Failed() {
			t.Logf("---- %s log ----\n%s", bin, p.LogText())
		}
	})
	return &daemon{Proc: p, t: t, name: bin}
}

// stop sends sig and waits for the exit; it returns the process error (nil for
// exit status 0) and fails the test if the program needed killing.
func (d *daemon) stop(sig syscall.Signal) error {
	d.t.Helper()
	err, killed := d.Stop(sig, 30*time.Second)
	if killed {
		d.t.Fatalf("%s did not exit within 30s of %v", d.name, sig)
	}
	return err
}

// waitFor polls cond until it holds; the condition is the synchronisation, the
// limit only bounds a broken run.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metric scrapes url and returns the sum of every sample of the named metric, or
// -1 if it cannot be read.
func metric(url, name string) float64 {
	resp, err := http.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sum, found := 0.0, false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err == nil {
			sum += v
			found = true
		}
	}
	if !found {
		return -1
	}
	return sum
}

func httpStatus(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func countFiles(t *testing.T, glob string) int {
	t.Helper()
	m, err := filepath.Glob(glob)
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

func postRaw(url, token, encoding string, body []byte) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

package checks

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
)

// serveTCP runs handle for every connection to a local listener until the
// test ends, and returns the port.
func serveTCP(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				handle(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// steppingClock advances by step on every reading, so a check that reads
// the clock before and after sees exactly step elapse.
func steppingClock(step time.Duration) func() time.Time {
	now := t0
	return func() time.Time {
		now = now.Add(step)
		return now
	}
}

func TestTCP(t *testing.T) {
	banner := serveTCP(t, func(c net.Conn) { fmt.Fprint(c, "SSH-2.0-OpenSSH_9.6\r\n") })
	echo := serveTCP(t, func(c net.Conn) {
		l, _ := bufio.NewReader(c).ReadString('\n')
		fmt.Fprint(c, strings.ToUpper(l))
	})
	silent := serveTCP(t, func(c net.Conn) { c.Read(make([]byte, 1)) }) // until the client hangs up
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()

	tests := []struct {
		name string
		args []string
		step time.Duration
		want string
		st   nagios.State
	}{
		{"connect only", []string{"-p", banner}, 2 * time.Millisecond, "TCP OK - 0.002 second response time on 127.0.0.1:" + banner + " | time=0.002s;;;0;10", nagios.OK},
		{"banner", []string{"-p", banner, "--expect", "SSH-2.0", "-w", "1", "-c", "2"}, time.Millisecond, "TCP OK - 0.001 second response time on 127.0.0.1:" + banner + " | time=0.001s;1;2;0;10", nagios.OK},
		{"send and expect", []string{"-p", echo, "--send", "ping\n", "--expect", "PING"}, time.Millisecond, "TCP OK - 0.001 second response time on 127.0.0.1:" + echo + " | time=0.001s;;;0;10", nagios.OK},
		{"slow", []string{"-p", banner, "-w", "1", "-c", "2"}, 1500 * time.Millisecond, "TCP WARNING - 1.500 second response time on 127.0.0.1:" + banner + " | time=1.5s;1;2;0;10", nagios.Warning},
		{"mismatch", []string{"-p", banner, "--expect", "220 "}, time.Millisecond, `TCP WARNING - unexpected response from 127.0.0.1:` + banner + `: "SSH-2.0-OpenSSH_9.6\r\n" | time=0.001s;;;0;10`, nagios.Warning},
		{"timeout", []string{"-p", silent, "--expect", "x", "-t", "50ms"}, time.Millisecond, "TCP CRITICAL - timeout after 50ms talking to 127.0.0.1:" + silent, nagios.Critical},
		{"refused", []string{"-p", closed}, time.Millisecond, "TCP CRITICAL - connect to 127.0.0.1:" + closed + ": dial tcp 127.0.0.1:" + closed + ": connect: connection refused", nagios.Critical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t)
			env.Now = steppingClock(tt.step)
			r := mustNew(t, env, append([]string{"tcp", "-H", "127.0.0.1"}, tt.args...)...).Run(t.Context())
			if got := line(r); got != tt.want || r.State != tt.st {
				t.Fatalf("got %s %s\nwant %s %s", r.State, got, tt.st, tt.want)
			}
		})
	}
}

package checks

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
)

// maxExpectRead bounds what the tcp check reads while looking for --expect:
// a banner or a short reply, never a stream.
const maxExpectRead = 4096

// tcp is check_tcp: connect to -H:-p, optionally write --send, optionally
// read until --expect appears. Refused or timed out is CRITICAL; a reply
// without the expected text is WARNING, check_tcp's default --mismatch.
// -w/-c are Nagios ranges on the response time in seconds (connect through
// the end of the read).
type tcp struct {
	dial       func(ctx context.Context, network, addr string) (net.Conn, error)
	now        func() time.Time
	addr       string
	send       string
	expect     []byte
	timeout    time.Duration
	thresholds nagios.Thresholds
}

func tcpFlags(fs *flag.FlagSet, env Env) func() (Check, error) {
	host := fs.String("H", "", "`host` name or address")
	port := fs.Int("p", 0, "`port`")
	send := fs.String("send", "", "`string` to write after connecting")
	expect := fs.String("expect", "", "`string` the reply must contain")
	warn := fs.String("w", "", "warning `range` on response time in seconds")
	crit := fs.String("c", "", "critical `range` on response time in seconds")
	timeout := secondsFlag(10 * time.Second)
	fs.Var(&timeout, "t", "connection and read timeout in `seconds`")
	return func() (Check, error) {
		if *host == "" {
			return nil, errors.New("-H host is required")
		}
		if *port <= 0 || *port > 65535 {
			return nil, fmt.Errorf("-p %d: want a port 1-65535", *port)
		}
		t, err := parseRanges("-w", *warn, "-c", *crit)
		if err != nil {
			return nil, err
		}
		return &tcp{
			dial: env.Dial, now: env.Now, addr: net.JoinHostPort(*host, strconv.Itoa(*port)),
			send: *send, expect: []byte(*expect), timeout: time.Duration(timeout), thresholds: t,
		}, nil
	}
}

func (c *tcp) Run(ctx context.Context) nagios.Result {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := c.now()
	reply, err := c.exchange(ctx)
	elapsed := c.now().Sub(start)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
			return result("TCP", nagios.Critical, fmt.Sprintf("timeout after %s talking to %s", c.timeout, c.addr), nil, nil)
		}
		return result("TCP", nagios.Critical, err.Error(), nil, nil)
	}
	perfs := []nagios.Perf{perf("time", round(elapsed.Seconds(), 6), "s", c.thresholds, ptr(0), ptr(c.timeout.Seconds()))}
	if len(c.expect) > 0 && !bytes.Contains(reply, c.expect) {
		return result("TCP", nagios.Warning, fmt.Sprintf("unexpected response from %s: %q", c.addr, truncate(reply, 60)), nil, perfs)
	}
	state := c.thresholds.Evaluate(elapsed.Seconds())
	text := fmt.Sprintf("%s second response time on %s", seconds(elapsed), c.addr)
	return result("TCP", state, text, nil, perfs)
}

// exchange connects, sends and reads until the expected text, EOF or
// maxExpectRead bytes.
func (c *tcp) exchange(ctx context.Context) ([]byte, error) {
	conn, err := c.dial(ctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", c.addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return nil, fmt.Errorf("set deadline on %s: %w", c.addr, err)
		}
	}
	if c.send != "" {
		if _, err := conn.Write([]byte(c.send)); err != nil {
			return nil, fmt.Errorf("send to %s: %w", c.addr, err)
		}
	}
	if len(c.expect) == 0 {
		return nil, nil
	}
	buf := make([]byte, maxExpectRead)
	n := 0
	for n < len(buf) {
		m, err := conn.Read(buf[n:])
		n += m
		if bytes.Contains(buf[:n], c.expect) {
			return buf[:n], nil
		}
		if err != nil {
			if n > 0 && errors.Is(err, io.EOF) {
				return buf[:n], nil // closed after a reply: judge what came
			}
			return nil, fmt.Errorf("read from %s: %w", c.addr, err)
		}
	}
	return buf[:n], nil
}

// truncate shortens a reply for the one-line output.
func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

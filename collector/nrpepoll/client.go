package nrpepoll

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
	"github.com/vigilmon/vigil/internal/nrpe"
)

// ErrNoAnswer is wrapped by the error of a query the daemon hung up on
// without answering. nrpe does that for every request it refuses (bad CRC,
// unsupported packet version, arguments while dont_blame_nrpe=0, nasty
// metacharacters, a client outside allowed_hosts); the reason is only in
// its log.
var ErrNoAnswer = errors.New("daemon closed the connection without answering")

// reprobeAfter is how long a client that fell back to v2 keeps sending v2
// before it tries v4 again: a daemon upgraded in place should get its
// 64 KiB output back, and one v4 hang-up per hour costs an old daemon
// nothing.
const reprobeAfter = time.Hour

// Response is one answer of an NRPE daemon.
type Response struct {
	nagios.Result
	// Version is the packet version that was answered: nrpe.Version4, or
	// nrpe.Version2 for a daemon that refuses v4 (output cut to 1023 bytes).
	Version int
	// PerfErr lists the perfdata items that did not parse (a
	// nagios.PerfErrors); Result.Perf holds the others.
	PerfErr error
}

// Client queries one NRPE daemon, one connection per query as the protocol
// has it. It is safe for concurrent use.
type Client struct {
	addr    string
	tls     *tls.Config // nil: plaintext
	timeout time.Duration
	now     func() time.Time
	dialer  net.Dialer

	mu sync.Mutex
	// v2Since is when the daemon last refused v4 and answered v2; zero
	// while v4 works.
	v2Since time.Time
}

// NewClient returns a client for the daemon at addr (host:port). tlsConfig
// nil means plaintext (nrpe -n). timeout bounds a whole Query: connect, TLS
// handshake, the exchange and a fallback to v2. now may be nil (time.Now).
func NewClient(addr string, tlsConfig *tls.Config, timeout time.Duration, now func() time.Time) *Client {
	if now == nil {
		now = time.Now
	}
	return &Client{addr: addr, tls: tlsConfig, timeout: timeout, now: now}
}

// Query runs command with args on the daemon, as check_nrpe -c command -a
// args does, and parses the answer. Like check_nrpe it sends v4 and, if the
// daemon hangs up or answers with a version error, asks again in v2; the
// client then keeps to v2 for an hour.
//
// The error is that of the transport or the protocol: the daemon did not
// answer, so the state of the command is not known. It is a *ConnectError
// when no connection could be made.
func (c *Client) Query(ctx context.Context, command string, args ...string) (Response, error) {
	query, err := nrpe.JoinQuery(command, args...)
	if err != nil {
		return Response{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	version := c.firstVersion()
	p, err := c.exchange(ctx, version, query)
	if version == nrpe.Version4 && refusedVersion(p, err) {
		p2, err2 := c.exchange(ctx, nrpe.Version2, query)
		if err2 != nil {
			if err != nil {
				return Response{}, fmt.Errorf("query nrpe %s: v4: %v; then v2: %w", c.addr, err, err2)
			}
			return Response{}, fmt.Errorf("query nrpe %s: v4 answered %q; then v2: %w", c.addr, p.Buffer, err2)
		}
		p, err = p2, nil
	}
	if err != nil {
		return Response{}, fmt.Errorf("query nrpe %s: %w", c.addr, err)
	}
	c.answered(p.Version)
	res, perr := nagios.ParseOutput(p.Buffer, int(p.ResultCode))
	return Response{Result: res, Version: p.Version, PerfErr: perr}, nil
}

// Version is the packet version the next query starts with.
func (c *Client) Version() int { return c.firstVersion() }

func (c *Client) firstVersion() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.v2Since.IsZero() || c.now().Sub(c.v2Since) >= reprobeAfter {
		return nrpe.Version4
	}
	return nrpe.Version2
}

// answered records the version a daemon answered.
func (c *Client) answered(version int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case version != nrpe.Version2:
		c.v2Since = time.Time{}
	case c.v2Since.IsZero() || c.now().Sub(c.v2Since) >= reprobeAfter:
		// A fallback, or a re-probe that fell back again: v2 for another hour.
		c.v2Since = c.now()
	}
}

// refusedVersion reports an outcome of a v4 query that means "ask again in
// v2", as check_nrpe reads it: the daemon hung up without a byte, sent
// something that is not a packet version we know, or (NSClient++) answered
// in v2 that the packet version was invalid.
func refusedVersion(p nrpe.Packet, err error) bool {
	if err != nil {
		return errors.Is(err, ErrNoAnswer) || errors.Is(err, nrpe.ErrVersion)
	}
	return p.Version == nrpe.Version2 && bytes.Contains(p.Buffer, []byte("Invalid packet version"))
}

// ConnectError is a query that failed before a byte was sent: the TCP
// connect or the TLS handshake. It concerns the daemon, not the command, so
// the poller does not try the target's other commands in the same round.
type ConnectError struct {
	Addr string
	// TLS is set when TCP connected but the handshake failed.
	TLS bool
	Err error
}

func (e *ConnectError) Error() string {
	if e.TLS {
		return fmt.Sprintf("tls handshake with %s: %v", e.Addr, e.Err)
	}
	return fmt.Sprintf("connect to %s: %v", e.Addr, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// exchange sends one query packet of the given version on a new connection
// and reads the answer.
func (c *Client) exchange(ctx context.Context, version int, query string) (nrpe.Packet, error) {
	b, err := nrpe.Encode(nrpe.Packet{Version: version, Type: nrpe.QueryPacket, Buffer: []byte(query)})
	if err != nil {
		return nrpe.Packet{}, err
	}
	conn, err := c.connect(ctx)
	if err != nil {
		return nrpe.Packet{}, err
	}
	defer conn.Close()
	// Cancelling ctx (the poller stopping) must not wait for the deadline.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if _, err := conn.Write(b); err != nil {
		return nrpe.Packet{}, hangUp(fmt.Errorf("send v%d query: %w", version, err))
	}
	p, err := nrpe.Decode(conn, nrpe.MaxBuffer)
	if err != nil {
		return nrpe.Packet{}, hangUp(fmt.Errorf("read answer to v%d query: %w", version, err))
	}
	if err := p.Expect(nrpe.ResponsePacket); err != nil {
		return nrpe.Packet{}, fmt.Errorf("read answer to v%d query: %w", version, err)
	}
	return p, nil
}

// connect dials the daemon and, unless plaintext, completes the TLS
// handshake, all under ctx's deadline, which it also sets on the
// connection.
func (c *Client) connect(ctx context.Context) (net.Conn, error) {
	conn, err := c.dialer.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, &ConnectError{Addr: c.addr, Err: err}
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if c.tls == nil {
		return conn, nil
	}
	tc := tls.Client(conn, c.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, &ConnectError{Addr: c.addr, TLS: true, Err: err}
	}
	return tc, nil
}

// hangUp marks err with ErrNoAnswer when it says the daemon closed the
// connection before the first byte of an answer: a clean EOF, or a reset
// because nrpe closed with part of our query unread.
func hangUp(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("%w (%v)", ErrNoAnswer, err)
	}
	return err
}

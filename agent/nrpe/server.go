package nrpe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilmon/vigil/internal/nagios"
)

// RunFunc runs a check with the query's arguments, in $ARG1$.. order, already
// checked against the command's params. It must return soon after ctx is
// done (the command timeout, or the server stopping); the agent's check
// runner passes each argument as one whole argv element, never to a shell.
type RunFunc func(ctx context.Context, args []string) nagios.Result

// Options is what the server needs from the rest of the agent.
type Options struct {
	// Checks returns the function that runs the configured check of that
	// name, false when there is none. Every commands.*.check must resolve.
	Checks func(check string) (RunFunc, bool)
	// Logger gets one line per refusal and failure (Warn) and per request
	// served (Debug). nil discards.
	Logger *slog.Logger
	// Registerer gets the vigil_agent_nrpe_* metrics; nil skips them.
	Registerer prometheus.Registerer
	// Version is the agent's version, added to the hello answer.
	Version string
}

// command is a configured command, compiled.
type command struct {
	params []param
	run    RunFunc
}

// Server answers NRPE queries from check_nrpe. Create it with New, run it
// with Serve, end it with Stop.
type Server struct {
	cfg      Config
	log      *slog.Logger
	m        *metrics
	ln       net.Listener
	tls      *tls.Config // nil: plaintext
	allowed  []netip.Prefix
	commands map[string]command
	hello    string
	slots    chan struct{} // one token per connection being served

	ctx    context.Context // ends when the server stops
	cancel context.CancelFunc
	conns  sync.WaitGroup
	serve  sync.Mutex // held by Serve while it runs, so Stop can wait for it
	once   sync.Once
}

// ProtocolVersion is the nrpe release whose behaviour the server follows;
// the hello answer starts "NRPE v" and this, as monitoring scripts expect.
const ProtocolVersion = "4.1.0"

// New checks cfg, loads the certificates, resolves every command's check
// and listens on cfg.Listen. Serve then answers connections.
func New(cfg Config, opts Options) (*Server, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		msgs := make([]error, len(errs))
		for i, e := range errs {
			msgs[i] = fmt.Errorf("%s: %s", e.Path, e.Msg)
		}
		return nil, fmt.Errorf("check nrpe config: %w", errors.Join(msgs...))
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:   cfg,
		log:   logger.With("component", "nrpe"),
		hello: "NRPE v" + ProtocolVersion,
		slots: make(chan struct{}, cfg.MaxConnections),
	}
	if opts.Version != "" {
		s.hello += " (vigil-agent " + opts.Version + ")"
	}
	for _, h := range cfg.AllowedHosts {
		p, _ := parseHost(h) // Validate has checked every entry
		s.allowed = append(s.allowed, p)
	}
	var err error
	if s.commands, err = compileCommands(cfg.Commands, opts.Checks); err != nil {
		return nil, err
	}
	if !cfg.Plaintext {
		if s.tls, err = loadTLS(cfg.TLS); err != nil {
			return nil, err
		}
	}
	if s.m, err = newMetrics(opts.Registerer); err != nil {
		return nil, err
	}
	if s.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("listen for nrpe: %w", err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

func compileCommands(cfgs map[string]CommandConfig, checks func(string) (RunFunc, bool)) (map[string]command, error) {
	names := make([]string, 0, len(cfgs))
	for name := range cfgs {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make(map[string]command, len(cfgs))
	var errs []error
	for _, name := range names {
		cc := cfgs[name]
		var run RunFunc
		ok := false
		if checks != nil {
			run, ok = checks(cc.Check)
		}
		if !ok {
			errs = append(errs, fmt.Errorf("resolve nrpe command %s: no check named %q", name, cc.Check))
			continue
		}
		params, err := compileParams(cc.Params)
		if err != nil {
			errs = append(errs, fmt.Errorf("compile nrpe command %s: %w", name, err))
			continue
		}
		out[name] = command{params: params, run: run}
	}
	return out, errors.Join(errs...)
}

func loadTLS(c TLSConfig) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load nrpe certificate: %w", err)
	}
	// TLS 1.2 is the floor because check_nrpe 4.x negotiates 1.3 (or 1.2
	// with an older OpenSSL); only ancient clients offer less.
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.ClientCAFile != "" {
		pem, err := os.ReadFile(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("read nrpe client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read nrpe client CA %s: no PEM certificate in it", c.ClientCAFile)
		}
		conf.ClientCAs, conf.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return conf, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve answers connections until ctx is done or Stop is called, then
// stops the server (see Stop) and returns nil. It returns an error only
// when accepting fails for good.
func (s *Server) Serve(ctx context.Context) error {
	s.serve.Lock()
	defer s.serve.Unlock()
	stop := context.AfterFunc(ctx, s.shutdown)
	defer stop()
	s.log.Info("nrpe server listening", "addr", s.ln.Addr().String(), "tls", s.tls != nil,
		"client_certs", s.tls != nil && s.tls.ClientCAs != nil, "allow_arguments", s.cfg.AllowArguments,
		"commands", len(s.commands))
	var backoff time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				s.conns.Wait()
				return nil
			}
			// Out of file descriptors and the like: net/http's back-off,
			// so that a full fd table is not spun on.
			if isTemporary(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept nrpe connection failed; retrying", "err", err, "retry_in", backoff)
				s.wait(backoff)
				continue
			}
			s.shutdown()
			s.conns.Wait()
			return fmt.Errorf("accept nrpe connection: %w", err)
		}
		backoff = 0
		s.accept(c)
	}
}

// isTemporary reports accept errors that pass (EMFILE, ENFILE,
// ECONNABORTED): syscall.Errno still says so through Temporary.
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// wait sleeps for d or until the server stops.
func (s *Server) wait(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.ctx.Done():
	}
}

// accept applies allowed_hosts and max_connections, which cost nothing to
// check and are checked before a byte is read, then serves c.
func (s *Server) accept(c net.Conn) {
	remote := netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		remote = a.AddrPort()
	}
	log := s.log.With("remote", remote.String())
	if !s.allowedHost(remote.Addr()) {
		s.closeUnread(c, log, reasonHostNotAllowed, "host is not in allowed_hosts")
		return
	}
	select {
	case s.slots <- struct{}{}:
	default:
		s.closeUnread(c, log, reasonTooMany, fmt.Sprintf("max_connections (%d) are being served", s.cfg.MaxConnections))
		return
	}
	s.conns.Go(func() {
		defer func() { <-s.slots }()
		s.serveConn(c, log)
	})
}

func (s *Server) allowedHost(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range s.allowed {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// closeUnread refuses a connection before reading from it, with a reset
// (SO_LINGER 0). A plain close would race the client's first write: check_nrpe
// then writes into a half-dead socket and dies of SIGPIPE, which Nagios shows
// as a plugin killed by a signal. The reset makes check_nrpe report
// "Connection reset by peer", as it does with nrpe, which closes once the
// query has arrived.
func (s *Server) closeUnread(c net.Conn, log *slog.Logger, reason, why string) {
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	c.Close()
	s.m.refusals.WithLabelValues(reason).Inc()
	s.m.requests.WithLabelValues(resultDropped).Inc()
	log.Warn("nrpe connection refused", "reason", reason, "why", why)
}

// Stop stops accepting, cancels the commands running, aborts the
// connections in flight and waits until they and Serve have returned. It
// may be called any number of times, before, during or after Serve.
func (s *Server) Stop() {
	s.shutdown()
	s.serve.Lock() // Serve holds it until its connections are done
	defer s.serve.Unlock()
	s.conns.Wait()
}

func (s *Server) shutdown() {
	s.once.Do(func() {
		s.cancel()
		s.ln.Close()
	})
}

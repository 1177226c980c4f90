package fakees

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Flavor selects which product the server imitates.
type Flavor int

const (
	// Elasticsearch is a single-node Elasticsearch 8.x cluster.
	Elasticsearch Flavor = iota
	// OpenSearch is an AWS OpenSearch Service 2.x domain.
	OpenSearch
)

func (f Flavor) String() string {
	if f == OpenSearch {
		return "opensearch"
	}
	return "elasticsearch"
}

// Options configure a Server. The zero value is an unauthenticated
// Elasticsearch 8.15.0.
type Options struct {
	Flavor Flavor
	// Version is reported by GET /; default "8.15.0" (ES) or "2.15.0" (OpenSearch).
	Version string
	// At most one of BasicUser/BasicPass, APIKey and SigV4 may be set; none
	// means no authentication is required.
	BasicUser, BasicPass string
	// APIKey is the base64 "id:key" value clients send as
	// "Authorization: ApiKey <APIKey>".
	APIKey string
	// SigV4 makes the server verify AWS Signature Version 4 like an IAM
	// protected OpenSearch Service domain.
	SigV4 *SigV4Options
	// Now is the cluster clock (TSDS time bounds, backing index names);
	// default time.Now.
	Now func() time.Time
}

// SigV4Options are the credentials and scope a SigV4 request must be signed
// with. Region defaults to "us-east-1" and Service to "es".
type SigV4Options struct{ AccessKey, SecretKey, SessionToken, Region, Service string }

// Server is a fake cluster listening on a loopback port.
type Server struct {
	opts        Options
	clusterUUID string
	routes      []*route

	life   sync.Mutex
	addr   string
	cur    *run
	closed bool

	mu sync.RWMutex // guards c
	c  *cluster

	faults  faults
	latency atomic.Int64
	reqlog  reqLog
	// onLogged, if set before requests arrive, is called once a request is
	// logged and before the latency wait, so tests can tell it is in flight.
	onLogged func(*http.Request)
}

// maxContentLength is ES's default http.max_content_length.
const maxContentLength = 100 << 20

// New starts a server on 127.0.0.1 with a free port. It panics if it cannot
// listen or if more than one authentication method is configured, as
// httptest.NewServer does, because tests cannot proceed either way.
func New(o Options) *Server {
	if o.Version == "" {
		o.Version = "8.15.0"
		if o.Flavor == OpenSearch {
			o.Version = "2.15.0"
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	auths := 0
	for _, set := range []bool{o.BasicUser != "" || o.BasicPass != "", o.APIKey != "", o.SigV4 != nil} {
		if set {
			auths++
		}
	}
	if auths > 1 {
		panic("fakees: set at most one of BasicUser/BasicPass, APIKey and SigV4")
	}
	if o.SigV4 != nil {
		v := *o.SigV4
		if v.Region == "" {
			v.Region = "us-east-1"
		}
		if v.Service == "" {
			v.Service = "es"
		}
		o.SigV4 = &v
	}
	s := &Server{opts: o, clusterUUID: newUUID()}
	s.c = newCluster(s)
	s.routes = s.buildRoutes()
	if err := s.listen("127.0.0.1:0"); err != nil {
		panic(fmt.Sprintf("fakees: %v", err))
	}
	return s
}

// URL is the base URL, e.g. "http://127.0.0.1:41234". It stays the same
// across Stop and Start.
func (s *Server) URL() string {
	s.life.Lock()
	defer s.life.Unlock()
	return "http://" + s.addr
}

// Stop closes the listener and every connection, as if the cluster went
// away, but keeps all data. It waits for running handlers to return.
func (s *Server) Stop() {
	s.life.Lock()
	defer s.life.Unlock()
	if s.cur == nil {
		return
	}
	s.cur.shutdown()
	s.cur = nil
}

// Start listens again on the same port with the same data. It is a no-op
// while the server runs and an error after Close or if the port was taken.
func (s *Server) Start() error {
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return errors.New("fakees: start: server closed")
	}
	if s.cur != nil {
		return nil
	}
	return s.listenLocked(s.addr)
}

// Close stops the server for good. It is idempotent.
func (s *Server) Close() {
	s.Stop()
	s.life.Lock()
	s.closed = true
	s.life.Unlock()
}

func (s *Server) listen(addr string) error {
	s.life.Lock()
	defer s.life.Unlock()
	return s.listenLocked(addr)
}

func (s *Server) listenLocked(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	s.addr = ln.Addr().String()
	r := &run{served: make(chan struct{}), stop: make(chan struct{}), idle: make(chan struct{})}
	r.srv = &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { s.serve(r, w, req) }),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(r.served)
		_ = r.srv.Serve(ln)
	}()
	s.cur = r
	return nil
}

// run is one listening period between Start and Stop. It counts running
// handlers itself because a WaitGroup may not be added to while waited on.
type run struct {
	srv      *http.Server
	served   chan struct{}
	stop     chan struct{}
	idle     chan struct{}
	mu       sync.Mutex
	active   int
	stopping bool
}

func (r *run) enter() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping {
		return false
	}
	r.active++
	return true
}

func (r *run) exit() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active--
	if r.stopping && r.active == 0 {
		close(r.idle)
	}
}

func (r *run) shutdown() {
	r.mu.Lock()
	r.stopping = true
	close(r.stop)
	if r.active == 0 {
		close(r.idle)
	}
	r.mu.Unlock()
	_ = r.srv.Close()
	<-r.served
	<-r.idle
}

// serve is the request pipeline every request goes through, in the order a
// real cluster behind a load balancer applies it.
func (s *Server) serve(r *run, w http.ResponseWriter, req *http.Request) {
	if !r.enter() {
		panic(http.ErrAbortHandler)
	}
	defer r.exit()
	h := w.Header()
	if s.opts.Flavor == Elasticsearch {
		h.Set("X-Elastic-Product", "Elasticsearch")
	}
	if id := req.Header.Get("X-Opaque-Id"); id != "" {
		h.Set("X-Opaque-Id", id)
	}
	raw, err := io.ReadAll(io.LimitReader(req.Body, maxContentLength+1))
	if err != nil {
		return // the client went away mid-body
	}
	if len(raw) > maxContentLength {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	body := raw
	if strings.EqualFold(req.Header.Get("Content-Encoding"), "gzip") && len(raw) > 0 {
		if body, err = gunzip(raw); err != nil {
			s.reqlog.add(req, raw)
			rc := s.newReqCtx(w, req, nil)
			rc.fail(http.StatusBadRequest, newErr("illegal_argument_exception", "failed to decompress request body: %v", err))
			return
		}
	}
	s.reqlog.add(req, body)
	if s.onLogged != nil {
		s.onLogged(req)
	}
	if d := time.Duration(s.latency.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.stop:
			t.Stop()
			panic(http.ErrAbortHandler)
		case <-req.Context().Done():
			t.Stop()
			return
		}
	}
	rc := s.newReqCtx(w, req, body)
	if !s.authenticate(rc, raw) || s.injectFailure(rc) || !s.checkMedia(rc) {
		return
	}
	s.dispatch(rc)
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(io.LimitReader(zr, maxContentLength))
}

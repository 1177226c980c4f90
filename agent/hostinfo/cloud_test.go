package hostinfo

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/model"
)

// fakeIMDS implements the two IMDSv2 calls Gather makes, strictly: a token
// must be requested with a TTL, and the document needs that token.
type fakeIMDS struct {
	tokenCalls, docCalls, unauthorized atomic.Int32
}

const fakeToken = "AQAEAJ-test-token=="

func (f *fakeIMDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
		f.tokenCalls.Add(1)
		if r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") == "" {
			http.Error(w, "missing ttl", http.StatusBadRequest)
			return
		}
		w.Header().Set("X-aws-ec2-metadata-token-ttl-seconds", "21600")
		_, _ = w.Write([]byte(fakeToken))
	case r.Method == http.MethodGet && r.URL.Path == "/latest/dynamic/instance-identity/document":
		f.docCalls.Add(1)
		if r.Header.Get("X-aws-ec2-metadata-token") != fakeToken {
			f.unauthorized.Add(1)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"accountId": "123456789012", "architecture": "x86_64", "availabilityZone": "eu-west-1b",
			"imageId": "ami-0abcdef1234567890", "instanceId": "i-0123456789abcdef0", "instanceType": "m6i.large",
			"pendingTime": "2024-05-01T10:00:00Z", "privateIp": "10.0.1.17", "region": "eu-west-1", "version": "2017-09-30",
		})
	default:
		http.NotFound(w, r)
	}
}

func TestGatherIMDSv2(t *testing.T) {
	imds := &fakeIMDS{}
	srv := httptest.NewServer(imds)
	defer srv.Close()

	h := fixtureSources(nil).gather(context.Background(), Options{IMDS: true, IMDSEndpoint: srv.URL})
	want := &model.Cloud{
		Provider: "aws", Region: "eu-west-1", AvailabilityZone: "eu-west-1b",
		InstanceID: "i-0123456789abcdef0", InstanceType: "m6i.large", AccountID: "123456789012",
	}
	if h.Cloud == nil || *h.Cloud != *want {
		t.Fatalf("cloud = %+v, want %+v", h.Cloud, want)
	}
	if imds.tokenCalls.Load() != 1 || imds.docCalls.Load() != 1 || imds.unauthorized.Load() != 0 {
		t.Errorf("token calls %d, document calls %d (%d without token); want one authorized call each",
			imds.tokenCalls.Load(), imds.docCalls.Load(), imds.unauthorized.Load())
	}
}

// A metadata service that refuses tokens (or an IMDSv1-only fake) must not
// make the client fall back to unauthenticated requests.
func TestGatherIMDSNoFallbackToV1(t *testing.T) {
	var docCalls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/latest/dynamic/instance-identity/document" {
			docCalls.Add(1)
		}
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	defer srv.Close()
	h := fixtureSources(nil).gather(context.Background(), Options{IMDS: true, IMDSEndpoint: srv.URL})
	if h.Cloud != nil || docCalls.Load() != 0 {
		t.Errorf("cloud = %+v after %d unauthenticated document requests", h.Cloud, docCalls.Load())
	}
}

func TestGatherIMDSUnreachable(t *testing.T) {
	// Refused: nothing listens on the port any more.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()

	// Black hole: the server accepts and never answers, like packets to
	// 169.254.169.254 dropped on a non-EC2 network.
	release := make(chan struct{})
	hole := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hole.Close()
	defer close(release)

	for name, endpoint := range map[string]string{"refused": refused, "black hole": hole.URL} {
		t.Run(name, func(t *testing.T) {
			const timeout = 100 * time.Millisecond
			start := time.Now()
			h := fixtureSources(nil).gather(context.Background(),
				Options{IMDS: true, IMDSEndpoint: endpoint, IMDSTimeout: timeout})
			took := time.Since(start)
			if h.Cloud != nil {
				t.Errorf("cloud = %+v, want nil", h.Cloud)
			}
			if h.Hostname != "web-1" {
				t.Errorf("host identity lost: %+v", h)
			}
			// A loose bound, not a benchmark: without our timeout the SDK
			// would wait 5 s per attempt and retry.
			if took > timeout+2*time.Second {
				t.Errorf("Gather took %v with a %v metadata timeout", took, timeout)
			}
		})
	}
}

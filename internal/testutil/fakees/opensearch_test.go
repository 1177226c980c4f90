package fakees

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/opensearch-project/opensearch-go/v4/signer"
	"github.com/opensearch-project/opensearch-go/v4/signer/awsv2"
)

var testSigV4 = &SigV4Options{AccessKey: "AKIDEXAMPLE", SecretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", SessionToken: "tok", Region: "eu-west-1"}

func awsSigner(t *testing.T, secret, region string) signer.Signer {
	t.Helper()
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(testSigV4.AccessKey, secret, testSigV4.SessionToken)}
	sg, err := awsv2.NewSigner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

func osClient(t *testing.T, s *Server, sg signer.Signer) *opensearchapi.Client {
	t.Helper()
	c, err := opensearchapi.NewClient(opensearchapi.Config{Client: opensearch.Config{Addresses: []string{s.URL()}, Transport: transport(t), Signer: sg, DisableRetry: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Client.Close() })
	return c
}

func TestOpenSearchClient(t *testing.T) {
	s := newServer(t, Options{Flavor: OpenSearch, SigV4: testSigV4})
	c := osClient(t, s, awsSigner(t, testSigV4.SecretKey, "eu-west-1"))
	ctx := context.Background()
	info, err := c.Info(ctx, nil)
	if err != nil {
		t.Fatalf("info: %v", err)
	}
	if info.Version.Distribution != "opensearch" || info.Version.Number != "2.15.0" {
		t.Errorf("info %+v", info)
	}
	_, err = c.IndexTemplate.Create(ctx, opensearchapi.IndexTemplateCreateReq{IndexTemplate: "vigil",
		Body: strings.NewReader(`{"index_patterns":["logs-vigil-*"],"data_stream":{},"priority":100}`)})
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	bulk, err := c.Bulk(ctx, opensearchapi.BulkReq{Body: strings.NewReader(
		"{\"create\":{\"_index\":\"logs-vigil-default\",\"_id\":\"1\"}}\n{\"@timestamp\":\"2025-03-14T11:00:00Z\",\"message\":\"hi\"}\n" +
			"{\"index\":{\"_index\":\"logs-vigil-default\",\"_id\":\"2\"}}\n{\"@timestamp\":\"2025-03-14T11:00:00Z\"}\n")})
	if err != nil {
		t.Fatalf("bulk: %v", err)
	}
	if !bulk.Errors || bulk.Items[0]["create"].Status != 201 || bulk.Items[1]["index"].Status != 400 {
		t.Errorf("bulk %+v", bulk.Items)
	}
	// OpenSearch names backing indices without the date.
	if got := bulk.Items[0]["create"].Index; got != ".ds-logs-vigil-default-000001" {
		t.Errorf("backing index %q", got)
	}
	res, err := c.Search(ctx, &opensearchapi.SearchReq{Indices: []string{"logs-vigil-*"}, Body: strings.NewReader(`{"query":{"bool":{"filter":[{"ids":{"values":["1"]}},{"term":{"_id":"1"}}]}}}`)})
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	if res.Hits.Total.Value != 1 || res.Hits.Hits[0].ID != "1" {
		t.Errorf("search %+v", res.Hits)
	}
}

func TestSigV4(t *testing.T) {
	s := newServer(t, Options{Flavor: OpenSearch, SigV4: testSigV4})
	signed := func(t *testing.T, sg signer.Signer, body string) *http.Request {
		req, _ := http.NewRequest("POST", s.URL()+"/_bulk?refresh=true", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-ndjson")
		if err := sg.SignRequest(req); err != nil {
			t.Fatal(err)
		}
		return req
	}
	body := "{\"index\":{\"_index\":\"sig\",\"_id\":\"1\"}}\n{\"a\":1}\n"
	good := awsSigner(t, testSigV4.SecretKey, "eu-west-1")
	tests := []struct {
		name   string
		req    func(t *testing.T) *http.Request
		status int
		msg    string
	}{
		{"signed", func(t *testing.T) *http.Request { return signed(t, good, body) }, 200, ""},
		{"unsigned", func(t *testing.T) *http.Request {
			r, _ := http.NewRequest("GET", s.URL()+"/", nil)
			return r
		}, 403, "User: anonymous is not authorized to perform: es:ESHttpGet"},
		{"wrong secret", func(t *testing.T) *http.Request { return signed(t, awsSigner(t, "nope", "eu-west-1"), body) }, 403, "The request signature we calculated does not match"},
		{"wrong region", func(t *testing.T) *http.Request {
			return signed(t, awsSigner(t, testSigV4.SecretKey, "us-east-1"), body)
		}, 403, "The request signature we calculated does not match"},
		{"tampered body", func(t *testing.T) *http.Request {
			r := signed(t, good, body)
			tampered := strings.Replace(body, `"a":1`, `"a":2`, 1)
			r.Body = io.NopCloser(strings.NewReader(tampered))
			return r
		}, 403, "x-amz-content-sha256"},
		{"tampered path", func(t *testing.T) *http.Request {
			r := signed(t, good, body)
			r.URL.Path = "/other/_bulk"
			return r
		}, 403, "The request signature we calculated does not match"},
		{"tampered signed header", func(t *testing.T) *http.Request {
			r := signed(t, good, body)
			r.Header.Set("Content-Type", "application/json")
			return r
		}, 403, "The request signature we calculated does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, tc.req(t))
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.msg != "" && !strings.Contains(r.body["message"].(string), tc.msg) {
				t.Errorf("message %s, want %q", r.raw, tc.msg)
			}
		})
	}
	// Signed gzip bodies are verified on the wire bytes and decompressed.
	c, err := opensearchapi.NewClient(opensearchapi.Config{Client: opensearch.Config{Addresses: []string{s.URL()}, Transport: transport(t), Signer: good, CompressRequestBody: true, DisableRetry: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Client.Close() })
	if _, err := c.Index(context.Background(), opensearchapi.IndexReq{Index: "sig", DocumentID: "2", Body: bytes.NewReader([]byte(`{"a":3}`))}); err != nil {
		t.Fatalf("compressed signed index: %v", err)
	}
	if d := s.Docs("sig"); len(d) != 2 || d[1].Source["a"] != float64(3) {
		t.Errorf("docs %+v", d)
	}
}

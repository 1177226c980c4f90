// Package fakees is an in-process HTTP server that answers like a single-node
// Elasticsearch 8.x cluster or, in OpenSearch mode, like AWS OpenSearch
// Service 2.x.
//
// No Elasticsearch can be installed where Vigil's tests run, so this fake is
// the peer: the collector's contract tests, the end-to-end tests that run
// real binaries against its URL and the benchmarks all talk to it with the
// real clients (go-elasticsearch, opensearch-go). It therefore copies the
// REST API where clients and the collector look: status codes, error types
// and reasons, response bodies and headers, the product check, media types,
// authentication, templates, data streams, TSDS, dynamic mappings, bulk,
// optimistic concurrency and a filter-only search. Anything it does not
// implement answers 400 rather than pretending, so nobody relies on it
// silently.
//
// Every document is searchable as soon as the write returns (the fake is
// always refreshed). Fault injection (RejectItems, FailRequests, SetLatency,
// Stop/Start) lets tests exercise the retry and outage paths.
package fakees

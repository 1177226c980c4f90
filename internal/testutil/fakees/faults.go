package fakees

import (
	"fmt"
	"net/http"
)

// injectFailure answers the request with an injected whole-request failure
// if one is pending. GET / stays healthy so clients' product checks and
// health probes keep seeing a live cluster.
func (s *Server) injectFailure(rc *reqCtx) bool {
	if len(rc.segs) == 0 {
		return false
	}
	status := s.faults.takeFailure()
	if status == 0 {
		return false
	}
	last := rc.segs[len(rc.segs)-1]
	search := last == "_search" || last == "_count"
	var e *esError
	switch status {
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		// These come from the load balancer in front of the cluster, not
		// from Elasticsearch, so they carry no ES headers or JSON.
		rc.w.Header().Del("X-Elastic-Product")
		text := fmt.Sprintf("%d %s", status, http.StatusText(status))
		page := "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text + "</h1></center>\r\n</body>\r\n</html>\r\n"
		rc.raw(status, "text/html", []byte(page))
		return true
	case http.StatusTooManyRequests:
		e = newErr("es_rejected_execution_exception", "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=%d, max_coordinating_and_primary_bytes=107374182]", len(rc.body))
	case http.StatusServiceUnavailable:
		inner := newErr("no_shard_available_action_exception", "No shard available for [%s %s]", rc.r.Method, rc.r.URL.RequestURI())
		switch {
		case search:
			e = shardFailure(inner)
		case rc.r.Method == http.MethodGet:
			e = inner
		default:
			e = newErr("cluster_block_exception", "blocked by: [SERVICE_UNAVAILABLE/2/no master];")
		}
	case http.StatusUnauthorized, http.StatusForbidden:
		e = newErr("security_exception", "action [%s] is unauthorized", rc.r.URL.Path)
	case http.StatusInternalServerError:
		e = newErr("exception", "injected internal failure")
	default:
		e = newErr("status_exception", "injected failure with status [%d]", status)
	}
	rc.fail(status, e)
	return true
}

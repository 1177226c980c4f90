package fakees

import (
	"net/http"
	"sort"
	"strings"
)

type handler func(rc *reqCtx)

// route is one REST path pattern; "{}" matches any single segment.
type route struct {
	pattern []string
	methods map[string]handler
}

func (s *Server) buildRoutes() []*route {
	var rs []*route
	add := func(path string, h handler, methods ...string) {
		r := &route{methods: map[string]handler{}}
		if path != "" {
			r.pattern = strings.Split(path, "/")
		}
		for _, m := range methods {
			r.methods[m] = h
		}
		rs = append(rs, r)
	}
	get, head, put, post, del := http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete
	add("", s.handleInfo, get, head)
	add("_bulk", s.handleBulk, post, put)
	add("{}/_bulk", s.handleBulk, post, put)
	add("_search", s.handleSearch, get, post)
	add("{}/_search", s.handleSearch, get, post)
	add("_count", s.handleCount, get, post)
	add("{}/_count", s.handleCount, get, post)
	add("_refresh", s.handleRefresh, get, post)
	add("{}/_refresh", s.handleRefresh, get, post)
	add("_mapping", s.handleMapping, get)
	add("{}/_mapping", s.handleMapping, get, put, post)
	add("_component_template", s.handleComponentTemplate, get)
	add("_component_template/{}", s.handleComponentTemplate, get, head, put, post, del)
	add("_index_template", s.handleIndexTemplate, get)
	add("_index_template/{}", s.handleIndexTemplate, get, head, put, post, del)
	add("_data_stream", s.handleDataStream, get)
	add("_data_stream/{}", s.handleDataStream, get, put, del)
	add("{}/_rollover", s.handleRollover, post)
	add("{}/_settings", s.handleSettings, get, put)
	add("_cluster/health", s.handleHealth, get)
	if s.opts.Flavor == Elasticsearch {
		add("_ilm/policy", s.handleILM, get)
		add("_ilm/policy/{}", s.handleILM, get, put, del)
	} else {
		add("_plugins/_ism/policies", s.handleISM, get)
		add("_plugins/_ism/policies/{}", s.handleISM, get, put, del)
	}
	add("{}", s.handleIndex, put, get, head, del)
	add("{}/_doc", s.handleDoc, post)
	add("{}/_doc/{}", s.handleDoc, get, head, put, post, del)
	add("{}/_create/{}", s.handleDoc, put, post)
	add("{}/_update/{}", s.handleDoc, post)
	add("{}/_source/{}", s.handleDoc, get, head)
	return rs
}

func (r *route) literals(segs []string) (int, bool) {
	if len(r.pattern) != len(segs) {
		return 0, false
	}
	n := 0
	for i, p := range r.pattern {
		switch {
		case p == "{}":
			if segs[i] == "" {
				return 0, false
			}
		case p == segs[i]:
			n++
		default:
			return 0, false
		}
	}
	return n, true
}

// dispatch picks the most specific route that has the method, like ES's
// RestController: 405 only when no matching path allows the method.
func (s *Server) dispatch(rc *reqCtx) {
	type cand struct {
		r   *route
		lit int
	}
	var cands []cand
	for _, r := range s.routes {
		if n, ok := r.literals(rc.segs); ok {
			cands = append(cands, cand{r, n})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].lit > cands[j].lit })
	allowed := map[string]bool{}
	for _, c := range cands {
		if h := c.r.methods[rc.r.Method]; h != nil {
			h(rc)
			return
		}
		for m := range c.r.methods {
			allowed[m] = true
		}
	}
	uri := rc.r.URL.RequestURI()
	if len(cands) == 0 {
		rc.simple(http.StatusBadRequest, "no handler found for uri ["+uri+"] and method ["+rc.r.Method+"]", false)
		return
	}
	methods := make([]string, 0, len(allowed))
	for m := range allowed {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	rc.w.Header().Set("Allow", strings.Join(methods, ","))
	rc.simple(http.StatusMethodNotAllowed, "Incorrect HTTP method for uri ["+uri+"] and method ["+rc.r.Method+"], allowed: ["+strings.Join(methods, ", ")+"]", true)
}

func (s *Server) handleInfo(rc *reqCtx) {
	v := map[string]any{
		"number": s.opts.Version, "build_type": "docker", "build_hash": "1a77947f34deddb41af25e6f0ddb8e830159c179",
		"build_date": "2024-08-05T10:05:34.233336849Z", "build_snapshot": false,
		"minimum_wire_compatibility_version": "7.17.0", "minimum_index_compatibility_version": "7.0.0",
	}
	body := map[string]any{"name": "fake-node", "cluster_name": "fake", "cluster_uuid": s.clusterUUID, "version": v}
	if s.opts.Flavor == OpenSearch {
		v["distribution"] = "opensearch"
		v["build_type"] = "tar"
		v["lucene_version"] = "9.10.0"
		v["minimum_wire_compatibility_version"] = "7.10.0"
		body["cluster_name"] = "123456789012:fake"
		body["tagline"] = "The OpenSearch Project: https://opensearch.org/"
	} else {
		v["build_flavor"] = "default"
		v["lucene_version"] = "9.11.1"
		body["tagline"] = "You Know, for Search"
	}
	rc.json(200, body)
}

func (s *Server) handleHealth(rc *reqCtx) {
	s.mu.RLock()
	n := len(s.c.indices)
	s.mu.RUnlock()
	body := map[string]any{"cluster_name": "fake", "status": "green", "timed_out": false, "number_of_nodes": 1,
		"number_of_data_nodes": 1, "active_primary_shards": n, "active_shards": n, "relocating_shards": 0,
		"initializing_shards": 0, "unassigned_shards": 0, "delayed_unassigned_shards": 0, "number_of_pending_tasks": 0,
		"number_of_in_flight_fetch": 0, "task_max_waiting_in_queue_millis": 0, "active_shards_percent_as_number": 100.0}
	if s.opts.Flavor == OpenSearch {
		body["cluster_name"] = "123456789012:fake"
		body["discovered_master"] = true
		body["discovered_cluster_manager"] = true
	}
	rc.json(200, body)
}

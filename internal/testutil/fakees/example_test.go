package fakees_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/vigilmon/vigil/internal/testutil/fakees"
)

// A collector test points the real client at URL(), drives it, then
// inspects what the cluster stored and the requests it saw.
func Example() {
	s := fakees.New(fakees.Options{})
	defer s.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	tmpl := `{"index_patterns":["logs-vigil-*"],"priority":500,"data_stream":{}}`
	req, _ := http.NewRequest("PUT", s.URL()+"/_index_template/vigil-logs", strings.NewReader(tmpl))
	req.Header.Set("Content-Type", "application/json")
	res, _ := client.Do(req)
	res.Body.Close()

	bulk := "{\"create\":{\"_index\":\"logs-vigil-default\",\"_id\":\"agent1-1\"}}\n" +
		"{\"@timestamp\":\"2025-03-14T12:00:00Z\",\"message\":\"disk full\"}\n"
	res, _ = client.Post(s.URL()+"/_bulk", "application/x-ndjson", strings.NewReader(bulk))
	res.Body.Close()

	for _, d := range s.Docs("logs-vigil-default") {
		fmt.Println(d.ID, d.Source["message"])
	}
	fmt.Println(s.Count("POST", "/_bulk"), "bulk request")
	// Output:
	// agent1-1 disk full
	// 1 bulk request
}

// Package model holds the wire types shared by vigil-agent and vigil-collector.
//
// A Batch is the unit of shipping: the agent writes it to its spool, the collector
// stores it exactly once (keyed by AgentID and Seq) and acks it. Field names inside
// events follow ECS / Metricbeat's system module (specs.md §4).
package model

// Batch is what one agent produced in one collection cycle.
type Batch struct {
	// AgentID identifies the agent installation; it is stable across restarts.
	AgentID string `json:"agent_id"`
	// Seq increases by one per batch for a given AgentID, starting at 1, and never
	// repeats, also across agent restarts and kill -9.
	Seq    uint64  `json:"seq"`
	Agent  Agent   `json:"agent"`
	Host   Host    `json:"host"`
	Events []Event `json:"events"`
	// Checks are the check results that finished since the previous batch.
	Checks []CheckResult `json:"checks,omitempty"`
}

// Samples counts the metric values carried by the batch.
func (b *Batch) Samples() int {
	n := 0
	for i := range b.Events {
		n += len(b.Events[i].Values)
	}
	return n
}

// Agent describes the program that produced a batch (ECS agent.*).
type Agent struct {
	Version string `json:"version"`
	// IntervalMS is the collection interval, so the collector can tell a silent host
	// from a slow one.
	IntervalMS int64 `json:"interval_ms"`
}

// Host is the identity of the monitored machine (ECS host.* and cloud.*).
type Host struct {
	Name         string   `json:"name"`
	Hostname     string   `json:"hostname,omitempty"`
	ID           string   `json:"id,omitempty"`
	IP           []string `json:"ip,omitempty"`
	Architecture string   `json:"architecture,omitempty"`
	OS           HostOS   `json:"os"`
	Cloud        *Cloud   `json:"cloud,omitempty"`
}

// HostOS is ECS host.os.*.
type HostOS struct {
	Type     string `json:"type,omitempty"`
	Family   string `json:"family,omitempty"`
	Platform string `json:"platform,omitempty"`
	Name     string `json:"name,omitempty"`
	Version  string `json:"version,omitempty"`
	Kernel   string `json:"kernel,omitempty"`
}

// Cloud is ECS cloud.*, filled from the EC2 instance metadata service.
type Cloud struct {
	Provider         string `json:"provider,omitempty"`
	Region           string `json:"region,omitempty"`
	AvailabilityZone string `json:"availability_zone,omitempty"`
	InstanceID       string `json:"instance_id,omitempty"`
	InstanceType     string `json:"instance_type,omitempty"`
	AccountID        string `json:"account_id,omitempty"`
}

// Event is one metricset reading: several values that share a timestamp and
// dimensions, e.g. one mount point's filesystem numbers.
type Event struct {
	// Timestamp is Unix milliseconds (UTC).
	Timestamp int64 `json:"ts"`
	// Dataset is the ECS event.dataset, e.g. "system.filesystem".
	Dataset string `json:"dataset"`
	// Dims are the identifying fields of the reading, full ECS names,
	// e.g. {"system.filesystem.mount_point": "/"}.
	Dims map[string]string `json:"dims,omitempty"`
	// Values maps full ECS field names to numbers, e.g.
	// {"system.filesystem.used.pct": 0.42}. Fractions are 0..1.
	Values map[string]float64 `json:"values"`
}

// Ack is the collector's answer to an accepted batch.
type Ack struct {
	// Seq is the sequence number of the batch this answers.
	Seq uint64 `json:"seq"`
	// DurableSeq is the highest sequence of this agent that is durably stored.
	DurableSeq uint64 `json:"durable_seq"`
	// Duplicate is true when the batch had been stored before; nothing was written.
	Duplicate bool `json:"duplicate"`
}

// ErrorResponse is the body of every 4xx/5xx answer of the collector API.
type ErrorResponse struct {
	Error string `json:"error"`
	// Reason is a short stable token (e.g. "bad_json", "too_large") also used as the
	// reason label of the rejects counter.
	Reason string `json:"reason,omitempty"`
}
